#include "ops/families.hpp"

namespace trtutils::ops {

void register_nn_ops(OpRegistry& /*registry*/) {}

}  // namespace trtutils::ops
