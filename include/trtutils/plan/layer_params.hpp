#pragma once
// Typed parameters of one plan layer: what the builder chose for a kernel
// (a convolution's padding, a cuBLASLt algorithm blob, an NVRTC cubin...).
// Getters throw ModelError naming the parameter when it is missing or holds
// another type, since a plan's parameters come from a file.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace trtutils::plan {

/// The alternatives' order is part of the plan file format (their type codes); never reorder.
using LayerParam = std::variant<std::int64_t, double, std::string, std::vector<std::int64_t>,
                                std::vector<double>, std::vector<std::byte>>;

/// "int", "double", "string", "ints", "doubles" or "bytes".
std::string_view layer_param_type_name(const LayerParam& value) noexcept;

class LayerParams {
 public:
  void set(const std::string& name, LayerParam value) { values_[name] = std::move(value); }
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  std::size_t size() const noexcept { return values_.size(); }
  const std::map<std::string, LayerParam>& all() const noexcept { return values_; }

  std::int64_t get_int(const std::string& name) const;
  std::int64_t get_int(const std::string& name, std::int64_t fallback) const;
  double get_double(const std::string& name) const;
  const std::string& get_string(const std::string& name) const;
  const std::vector<std::int64_t>& get_ints(const std::string& name) const;
  const std::vector<double>& get_doubles(const std::string& name) const;
  const std::vector<std::byte>& get_bytes(const std::string& name) const;

  friend bool operator==(const LayerParams&, const LayerParams&) = default;

 private:
  template <typename T>
  const T& get_as(const std::string& name) const;
  std::map<std::string, LayerParam> values_;
};

}  // namespace trtutils::plan
