#pragma once
// The fused epilogue the builder's fusion passes attach to Conv,
// ConvTranspose, Gemm and MatMul nodes (include/trtutils/builder/
// fusion_attributes.hpp): y = activation(op(inputs) + bias), applied in the
// compute type before the store. Read once here; each lowering maps it to its
// library's epilogue where one exists, else to generated code.
#include <string>

#include "trtutils/ops/gpu_lowering.hpp"

namespace trtutils::ops::nn::gpu_lowering {

struct FusedEpilogue {
  enum class Kind {
    kIdentity,
    kRelu,
    kSigmoid,
    kTanh,
    kClip,
    kLeakyRelu,
    kHardSwish,
    kSilu,
    kGelu
  };
  Kind kind = Kind::kIdentity;
  double alpha = 0.01;  // leaky_relu slope
  double clip_min = 0.0;
  double clip_max = 0.0;
  bool is_identity() const noexcept { return kind == Kind::kIdentity; }
};

/// The node's fusion attributes; identity when it has none. Fails naming the
/// attribute for an unknown activation or a clip without both bounds.
FusedEpilogue read_fused_epilogue(const LoweringContext& ctx);

/// `__device__ T trt_epilogue(T v)` applying the activation, T being
/// `compute_type` ("float" or "double"). Every generated kernel that may
/// carry an epilogue includes it (identity returns v).
std::string epilogue_function_source(const FusedEpilogue& epilogue,
                                     const std::string& compute_type);

/// How cuDNN's convolution applies it: `activation`, `clip_ceiling` and
/// `leaky_slope` as the layer params take them, and whether that is the
/// whole epilogue (false: the layer runs with identity and
/// emit_activation_in_place follows).
struct ConvolutionActivation {
  std::int64_t activation = 0;
  double clip_ceiling = 6.0;
  bool fused = true;
  double leaky_slope = 0.01;
};
ConvolutionActivation convolution_activation(const FusedEpilogue& epilogue);

/// Emits y = activation(y) element-wise in place (nothing for identity).
void emit_activation_in_place(LoweringContext& ctx, const FusedEpilogue& epilogue,
                              const GpuTensor& y);

}  // namespace trtutils::ops::nn::gpu_lowering
