#pragma once
// The schemas of the nn family, one function per op file; register.cpp adds them.
#include <optional>

#include "trtutils/ops/op_schema.hpp"

namespace trtutils::ops::nn {

OpSchema conv_schema();                    // conv.cpp
OpSchema conv_transpose_schema();          // conv_transpose.cpp
OpSchema max_pool_schema();                // pool.cpp
OpSchema average_pool_schema();            // pool.cpp
OpSchema global_average_pool_schema();     // global_pool.cpp
OpSchema global_max_pool_schema();         // global_pool.cpp
OpSchema batch_normalization_schema();     // batch_normalization.cpp
OpSchema instance_normalization_schema();  // instance_normalization.cpp
OpSchema layer_normalization_schema();     // layer_normalization.cpp
OpSchema softmax_schema();                 // softmax.cpp
OpSchema log_softmax_schema();             // softmax.cpp
OpSchema matmul_schema();                  // matmul.cpp
OpSchema gemm_schema();                    // gemm.cpp
OpSchema einsum_schema();                  // einsum.cpp
OpSchema conv_nhwc_schema();               // conv_nhwc.cpp (internal: trtutils.ConvNHWC)

/// Einsum's iteration space for static operand shapes (einsum.cpp): every
/// label's extent, the output labels first (so the output shape is
/// space[0, output_rank)), and each operand's element stride per label (0
/// where it broadcasts; a repeated label's strides add up: its diagonal).
struct EinsumLayout {
  Shape space;
  std::size_t output_rank = 0;
  std::vector<std::vector<std::int64_t>> strides;  // [operand][label]
};
EinsumLayout einsum_layout(const ir::Node& node, const std::vector<Shape>& shapes);

/// LayerNormalization's stash_type (a TensorProto data type code: 1, 10, 11
/// or 16) as a DType; nullopt for any other code (layer_normalization.cpp).
std::optional<DType> stash_type_dtype(std::int64_t code);
inline constexpr const char* kBadStashType =
    "stash_type must be a floating-point type code (1, 10, 11 or 16)";

// GPU lowerings (ops/gpu_lowering.hpp), one per op, in the *_gpu.cpp files.
GpuLowerFn conv_gpu_lowering();                    // conv_gpu.cpp
GpuLowerFn conv_transpose_gpu_lowering();          // conv_transpose_gpu.cpp
GpuLowerFn max_pool_gpu_lowering();                // pool_gpu.cpp
GpuLowerFn average_pool_gpu_lowering();            // pool_gpu.cpp
GpuLowerFn global_average_pool_gpu_lowering();     // pool_gpu.cpp
GpuLowerFn global_max_pool_gpu_lowering();         // pool_gpu.cpp
GpuLowerFn batch_normalization_gpu_lowering();     // normalization_gpu.cpp
GpuLowerFn instance_normalization_gpu_lowering();  // normalization_gpu.cpp
GpuLowerFn layer_normalization_gpu_lowering();     // normalization_gpu.cpp
GpuLowerFn softmax_gpu_lowering();                 // softmax_gpu.cpp
GpuLowerFn log_softmax_gpu_lowering();             // softmax_gpu.cpp
GpuLowerFn matmul_gpu_lowering();                  // matmul_gpu.cpp
GpuLowerFn gemm_gpu_lowering();                    // matmul_gpu.cpp
GpuLowerFn einsum_gpu_lowering();                  // einsum_gpu.cpp
GpuLowerFn conv_nhwc_gpu_lowering();               // conv_nhwc_gpu.cpp

}  // namespace trtutils::ops::nn
