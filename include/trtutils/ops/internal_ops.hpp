#pragma once
// Ops that only the builder's passes create (domain "trtutils"); no ONNX model
// contains them. They are kept out of OpRegistry::builtin() so op lists,
// conformance coverage and the importer see ONNX ops only; the builder adds
// them to the registry it lowers with (with_internal_ops).
//
// trtutils.ConvNHWC: a 2-D (or any-rank) convolution on channels-last data.
//   X [N, spatial..., C], W [K, kernel spatial..., C/group] (KRSC),
//   optional B [K], optional Z [N, out spatial..., K] (the residual)
//   -> Y [N, out spatial..., K]
//   Y = conv(X, W) + B + Z with ONNX Conv's attributes (kernel_shape, pads,
//   strides, dilations, group, auto_pad; spatial axes in their logical order),
//   i.e. transpose(Conv(transpose(X to NCHW), W as KCRS, B), to NHWC) + Z.
//   The builder's fusion attributes (fusion_attributes.hpp) apply after Z.
#include <cstdint>
#include <vector>

#include "trtutils/ops/registry.hpp"
#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils::ops {

inline constexpr const char* kInternalDomain = "trtutils";
inline constexpr const char* kConvNhwcOp = "ConvNHWC";

/// Registers the internal ops (ConvNHWC) into `registry`.
void add_internal_ops(OpRegistry& registry);

/// A copy of `base` with the internal ops added (those it already has kept).
OpRegistry with_internal_ops(const OpRegistry& base);

/// out dim i = in dim perm[i] (ONNX Transpose), any dtype.
HostTensor transpose_tensor(const HostTensor& tensor, const std::vector<std::int64_t>& perm);

/// The permutation taking a channels-first tensor of `rank` dims to channels
/// last ({0, 2, ..., rank-1, 1}) and its inverse ({0, rank-1, 1, ..., rank-2}).
std::vector<std::int64_t> to_channels_last(std::size_t rank);
std::vector<std::int64_t> to_channels_first(std::size_t rank);

}  // namespace trtutils::ops
