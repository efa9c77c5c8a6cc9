#include "trtutils/gpu/convolution_desc.hpp"

#include <cmath>

#include <climits>
#include <cstddef>

#include "trtutils/core/error.hpp"

namespace trtutils::gpu {

const char* to_string(TensorLayout layout) noexcept {
  return layout == TensorLayout::kNCHW ? "NCHW" : "NHWC";
}

const char* to_string(Activation activation) noexcept {
  switch (activation) {
    case Activation::kIdentity:
      return "identity";
    case Activation::kRelu:
      return "relu";
    case Activation::kSigmoid:
      return "sigmoid";
    case Activation::kTanh:
      return "tanh";
    case Activation::kClippedRelu:
      return "clipped_relu";
    case Activation::kSilu:
      return "silu";
    case Activation::kLeakyRelu:
      return "leaky_relu";
    case Activation::kGelu:
      return "gelu";
  }
  return "unknown";
}

namespace {

std::string join(const std::vector<std::int64_t>& values) {
  std::string text = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    text += detail::concat(i == 0 ? "" : ", ", values[i]);
  }
  return text + "]";
}

bool is_supported_dtype(DType dtype) {
  return dtype == DType::kFloat32 || dtype == DType::kFloat16 || dtype == DType::kBFloat16;
}

/// `values`, or `fallback` repeated per spatial axis when empty; checks the count.
std::vector<std::int64_t> per_axis(const std::vector<std::int64_t>& values, std::int64_t rank,
                                   std::int64_t fallback, const char* name) {
  if (values.empty()) return std::vector<std::int64_t>(static_cast<std::size_t>(rank), fallback);
  TRTUTILS_CHECK(static_cast<std::int64_t>(values.size()) == rank, "Convolution: ", name, " ",
                 join(values), " has ", values.size(), " entries; the input has ", rank,
                 " spatial axes");
  return values;
}

void validate_dtypes(const ConvolutionDesc& desc) {
  TRTUTILS_CHECK(desc.input_dtype == desc.filter_dtype && desc.input_dtype == desc.output_dtype,
                 "Convolution: input, filter and output dtypes must be equal (got ",
                 dtype_name(desc.input_dtype), ", ", dtype_name(desc.filter_dtype), ", ",
                 dtype_name(desc.output_dtype), "); insert a Cast first");
  TRTUTILS_CHECK(is_supported_dtype(desc.input_dtype), "Convolution: dtype ",
                 dtype_name(desc.input_dtype), " is not supported; use f32, f16 or bf16");
  TRTUTILS_CHECK(!desc.allow_tf32 || desc.input_dtype == DType::kFloat32,
                 "Convolution: allow_tf32 applies to f32 only (dtype is ",
                 dtype_name(desc.input_dtype), ")");
}

void validate_shapes(const ConvolutionDesc& desc) {
  const auto& x = desc.input_shape;
  const auto& w = desc.filter_shape;
  TRTUTILS_CHECK(x.size() >= 3 && x.size() <= 5, "Convolution: input shape ", join(x),
                 " must be N, C and 1 to 3 spatial axes");
  TRTUTILS_CHECK(w.size() == x.size(), "Convolution: filter shape ", join(w),
                 " must have the input's rank ", x.size(), " (K, C/groups, kernel axes)");
  for (std::size_t i = 0; i < x.size(); ++i) {
    TRTUTILS_CHECK(x[i] > 0, "Convolution: input shape ", join(x), " has a non-positive size");
    TRTUTILS_CHECK(w[i] > 0, "Convolution: filter shape ", join(w), " has a non-positive size");
  }
  TRTUTILS_CHECK(desc.groups > 0, "Convolution: groups must be positive, got ", desc.groups);
  TRTUTILS_CHECK(x[1] % desc.groups == 0, "Convolution: ", x[1],
                 " input channels are not divisible into ", desc.groups, " groups");
  TRTUTILS_CHECK(w[0] % desc.groups == 0, "Convolution: ", w[0],
                 " output channels (filter dimension 0) are not divisible into ", desc.groups,
                 " groups");
  TRTUTILS_CHECK(w[1] == x[1] / desc.groups, "Convolution: filter shape ", join(w), " has ", w[1],
                 " channels per group; input channels ", x[1], " / groups ", desc.groups, " = ",
                 x[1] / desc.groups);
  TRTUTILS_CHECK(desc.activation != Activation::kClippedRelu || desc.clip_ceiling > 0.0f,
                 "Convolution: clipped ReLU needs a positive ceiling, got ", desc.clip_ceiling);
  TRTUTILS_CHECK(desc.activation != Activation::kLeakyRelu || std::isfinite(desc.leaky_slope),
                 "Convolution: leaky ReLU needs a finite slope, got ", desc.leaky_slope);
}

}  // namespace

void validate(const ConvolutionDesc& desc) {
  validate_dtypes(desc);
  validate_shapes(desc);
  (void)convolution_output_shape(desc);
}

std::vector<std::int64_t> convolution_output_shape(const ConvolutionDesc& desc) {
  validate_dtypes(desc);
  validate_shapes(desc);
  const std::int64_t rank = desc.spatial_rank();
  const auto begin = per_axis(desc.pads_begin, rank, 0, "pads_begin");
  const auto end = per_axis(desc.pads_end, rank, 0, "pads_end");
  const auto strides = per_axis(desc.strides, rank, 1, "strides");
  const auto dilations = per_axis(desc.dilations, rank, 1, "dilations");
  std::vector<std::int64_t> out = {desc.input_shape[0], desc.filter_shape[0]};
  for (std::int64_t i = 0; i < rank; ++i) {
    const auto axis = static_cast<std::size_t>(i);
    TRTUTILS_CHECK(begin[axis] >= 0 && end[axis] >= 0, "Convolution: pads must be non-negative (",
                   join(desc.pads_begin), ", ", join(desc.pads_end), ")");
    TRTUTILS_CHECK(strides[axis] > 0, "Convolution: strides ", join(strides), " must be positive");
    TRTUTILS_CHECK(dilations[axis] > 0, "Convolution: dilations ", join(dilations),
                   " must be positive");
    const std::int64_t padded = desc.input_shape[axis + 2] + begin[axis] + end[axis];
    const std::int64_t extent = dilations[axis] * (desc.filter_shape[axis + 2] - 1) + 1;
    TRTUTILS_CHECK(padded >= extent, "Convolution: spatial axis ", i, " is ", padded,
                   " wide after padding, narrower than the dilated kernel (", extent, ")");
    out.push_back((padded - extent) / strides[axis] + 1);
  }
  return out;
}

ConvolutionSupport cudnn_support(const ConvolutionDesc& desc) {
  validate(desc);
  const std::int64_t rank = desc.spatial_rank();
  const auto begin = per_axis(desc.pads_begin, rank, 0, "pads_begin");
  const auto end = per_axis(desc.pads_end, rank, 0, "pads_end");
  if (begin != end) {
    return {false, detail::concat("asymmetric pads (begin ", join(begin), ", end ", join(end),
                                  ") are not supported by cuDNN, which pads both ends equally; "
                                  "pad the input explicitly and convolve with the symmetric part")};
  }
  for (const std::int64_t count :
       {input_element_count(desc), output_element_count(desc), filter_element_count(desc)}) {
    if (count > INT_MAX) {
      return {false, detail::concat("a tensor of ", count,
                                    " elements exceeds cuDNN's 32-bit sizes; split the batch")};
    }
  }
  return {true, {}};
}

namespace {
std::int64_t product(const std::vector<std::int64_t>& shape) {
  std::int64_t count = 1;
  for (const std::int64_t extent : shape) count *= extent;
  return count;
}
}  // namespace

std::int64_t input_element_count(const ConvolutionDesc& desc) { return product(desc.input_shape); }
std::int64_t filter_element_count(const ConvolutionDesc& desc) {
  return product(desc.filter_shape);
}
std::int64_t output_element_count(const ConvolutionDesc& desc) {
  return product(convolution_output_shape(desc));
}

}  // namespace trtutils::gpu
