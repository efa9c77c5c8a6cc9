// Pad (ONNX Pad-1/2/11/13/18/19). Pads are [x1_begin, x2_begin, ..., x1_end,
// x2_end, ...]: attribute "paddings" (1) / "pads" (2) with a float "value",
// then inputs pads, constant_value (11) and axes (18, pads listing only those
// axes). Modes: constant, reflect (mirror without repeating the edge), edge,
// wrap (19). Negative pads remove elements. Output element o of an axis reads
// input element o - begin, moved inside the input by the mode.
#include <cstring>
#include <optional>
#include <string>

#include "ops/image/image_ops.hpp"
#include "ops/support.hpp"

namespace trtutils::ops::image {
namespace {

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

template <typename Ctx>
PadMode parse_mode(const Ctx& ctx) {
  const std::string mode = ctx.attributes().get_string("mode", "constant");
  if (mode == "constant") return PadMode::kConstant;
  if (mode == "reflect") return PadMode::kReflect;
  if (mode == "edge") return PadMode::kEdge;
  if (mode == "wrap") return PadMode::kWrap;
  ctx.fail(detail::concat("unknown mode '", mode, "' (expected constant, reflect, edge or wrap)"));
}

/// Per-axis begin/end pads for all `rank` axes, from the raw pads list and
/// the optional axes.
template <typename Ctx>
std::vector<std::int64_t> expand_pads(const Ctx& ctx, const std::vector<std::int64_t>& pads,
                                      const std::optional<std::vector<std::int64_t>>& axes,
                                      std::int64_t rank) {
  std::vector<std::int64_t> all(static_cast<std::size_t>(2 * rank), 0);
  std::vector<std::int64_t> axis_list;
  if (axes) {
    for (const std::int64_t a : *axes) axis_list.push_back(normalize_axis(a, rank, ctx.node()));
  } else {
    for (std::int64_t d = 0; d < rank; ++d) axis_list.push_back(d);
  }
  const std::size_t n = axis_list.size();
  if (pads.size() != 2 * n) {
    ctx.fail(detail::concat("pads has ", pads.size(), " values; expected ", 2 * n,
                            " (begin and end for each of ", n, " axes)"));
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto d = static_cast<std::size_t>(axis_list[i]);
    all[d] = pads[i];
    all[static_cast<std::size_t>(rank) + d] = pads[n + i];
  }
  return all;
}

void infer_pad(InferContext& ctx) {
  parse_mode(ctx);
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& shape = ctx.input_shape(0);
  if (!shape) return ctx.set_output(0, dtype, std::nullopt);
  const auto rank = static_cast<std::int64_t>(shape->size());
  std::optional<std::vector<std::int64_t>> pads;
  std::optional<std::vector<std::int64_t>> axes;
  bool known = true;
  if (ctx.opset() < 11) {
    pads = ctx.attributes().get_ints(ctx.attributes().has("pads") ? "pads" : "paddings");
  } else {
    if (const HostTensor* p = ctx.input_constant(1)) pads = read_ints(*p);
    if (ctx.has_input(3)) {
      if (const HostTensor* a = ctx.input_constant(3)) {
        axes = read_ints(*a);
      } else {
        known = false;
      }
    }
  }
  ir::DimList out = *shape;
  if (!pads || !known) {
    for (ir::Dim& d : out) {
      // Without axes, every axis may change; with unknown axes likewise.
      d = ir::Dim();
    }
    return ctx.set_output(0, dtype, out);
  }
  const std::vector<std::int64_t> all = expand_pads(ctx, *pads, axes, rank);
  for (std::int64_t d = 0; d < rank; ++d) {
    const std::int64_t extra =
        all[static_cast<std::size_t>(d)] + all[static_cast<std::size_t>(rank + d)];
    ir::Dim& dim = out[static_cast<std::size_t>(d)];
    if (dim.is_static()) {
      if (dim.value + extra < 0) ctx.fail(detail::concat("pads make axis ", d, " negative"));
      dim = dim.value + extra;
    } else if (all[static_cast<std::size_t>(d)] != 0 ||
               all[static_cast<std::size_t>(rank + d)] != 0) {
      dim = ir::Dim();
    }
  }
  ctx.set_output(0, dtype, out);
}

/// Moves index i (relative to the input's start) into [0, n) by the mode;
/// nullopt for the constant mode's outside.
std::optional<std::int64_t> source_index(PadMode mode, std::int64_t i, std::int64_t n) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case PadMode::kConstant:
      return std::nullopt;
    case PadMode::kEdge:
      return i < 0 ? 0 : n - 1;
    case PadMode::kWrap:
      return ((i % n) + n) % n;
    case PadMode::kReflect: {
      if (n == 1) return 0;
      const std::int64_t period = 2 * (n - 1);
      std::int64_t r = ((i % period) + period) % period;
      return r < n ? r : period - r;
    }
  }
  return std::nullopt;
}

std::vector<HostTensor> run_pad(const CpuContext& ctx) {
  const PadMode mode = parse_mode(ctx);
  const HostTensor& x = ctx.input(0);
  const std::int64_t rank = x.rank();
  std::vector<std::int64_t> pads;
  std::optional<std::vector<std::int64_t>> axes;
  HostTensor fill(Shape{}, x.dtype());
  if (ctx.opset() < 11) {
    pads = ctx.attributes().get_ints(ctx.attributes().has("pads") ? "pads" : "paddings");
    set_element_from_double(fill.view(), 0, ctx.attributes().get_float("value", 0.0F));
  } else {
    pads = read_ints(ctx.input(1));
    if (ctx.has_input(2) && ctx.input(2).element_count() > 0) {
      const HostTensor& value = ctx.input(2);
      fill = value.dtype() == x.dtype()
                 ? value.reshaped(Shape{value.element_count()})
                 : value.cast(x.dtype()).reshaped(Shape{value.element_count()});
    }
    if (ctx.has_input(3)) axes = read_ints(ctx.input(3));
  }
  const std::vector<std::int64_t> all = expand_pads(ctx, pads, axes, rank);
  Shape out_shape(static_cast<std::size_t>(rank));
  for (std::int64_t d = 0; d < rank; ++d) {
    const auto i = static_cast<std::size_t>(d);
    out_shape[i] = x.shape()[i] + all[i] + all[static_cast<std::size_t>(rank + d)];
    if (out_shape[i] < 0) ctx.fail(detail::concat("pads make axis ", d, " negative"));
    if (x.shape()[i] == 0 && out_shape[i] > 0 && mode != PadMode::kConstant) {
      ctx.fail(detail::concat("cannot pad the empty axis ", d, " in this mode"));
    }
  }
  HostTensor out(out_shape, x.dtype());
  const std::size_t element = dtype_size(x.dtype());
  const auto* src = static_cast<const std::byte*>(x.data());
  auto* dst = static_cast<std::byte*>(out.data());
  const auto* fill_bytes = static_cast<const std::byte*>(fill.data());
  const std::vector<std::int64_t> strides = contiguous_strides(x.shape());
  for_each_index(out_shape, [&](const std::vector<std::int64_t>& coords, std::int64_t linear) {
    std::int64_t offset = 0;
    for (std::size_t d = 0; d < coords.size(); ++d) {
      const std::optional<std::int64_t> s = source_index(mode, coords[d] - all[d], x.shape()[d]);
      if (!s) {
        std::memcpy(dst + static_cast<std::size_t>(linear) * element, fill_bytes, element);
        return;
      }
      offset += *s * strides[d];
    }
    std::memcpy(dst + static_cast<std::size_t>(linear) * element,
                src + static_cast<std::size_t>(offset) * element, element);
  });
  return {std::move(out)};
}

}  // namespace

OpSchema pad_schema() { return {"Pad", "", infer_pad, run_pad}; }

}  // namespace trtutils::ops::image
