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
#include "ops/image/kernel_text.hpp"
#include "ops/support.hpp"
#include "trtutils/ops/gpu_lowering.hpp"

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

// --- GPU lowering -------------------------------------------------------------
// One thread per output element, the same source_index rule per axis. pads
// and axes decide the output shape and must be known at build time; the fill
// value is baked when constant and read from the device otherwise.

/// Device code moving `i` into [0, n) by the mode; sets `outside` for constant.
std::string source_index_code(PadMode mode) {
  switch (mode) {
    case PadMode::kConstant:
      return "outside = true;";
    case PadMode::kEdge:
      return "i = i < 0 ? 0 : n - 1;";
    case PadMode::kWrap:
      return "i = ((i % n) + n) % n;";
    case PadMode::kReflect:
      return "if (n == 1) { i = 0; } else { const long long period = 2 * (n - 1); "
             "long long r = ((i % period) + period) % period; i = r < n ? r : period - r; }";
  }
  return "";
}

/// A literal of `dtype` holding element 0 of `value` (already of that dtype).
std::string element_literal(const HostTensor& value) {
  const DType dtype = value.dtype();
  if (dtype == DType::kBool) return element_as_double(value.view(), 0) != 0.0 ? "true" : "false";
  if (is_integer(dtype)) {
    return "(" + gpu::cuda_type(dtype) + ")" + gpu::int_literal(read_ints(value)[0]);
  }
  return gpu::store_expr(dtype, gpu::double_literal(element_as_double(value.view(), 0)));
}

void lower_pad(LoweringContext& ctx) {
  const PadMode mode = parse_mode(gpu::LoweringAttributeView{ctx});
  const GpuTensor x = ctx.input(0);
  const GpuTensor y = ctx.output(0);
  const auto rank = static_cast<std::int64_t>(x.shape.size());
  std::vector<std::int64_t> pads;
  std::optional<std::vector<std::int64_t>> axes;
  std::string fill = gpu::store_expr(x.dtype, "0");
  std::vector<KernelArgument> extra;
  std::string extra_parameter;
  const ir::Attributes& attributes = ctx.node().attributes();
  if (ctx.opset() < 11) {
    pads = attributes.get_ints(attributes.has("pads") ? "pads" : "paddings");
    HostTensor value(Shape{}, x.dtype);
    set_element_from_double(value.view(), 0, attributes.get_float("value", 0.0F));
    fill = element_literal(value);
  } else {
    const HostTensor* p = gpu::build_time_input(ctx, 1, "pads");
    if (!p) ctx.fail("input 'pads' is required");
    pads = read_ints(*p);
    if (const HostTensor* a = gpu::build_time_input(ctx, 3, "axes")) axes = read_ints(*a);
    if (ctx.has_input(2) && ctx.input(2).element_count() > 0) {
      if (const HostTensor* v = ctx.input_constant(2)) {
        fill = element_literal(v->dtype() == x.dtype ? *v : v->cast(x.dtype));
      } else {
        const GpuTensor v_tensor = ctx.input(2);
        extra.push_back(KernelArgument::pointer_to(v_tensor));
        extra_parameter = ", const " + gpu::cuda_type(v_tensor.dtype) + "* __restrict__ fill_value";
        fill = gpu::convert_expr(v_tensor.dtype, x.dtype, "fill_value[0]");
      }
    }
  }
  const std::vector<std::int64_t> all =
      expand_pads(gpu::LoweringAttributeView{ctx}, pads, axes, rank);
  Shape out_shape(x.shape.size());
  std::vector<std::int64_t> begins(x.shape.size());
  for (std::int64_t d = 0; d < rank; ++d) {
    const auto i = static_cast<std::size_t>(d);
    out_shape[i] = x.shape[i] + all[i] + all[static_cast<std::size_t>(rank + d)];
    begins[i] = all[i];
    if (out_shape[i] < 0) ctx.fail(detail::concat("pads make axis ", d, " negative"));
    if (x.shape[i] == 0 && out_shape[i] > 0 && mode != PadMode::kConstant) {
      ctx.fail(detail::concat("cannot pad the empty axis ", d, " in this mode"));
    }
  }
  if (out_shape != y.shape) {
    ctx.fail(detail::concat("output shape ", shape_to_string(y.shape), " differs from ",
                            shape_to_string(out_shape), " computed from pads"));
  }
  const std::string entry = gpu::entry_name(ctx, "pad");
  const std::string source =
      gpu::kernel_preamble() +
      gpu::substitute(R"(
extern "C" __global__ void $ENTRY(const $T* __restrict__ x, $T* __restrict__ y$EXTRA) {
  const long long out_dims[] = $OUT_DIMS;
  const long long in_dims[] = $IN_DIMS;
  const long long in_strides[] = $IN_STRIDES;
  const long long begins[] = $BEGINS;
  (void)in_dims; (void)in_strides; (void)begins; (void)out_dims;
  for (long long linear = trt_tid(); linear < $TOTAL; linear += trt_stride()) {
    long long rem = linear, offset = 0;
    bool outside = false;
    for (int d = $RANK - 1; d >= 0; --d) {
      long long i = rem % out_dims[d] - begins[d];
      rem /= out_dims[d];
      const long long n = in_dims[d];
      if (i < 0 || i >= n) { $MOVE }
      offset += i * in_strides[d];
    }
    y[linear] = outside ? ($T)($FILL) : x[offset];
  }
}
)",
                      {{"ENTRY", entry},
                       {"T", gpu::cuda_type(x.dtype)},
                       {"EXTRA", extra_parameter},
                       {"OUT_DIMS", gpu::int_array(out_shape)},
                       {"IN_DIMS", gpu::int_array(x.shape)},
                       {"IN_STRIDES", gpu::int_array(contiguous_strides(x.shape))},
                       {"BEGINS", gpu::int_array(begins)},
                       {"TOTAL", gpu::int_literal(y.element_count())},
                       {"RANK", std::to_string(rank)},
                       {"MOVE", source_index_code(mode)},
                       {"FILL", fill}});
  KernelLaunch launch;
  launch.source = source;
  launch.entry = entry;
  gpu::set_linear_launch(launch, y.element_count());
  launch.arguments = {KernelArgument::pointer_to(x), KernelArgument::pointer_to(y)};
  for (KernelArgument& a : extra) launch.arguments.push_back(std::move(a));
  ctx.emit_kernel(ctx.node().name() + ".pad", std::move(launch));
}

}  // namespace

OpSchema pad_schema() { return {"Pad", "", infer_pad, run_pad, lower_pad}; }

}  // namespace trtutils::ops::image
