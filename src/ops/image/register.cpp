#include "ops/families.hpp"

namespace trtutils::ops {

void register_image_ops(OpRegistry& /*registry*/) {}

}  // namespace trtutils::ops
