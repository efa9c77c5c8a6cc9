#include "ops/nn/window.hpp"

#include <algorithm>
#include <string>

#include "trtutils/core/error.hpp"

namespace trtutils::ops::nn {

namespace {

[[noreturn]] void malformed(const ir::Node& node, const std::string& message) {
  throw ModelError(detail::concat(node.describe(), ": ", message));
}

std::vector<std::int64_t> read_per_axis(const ir::Node& node, const char* name, std::size_t rank,
                                        std::int64_t fallback, std::int64_t minimum) {
  std::vector<std::int64_t> values =
      node.attributes().get_ints(name, std::vector<std::int64_t>(rank, fallback));
  if (values.size() != rank) {
    malformed(node, detail::concat("'", name, "' has ", values.size(), " values for ", rank,
                                   " spatial axes"));
  }
  for (std::int64_t v : values) {
    if (v < minimum)
      malformed(node, detail::concat("'", name, "' value ", v, " is below ", minimum));
  }
  return values;
}

AutoPad read_auto_pad(const ir::Node& node) {
  const std::string text = node.attributes().get_string("auto_pad", "NOTSET");
  if (text == "NOTSET" || text.empty()) return AutoPad::kNotSet;
  if (text == "SAME_UPPER") return AutoPad::kSameUpper;
  if (text == "SAME_LOWER") return AutoPad::kSameLower;
  if (text == "VALID") return AutoPad::kValid;
  malformed(node, detail::concat("auto_pad '", text,
                                 "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID"));
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

}  // namespace

Window read_window(const ir::Node& node, std::vector<std::int64_t> kernel, bool allow_ceil_mode) {
  Window w;
  const std::size_t rank = kernel.size();
  for (std::int64_t k : kernel) {
    if (k < 1) malformed(node, detail::concat("kernel size ", k, " is not positive"));
  }
  w.kernel = std::move(kernel);
  w.strides = read_per_axis(node, "strides", rank, 1, 1);
  w.dilations = read_per_axis(node, "dilations", rank, 1, 1);
  const std::vector<std::int64_t> pads = read_per_axis(node, "pads", 2 * rank, 0, 0);
  w.pads_begin.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(rank));
  w.pads_end.assign(pads.begin() + static_cast<std::ptrdiff_t>(rank), pads.end());
  w.auto_pad = read_auto_pad(node);
  w.ceil_mode = allow_ceil_mode && node.attributes().get_int("ceil_mode", 0) != 0;
  return w;
}

std::optional<std::vector<std::int64_t>> conv_kernel(const ir::Node& node,
                                                     const ir::MaybeShape& weight,
                                                     std::size_t spatial_rank) {
  if (node.attributes().has("kernel_shape")) {
    std::vector<std::int64_t> kernel = node.attributes().get_ints("kernel_shape");
    if (kernel.size() != spatial_rank) {
      malformed(node, detail::concat("kernel_shape has ", kernel.size(), " values for ",
                                     spatial_rank, " spatial axes"));
    }
    return kernel;
  }
  if (!weight || weight->size() != spatial_rank + 2) return std::nullopt;
  std::vector<std::int64_t> kernel;
  for (std::size_t d = 2; d < weight->size(); ++d) {
    if (!(*weight)[d].is_static()) return std::nullopt;
    kernel.push_back((*weight)[d].value);
  }
  return kernel;
}

std::int64_t output_extent(const Window& window, std::size_t d, std::int64_t input) {
  const std::int64_t stride = window.strides[d];
  switch (window.auto_pad) {
    case AutoPad::kSameUpper:
    case AutoPad::kSameLower:
      return (input + stride - 1) / stride;
    case AutoPad::kValid:
      return std::max<std::int64_t>(0, floor_div(input - window.dilated_kernel(d), stride) + 1);
    case AutoPad::kNotSet:
      break;
  }
  const std::int64_t span =
      input + window.pads_begin[d] + window.pads_end[d] - window.dilated_kernel(d);
  if (span < 0) return 0;
  if (!window.ceil_mode) return span / stride + 1;
  std::int64_t out = (span + stride - 1) / stride + 1;
  // A window may not start inside the end padding (the rule PyTorch and ONNX
  // Runtime apply, later written into the ONNX spec).
  if ((out - 1) * stride >= input + window.pads_begin[d]) --out;
  return out;
}

ir::Dim output_dim(const Window& window, std::size_t d, const ir::Dim& input) {
  if (!input.is_static()) return ir::Dim();
  return output_extent(window, d, input.value);
}

void resolve_pads(Window& window, const Shape& input_spatial) {
  if (window.auto_pad == AutoPad::kNotSet) return;
  for (std::size_t d = 0; d < window.rank(); ++d) {
    if (window.auto_pad == AutoPad::kValid) {
      window.pads_begin[d] = window.pads_end[d] = 0;
      continue;
    }
    const std::int64_t out = output_extent(window, d, input_spatial[d]);
    const std::int64_t total = std::max<std::int64_t>(
        0, (out - 1) * window.strides[d] + window.dilated_kernel(d) - input_spatial[d]);
    // SAME_UPPER puts the odd padding unit at the end, SAME_LOWER at the start.
    const std::int64_t small = total / 2;
    window.pads_begin[d] = window.auto_pad == AutoPad::kSameUpper ? small : total - small;
    window.pads_end[d] = total - window.pads_begin[d];
  }
}

TransposeExtent transpose_extent(const Window& window, std::size_t d, std::int64_t input,
                                 std::int64_t output_padding, std::int64_t output_shape) {
  const std::int64_t full =
      window.strides[d] * (input - 1) + output_padding + window.dilated_kernel(d);
  std::int64_t target = output_shape;
  if (target < 0) {
    if (window.auto_pad == AutoPad::kSameUpper || window.auto_pad == AutoPad::kSameLower) {
      target = input * window.strides[d];
    } else if (window.auto_pad == AutoPad::kValid) {
      return {full, 0, 0};
    } else {
      return {full - window.pads_begin[d] - window.pads_end[d], window.pads_begin[d],
              window.pads_end[d]};
    }
  }
  // Output size given (or implied by SAME_*): the pads follow from it. A
  // negative total means the output is larger than the transposed
  // convolution covers; the extra positions only receive the bias.
  const std::int64_t total = std::max<std::int64_t>(0, full - target);
  const std::int64_t small = total / 2;
  const std::int64_t begin = window.auto_pad == AutoPad::kSameUpper ? small : total - small;
  return {target, begin, total - begin};
}

}  // namespace trtutils::ops::nn
