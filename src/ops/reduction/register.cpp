#include "ops/families.hpp"

namespace trtutils::ops {

void register_reduction_ops(OpRegistry& /*registry*/) {}

}  // namespace trtutils::ops
