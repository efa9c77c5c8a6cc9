#include "ops/families.hpp"

namespace trtutils::ops {

void register_detection_ops(OpRegistry& /*registry*/) {}

}  // namespace trtutils::ops
