#pragma once
// Node attributes the builder's fusion passes (src/builder/fusion/) set on
// Conv / ConvTranspose / Gemm / MatMul nodes, and that their GPU lowerings
// read: the contract between the builder and the nn lowerings.
//
// A node carrying these attributes computes
//     y = activation(op(inputs) + bias)
// i.e. the bias is added first, then the activation is applied, element-wise,
// in f32 (before the store to the output's dtype).
//
// Bias:
// - Conv: a following `Add` of a per-channel constant is folded into Conv's
//   own bias input B (input 2), summed with any existing bias. Nothing to read.
// - Gemm: a following `Add` of a constant broadcastable to [N] becomes Gemm's C
//   (input 2) when C is absent (beta is then set to 1). Nothing to read.
// - MatMul: a following `Add` of a constant of shape [N] (or [1, ..., 1, N])
//   is appended as input 2 of the MatMul, of shape [N], and kBias is set to 1.
//   A MatMul lowering must honour it (or refuse the node).
//
// Residual (kResidual, int 0/1 on Conv): input 3 is a tensor Z of the output's
//   shape and dtype, added after the bias and before the activation:
//   y = activation(conv(x, w) + bias + Z). trtutils.ConvNHWC takes Z as its
//   input 3 by definition (include/trtutils/ops/internal_ops.hpp).
//
// Activation (kActivation, a string; absent = identity):
//   "relu"        max(v, 0)
//   "sigmoid"     1 / (1 + exp(-v))
//   "tanh"        tanh(v)
//   "clip"        min(max(v, kClipMin), kClipMax)   (Clip with constant bounds;
//                 ReLU6 is clip 0..6 — cuDNN's kClippedRelu when kClipMin == 0)
//   "leaky_relu"  v >= 0 ? v : kAlpha * v
//   "hard_swish"  v * max(0, min(1, v / 6 + 0.5))
//   "silu"        v * sigmoid(v)          (from the pattern Mul(x, Sigmoid(x)))
//   "gelu"        0.5 v (1 + erf(v / sqrt(2)))   (exact; from the Erf pattern)
//                 NOT cuBLASLt's tanh GELU: do not map it to MatmulEpilogue::kGelu.
// A lowering that cannot apply an activation itself may emit a separate
// element-wise kernel after the op (same numerical result).
//
// The CPU reference of these semantics is builder::apply_fused_epilogue
// (include/trtutils/builder/fusion.hpp): the oracle for lowerings' tests.
#include <string_view>

namespace trtutils::builder::fusion_attributes {

/// string: the activation name, one of the list above.
inline constexpr const char* kActivation = "trtutils.activation";
/// float: the negative slope of "leaky_relu".
inline constexpr const char* kAlpha = "trtutils.alpha";
/// floats: the bounds of "clip" (both always set).
inline constexpr const char* kClipMin = "trtutils.clip_min";
inline constexpr const char* kClipMax = "trtutils.clip_max";
/// int 0/1 on MatMul: input 2 is a bias of shape [N] added to every row.
inline constexpr const char* kBias = "trtutils.bias";
/// int 0/1 on Conv: input 3 is the residual Z (see above).
inline constexpr const char* kResidual = "trtutils.residual";

inline constexpr std::string_view kRelu = "relu";
inline constexpr std::string_view kSigmoid = "sigmoid";
inline constexpr std::string_view kTanh = "tanh";
inline constexpr std::string_view kClip = "clip";
inline constexpr std::string_view kLeakyRelu = "leaky_relu";
inline constexpr std::string_view kHardSwish = "hard_swish";
inline constexpr std::string_view kSilu = "silu";
inline constexpr std::string_view kGelu = "gelu";

/// The custom op chains of element-wise ops become (domain "trtutils",
/// op_type "FusedElementwise"); lowered by the builder itself from the
/// element-wise ops' expressions (src/ops/elementwise/gpu_expressions.hpp).
inline constexpr const char* kFusedElementwiseDomain = "trtutils";
inline constexpr const char* kFusedElementwiseOp = "FusedElementwise";

}  // namespace trtutils::builder::fusion_attributes
