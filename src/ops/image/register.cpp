#include "ops/families.hpp"
#include "ops/image/image_ops.hpp"

namespace trtutils::ops {

void register_image_ops(OpRegistry& registry) {
  registry.add(image::resize_schema());
  registry.add(image::upsample_schema());
  registry.add(image::grid_sample_schema());
  registry.add(image::pad_schema());
  registry.add(image::depth_to_space_schema());
  registry.add(image::space_to_depth_schema());
}

}  // namespace trtutils::ops
