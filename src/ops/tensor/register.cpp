#include "ops/families.hpp"
#include "ops/tensor/tensor_common.hpp"

namespace trtutils::ops {

void register_tensor_ops(OpRegistry& registry) {
  tensor::register_concat(registry);
  tensor::register_split(registry);
  tensor::register_slice(registry);
  tensor::register_gather(registry);
  tensor::register_scatter(registry);
  tensor::register_reshape(registry);
  tensor::register_transpose(registry);
  tensor::register_expand_tile(registry);
}

}  // namespace trtutils::ops
