#include "ops/families.hpp"
#include "ops/reduction/reduction_common.hpp"

namespace trtutils::ops {

void register_reduction_ops(OpRegistry& registry) {
  reduction::register_reduce(registry);
  reduction::register_arg_min_max(registry);
}

}  // namespace trtutils::ops
