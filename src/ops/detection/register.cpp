#include "ops/detection/detection_ops.hpp"
#include "ops/families.hpp"

namespace trtutils::ops {

void register_detection_ops(OpRegistry& registry) {
  registry.add(detection::non_max_suppression_schema());
  registry.add(detection::top_k_schema());
  registry.add(detection::non_zero_schema());
  registry.add(detection::cum_sum_schema());
  registry.add(detection::trilu_schema());
}

}  // namespace trtutils::ops
