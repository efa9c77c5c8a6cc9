#pragma once
// What a convolution is, independent of cuDNN: shapes, layout, geometry,
// dtype and the fused epilogue. Validation, the output shape and the question
// "can cuDNN run this as it stands?" are answered here on the CPU, before any
// GPU work, so the builder can decide (e.g. pad explicitly) early.
//
// Semantics follow ONNX Conv (https://onnx.ai/onnx/operators/onnx__Conv.html):
// cross-correlation, filter [K, C/groups, k...], pads given per spatial axis
// as begin and end, output
//   y = activation(conv(x, w) + bias[k] + z)
// where bias and the residual z are optional.
#include <cstdint>
#include <string>
#include <vector>

#include "trtutils/tensor/dtype.hpp"

namespace trtutils::gpu {

/// How the channel axis lies in memory. The shapes in ConvolutionDesc are
/// always given in logical N, C, spatial order; the layout says whether the
/// data is stored that way (kNCHW: N, C, D, H, W) or channels-last (kNHWC: N,
/// D, H, W, C; filters K, k..., C/groups), the layout tensor cores prefer.
enum class TensorLayout : std::uint8_t { kNCHW, kNHWC };

/// Activations the convolution can apply after bias and residual (inside a
/// cuDNN graph-API engine, or in the epilogue kernel that follows a bare
/// convolution). Others (HardSwish, HardSigmoid, ...) are the job of a
/// separate element-wise kernel. kGelu is the exact (erf) form.
enum class Activation : std::uint8_t {
  kIdentity,
  kRelu,
  kSigmoid,
  kTanh,
  kClippedRelu,
  kSilu,
  kLeakyRelu,
  kGelu
};

const char* to_string(TensorLayout layout) noexcept;
const char* to_string(Activation activation) noexcept;

struct ConvolutionDesc {
  /// Element types of x, w and y (and bias, z). They must be equal and one of
  /// f32, f16, bf16; f16/bf16 accumulate in f32 on tensor cores.
  DType input_dtype = DType::kFloat32;
  DType filter_dtype = DType::kFloat32;
  DType output_dtype = DType::kFloat32;
  TensorLayout layout = TensorLayout::kNCHW;

  std::vector<std::int64_t> input_shape;   ///< N, C, spatial (1 to 3 spatial axes)
  std::vector<std::int64_t> filter_shape;  ///< K, C/groups, kernel spatial
  std::vector<std::int64_t> pads_begin;    ///< per spatial axis; empty = zeros
  std::vector<std::int64_t> pads_end;      ///< per spatial axis; empty = zeros
  std::vector<std::int64_t> strides;       ///< per spatial axis; empty = ones
  std::vector<std::int64_t> dilations;     ///< per spatial axis; empty = ones
  std::int64_t groups = 1;

  bool has_bias = false;      ///< bias of K elements
  bool has_residual = false;  ///< z, shaped and laid out like y, added before the activation
  Activation activation = Activation::kIdentity;
  float clip_ceiling = 6.0f;  ///< kClippedRelu: y = min(max(v, 0), clip_ceiling)
  float leaky_slope = 0.01f;  ///< kLeakyRelu: y = v < 0 ? leaky_slope * v : v

  /// f32 only: let cuDNN use TF32 tensor cores (about 1e-3 relative error).
  /// Off by default so f32 stays f32-accurate.
  bool allow_tf32 = false;

  std::int64_t spatial_rank() const noexcept {
    return input_shape.size() >= 2 ? static_cast<std::int64_t>(input_shape.size()) - 2 : 0;
  }
};

/// Throws InvalidArgument naming the first problem: rank (1 to 3 spatial
/// axes), non-positive sizes, filter rank/channels vs input and groups (C
/// and K must be multiples of groups, filter C must be C/groups), pad/stride/
/// dilation counts and values, dtype mismatch or unsupported dtype, an
/// empty output.
void validate(const ConvolutionDesc& desc);

/// The output shape, N, K, spatial (logical order); validates first.
std::vector<std::int64_t> convolution_output_shape(const ConvolutionDesc& desc);

/// Whether cuDNN can run a (valid) description as it stands.
struct ConvolutionSupport {
  bool runnable = false;
  std::string reason;  ///< empty when runnable; otherwise what to change
};

/// Validates, then says whether cuDNN can run it: cuDNN takes one pad per
/// axis, applied at both ends, so asymmetric pads are reported as not
/// runnable (pad the input explicitly, then convolve with the smaller
/// symmetric pads); sizes must fit cuDNN's int dimensions.
ConvolutionSupport cudnn_support(const ConvolutionDesc& desc);

/// Elements of the input, filter and output in the description's layout
/// (the same in both layouts: packed tensors).
std::int64_t input_element_count(const ConvolutionDesc& desc);
std::int64_t filter_element_count(const ConvolutionDesc& desc);
std::int64_t output_element_count(const ConvolutionDesc& desc);

}  // namespace trtutils::gpu
