#include "ops/families.hpp"

namespace trtutils::ops {

void register_generator_ops(OpRegistry& /*registry*/) {}

}  // namespace trtutils::ops
