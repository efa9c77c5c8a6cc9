#pragma once
// Each op family registers its ops here; builtin_ops.cpp calls them all.
#include "trtutils/ops/registry.hpp"

namespace trtutils::ops {
void register_elementwise_ops(OpRegistry& registry);  // elementwise/: math, logic, activations, Cast, Where
void register_generator_ops(OpRegistry& registry);    // generator/: Constant, Shape, Size, Range, Identity...
void register_nn_ops(OpRegistry& registry);           // nn/: Conv, pooling, norms, MatMul, Gemm, Softmax, Einsum
void register_tensor_ops(OpRegistry& registry);       // tensor/: reshape/transpose/gather/scatter/slice/concat...
void register_reduction_ops(OpRegistry& registry);    // reduction/: Reduce*, ArgMax/ArgMin
void register_image_ops(OpRegistry& registry);        // image/: Resize, Upsample, GridSample, Pad, DepthToSpace...
void register_detection_ops(OpRegistry& registry);    // detection/: NonMaxSuppression, TopK, NonZero, CumSum, Trilu
}  // namespace trtutils::ops
