#pragma once
// Dimensions and strides cuDNN is given for a ConvolutionDesc, shared by the
// legacy descriptors (ConvolutionPlan) and the graph API (ConvolutionGraph).
#include <cstdint>
#include <vector>

#include "trtutils/gpu/convolution_desc.hpp"

namespace trtutils::gpu::detail {

/// cuDNN needs at least 2 spatial axes: a 1-D convolution becomes 2-D with a
/// leading spatial axis of size 1 (and pad 0, stride 1, dilation 1 on it).
std::vector<std::int64_t> lift_1d(const std::vector<std::int64_t>& shape);

/// Per-spatial-axis values (pads, strides, dilations), `fallback` when the
/// description leaves them empty, with the lifted axis of a 1-D convolution.
std::vector<std::int64_t> spatial_or(const std::vector<std::int64_t>& values, std::int64_t rank,
                                     std::int64_t fallback);

/// Strides (elements) of a packed tensor with logical dims N, C, spatial...
/// stored in `layout` (NHWC: C innermost). Filters use the same rule with
/// K, C/groups, spatial... (NHWC layout = KRSC).
std::vector<std::int64_t> packed_strides(const std::vector<std::int64_t>& dims,
                                         TensorLayout layout);

}  // namespace trtutils::gpu::detail
