#include "ops/families.hpp"

namespace trtutils::ops {

void register_tensor_ops(OpRegistry& /*registry*/) {}

}  // namespace trtutils::ops
