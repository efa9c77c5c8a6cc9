#include "ops/families.hpp"

namespace trtutils::ops {

void register_elementwise_ops(OpRegistry& /*registry*/) {}

}  // namespace trtutils::ops
