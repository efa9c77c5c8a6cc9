#pragma once
// Node attributes (ONNX AttributeProto without subgraphs): typed access with
// defaults, and errors that name the node and the attribute.
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils::ir {

using Attribute = std::variant<std::int64_t, float, std::string, HostTensor,
                               std::vector<std::int64_t>, std::vector<float>,
                               std::vector<std::string>>;

class Attributes {
 public:
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  void set(const std::string& name, Attribute value) { values_[name] = std::move(value); }
  void erase(const std::string& name) { values_.erase(name); }
  const std::map<std::string, Attribute>& all() const noexcept { return values_; }

  // Getters with a default return it when the attribute is absent; all throw
  // ModelError when the attribute exists with another type.
  std::int64_t get_int(const std::string& name, std::int64_t fallback) const;
  std::int64_t get_int(const std::string& name) const;  // required
  float get_float(const std::string& name, float fallback) const;
  float get_float(const std::string& name) const;
  std::string get_string(const std::string& name, const std::string& fallback) const;
  std::string get_string(const std::string& name) const;
  std::vector<std::int64_t> get_ints(const std::string& name,
                                     const std::vector<std::int64_t>& fallback) const;
  std::vector<std::int64_t> get_ints(const std::string& name) const;
  std::vector<float> get_floats(const std::string& name, const std::vector<float>& fallback) const;
  std::vector<float> get_floats(const std::string& name) const;
  std::vector<std::string> get_strings(const std::string& name) const;
  const HostTensor& get_tensor(const std::string& name) const;

 private:
  template <typename T>
  const T* find_as(const std::string& name) const;
  std::map<std::string, Attribute> values_;
};

}  // namespace trtutils::ir
