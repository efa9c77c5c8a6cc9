#pragma once
// The op registry: one entry per operator, looked up by (domain, op_type).
// Adding an op touches only its family file under src/ops/.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "trtutils/ops/op_schema.hpp"

namespace trtutils::ops {

class OpRegistry {
 public:
  /// Registers an op; throws InvalidArgument if it is already there.
  void add(OpSchema schema);
  /// nullptr when the op is not supported.
  const OpSchema* find(std::string_view op_type, std::string_view domain = "") const;
  std::vector<std::string> op_types() const;

  /// Every op the library ships with.
  static const OpRegistry& builtin();

 private:
  std::map<std::pair<std::string, std::string>, OpSchema> schemas_;  // (domain, op_type)
};

}  // namespace trtutils::ops
