#include "ops/families.hpp"
#include "ops/nn/nn_ops.hpp"

namespace trtutils::ops {

void register_nn_ops(OpRegistry& registry) {
  registry.add(nn::conv_schema());
  registry.add(nn::conv_transpose_schema());
  registry.add(nn::max_pool_schema());
  registry.add(nn::average_pool_schema());
  registry.add(nn::global_average_pool_schema());
  registry.add(nn::global_max_pool_schema());
  registry.add(nn::batch_normalization_schema());
  registry.add(nn::instance_normalization_schema());
  registry.add(nn::layer_normalization_schema());
  registry.add(nn::softmax_schema());
  registry.add(nn::log_softmax_schema());
  registry.add(nn::matmul_schema());
  registry.add(nn::gemm_schema());
  registry.add(nn::einsum_schema());
}

}  // namespace trtutils::ops
