#pragma once
// The sliding-window geometry shared by Conv, ConvTranspose and the pools:
// kernel/strides/dilations/pads/auto_pad/ceil_mode attributes, output sizes
// and the input position under every kernel tap. All padding rules live here.
//
// Spec: https://onnx.ai/onnx/operators/onnx__Conv.html, onnx__MaxPool.html,
// onnx__AveragePool.html, onnx__ConvTranspose.html.
#include <cstdint>
#include <optional>
#include <vector>

#include "trtutils/ir/dim.hpp"
#include "trtutils/ir/graph.hpp"
#include "trtutils/tensor/shape.hpp"

namespace trtutils::ops::nn {

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

struct Window {
  std::vector<std::int64_t> kernel;
  std::vector<std::int64_t> strides;
  std::vector<std::int64_t> dilations;
  std::vector<std::int64_t> pads_begin;  // explicit pads; auto_pad ones come from resolve_pads
  std::vector<std::int64_t> pads_end;
  AutoPad auto_pad = AutoPad::kNotSet;
  bool ceil_mode = false;

  std::size_t rank() const noexcept { return kernel.size(); }
  /// Extent the dilated kernel covers: (k - 1) * d + 1.
  std::int64_t dilated_kernel(std::size_t d) const noexcept {
    return (kernel[d] - 1) * dilations[d] + 1;
  }
};

/// Reads strides, dilations, pads, auto_pad and (when `allow_ceil_mode`)
/// ceil_mode for a window with the given kernel; checks their lengths and
/// values and throws ModelError naming the node when they are malformed.
Window read_window(const ir::Node& node, std::vector<std::int64_t> kernel, bool allow_ceil_mode);

/// The kernel of a Conv/ConvTranspose: the kernel_shape attribute, else the
/// weight's spatial dims (from index 2); nullopt when neither is known.
std::optional<std::vector<std::int64_t>> conv_kernel(const ir::Node& node,
                                                     const ir::MaybeShape& weight,
                                                     std::size_t spatial_rank);

/// Output extent of spatial dim `d` of a convolution/pool over `input` elements
/// (pads as given, or chosen by auto_pad).
std::int64_t output_extent(const Window& window, std::size_t d, std::int64_t input);
/// The same on a possibly unknown dim: unknown in, unknown out.
ir::Dim output_dim(const Window& window, std::size_t d, const ir::Dim& input);

/// Fills pads_begin/pads_end for auto_pad SAME_UPPER/SAME_LOWER/VALID given
/// the concrete spatial input extents. (NOTSET keeps the explicit pads.)
void resolve_pads(Window& window, const Shape& input_spatial);

/// Positions of kernel taps relative to the input: an index into the input's
/// spatial block, or one of these when the tap lies outside the input.
inline constexpr std::int64_t kInPadding = -1;    // inside the pads
inline constexpr std::int64_t kPastPadding = -2;  // beyond the end pad (ceil_mode overhang)

/// Calls tap(kernel_index, input_index) for every kernel tap of the output
/// position `out` (row-major kernel order). `input_index` is the row-major
/// index into the spatial block of extents `input_spatial`, or kInPadding /
/// kPastPadding. The window's pads must be resolved.
template <typename F>
void for_each_tap(const Window& window, const Shape& input_spatial,
                  const std::vector<std::int64_t>& out, F&& tap) {
  const std::size_t rank = window.rank();
  std::vector<std::int64_t> k(rank, 0);
  std::int64_t kernel_index = 0;
  while (true) {
    std::int64_t input_index = 0;
    bool past = false;
    bool padded = false;
    for (std::size_t d = 0; d < rank; ++d) {
      const std::int64_t pos =
          out[d] * window.strides[d] - window.pads_begin[d] + k[d] * window.dilations[d];
      if (pos < 0 || pos >= input_spatial[d]) {
        padded = true;
        if (pos >= input_spatial[d] + window.pads_end[d]) past = true;
      }
      input_index = input_index * input_spatial[d] + pos;
    }
    tap(kernel_index, past ? kPastPadding : padded ? kInPadding : input_index);
    ++kernel_index;
    std::size_t d = rank;
    while (d-- > 0) {
      if (++k[d] < window.kernel[d]) break;
      k[d] = 0;
    }
    if (d == static_cast<std::size_t>(-1)) return;
  }
}

/// ConvTranspose geometry: the output extent of spatial dim `d` and the pads
/// it implies. With `output_shape` given, the output extent is that and the
/// total padding follows from it; with SAME_* the output is input * stride.
/// Pads are split as ONNX Runtime and the backend tests do: SAME_UPPER puts
/// the odd unit at the end, anything else at the beginning.
struct TransposeExtent {
  std::int64_t output;
  std::int64_t pad_begin;
  std::int64_t pad_end;
};
TransposeExtent transpose_extent(const Window& window, std::size_t d, std::int64_t input,
                                 std::int64_t output_padding, std::int64_t output_shape);

/// ConvTranspose's own attributes (conv_transpose.cpp): group,
/// output_padding and output_shape (spatial; -1 each when absent; a full
/// [N, M, spatial...] output_shape is cut to its spatial part). Throws
/// ModelError naming the node when malformed.
struct TransposeAttributes {
  std::int64_t group;
  std::vector<std::int64_t> output_padding;
  std::vector<std::int64_t> output_shape;
};
TransposeAttributes read_transpose_attributes(const ir::Node& node, std::size_t spatial);

}  // namespace trtutils::ops::nn
