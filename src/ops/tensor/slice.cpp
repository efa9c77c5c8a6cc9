// Slice (ONNX Slice-1/10/11/13): starts/ends/axes as attributes before 10,
// then starts/ends/axes/steps as inputs. Per the spec, negative starts/ends
// count from the end; then for step > 0 both clamp to [0, dim], for step < 0
// start clamps to [0, dim-1] and end to [-1, dim-1]. Out-of-range values
// (INT64_MAX as "to the end") are therefore fine.
#include <algorithm>
#include <limits>

#include "ops/tensor/gpu_index_map.hpp"
#include "ops/tensor/tensor_common.hpp"

namespace trtutils::ops::tensor {
namespace {

struct SliceParams {
  std::vector<std::int64_t> starts, ends, axes, steps;
};

/// Per-axis window after normalisation: first element, step and count.
struct AxisWindow {
  std::int64_t start = 0;
  std::int64_t step = 1;
  std::int64_t count = 0;
};

template <typename Ctx>
void check_params(const Ctx& ctx, SliceParams& p, std::int64_t rank) {
  if (p.starts.size() != p.ends.size()) {
    ctx.fail(detail::concat(p.starts.size(), " starts but ", p.ends.size(), " ends"));
  }
  if (p.axes.empty()) {
    p.axes.resize(p.starts.size());
    for (std::size_t i = 0; i < p.axes.size(); ++i) p.axes[i] = static_cast<std::int64_t>(i);
  }
  if (p.steps.empty()) p.steps.assign(p.starts.size(), 1);
  if (p.axes.size() != p.starts.size() || p.steps.size() != p.starts.size()) {
    ctx.fail(detail::concat("starts, ends, axes and steps must have one entry per sliced axis (",
                            p.starts.size(), ", ", p.ends.size(), ", ", p.axes.size(), ", ",
                            p.steps.size(), ")"));
  }
  std::vector<bool> seen(static_cast<std::size_t>(rank), false);
  for (std::int64_t& axis : p.axes) {
    axis = axis_of(ctx, axis, rank);
    if (seen[static_cast<std::size_t>(axis)]) ctx.fail(detail::concat("axis ", axis, " repeats"));
    seen[static_cast<std::size_t>(axis)] = true;
  }
  for (const std::int64_t step : p.steps) {
    if (step == 0) ctx.fail("steps must not be 0");
  }
}

AxisWindow window(std::int64_t start, std::int64_t end, std::int64_t step, std::int64_t dim) {
  // Adding dim to a huge negative value cannot overflow; clamp before using.
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  AxisWindow w;
  w.step = step;
  if (dim == 0) return w;
  if (step > 0) {
    start = std::clamp<std::int64_t>(start, 0, dim);
    end = std::clamp<std::int64_t>(end, 0, dim);
    w.count = start < end ? (end - start + step - 1) / step : 0;
  } else {
    start = std::clamp<std::int64_t>(start, 0, dim - 1);
    end = std::clamp<std::int64_t>(end, -1, dim - 1);
    w.count = start > end ? (start - end + (-step) - 1) / (-step) : 0;
  }
  w.start = w.count > 0 ? start : 0;
  return w;
}

/// Starts/ends/axes/steps from attributes (opset < 10) or constant inputs;
/// nullopt when an input's data is unknown.
std::optional<SliceParams> constant_params(const InferContext& ctx) {
  SliceParams p;
  if (ctx.opset() < 10) {
    p.starts = ctx.attributes().get_ints("starts");
    p.ends = ctx.attributes().get_ints("ends");
    p.axes = ctx.attributes().get_ints("axes", {});
    return p;
  }
  auto starts = constant_ints(ctx, 1);
  auto ends = constant_ints(ctx, 2);
  if (!starts || !ends) return std::nullopt;
  p.starts = std::move(*starts);
  p.ends = std::move(*ends);
  if (ctx.has_input(3)) {
    auto axes = constant_ints(ctx, 3);
    if (!axes) return std::nullopt;
    p.axes = std::move(*axes);
  }
  if (ctx.has_input(4)) {
    auto steps = constant_ints(ctx, 4);
    if (!steps) return std::nullopt;
    p.steps = std::move(*steps);
  }
  return p;
}

void infer_slice(InferContext& ctx) {
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& shape = ctx.input_shape(0);
  if (!shape) return ctx.set_output(0, dtype, std::nullopt);
  const auto rank = static_cast<std::int64_t>(shape->size());
  std::optional<SliceParams> params = constant_params(ctx);
  if (!params) {
    // Only axes may be known: the other dims keep their extent.
    std::optional<std::vector<std::int64_t>> axes;
    if (ctx.has_input(3)) axes = constant_ints(ctx, 3);
    if (!axes) return ctx.set_output(0, dtype, unknown_dims(shape->size()));
    ir::DimList out = *shape;
    for (const std::int64_t axis : *axes) {
      out[static_cast<std::size_t>(axis_of(ctx, axis, rank))] = ir::Dim();
    }
    return ctx.set_output(0, dtype, out);
  }
  check_params(ctx, *params, rank);
  ir::DimList out = *shape;
  for (std::size_t i = 0; i < params->axes.size(); ++i) {
    ir::Dim& dim = out[static_cast<std::size_t>(params->axes[i])];
    if (dim.is_static()) {
      dim = window(params->starts[i], params->ends[i], params->steps[i], dim.value).count;
    } else if (!(params->starts[i] == 0 && params->steps[i] == 1 &&
                 params->ends[i] >= std::numeric_limits<std::int32_t>::max())) {
      dim = ir::Dim();  // a whole-axis slice keeps a symbolic dim; others do not
    }
  }
  ctx.set_output(0, dtype, out);
}

std::vector<HostTensor> run_slice(const CpuContext& ctx) {
  const HostTensor& in = ctx.input(0);
  SliceParams p;
  if (ctx.opset() < 10) {
    p.starts = ctx.attributes().get_ints("starts");
    p.ends = ctx.attributes().get_ints("ends");
    p.axes = ctx.attributes().get_ints("axes", {});
  } else {
    p.starts = input_ints(ctx, 1, "starts");
    p.ends = input_ints(ctx, 2, "ends");
    if (ctx.has_input(3)) p.axes = input_ints(ctx, 3, "axes");
    if (ctx.has_input(4)) p.steps = input_ints(ctx, 4, "steps");
  }
  check_params(ctx, p, in.rank());

  Shape out_shape = in.shape();
  const std::vector<std::int64_t> in_strides = contiguous_strides(in.shape());
  std::vector<std::int64_t> strides = in_strides;
  std::int64_t offset = 0;
  for (std::size_t i = 0; i < p.axes.size(); ++i) {
    const auto axis = static_cast<std::size_t>(p.axes[i]);
    const AxisWindow w = window(p.starts[i], p.ends[i], p.steps[i], in.shape()[axis]);
    out_shape[axis] = w.count;
    offset += w.start * in_strides[axis];
    strides[axis] = w.step * in_strides[axis];
  }
  HostTensor out(out_shape, in.dtype());
  strided_gather(in, offset, strides, out);
  return {std::move(out)};
}

// GPU: a strided copy from the window's first element with stepped strides.
// starts/ends/axes/steps decide the output shape: build-time constants.
void lower_slice(LoweringContext& ctx) {
  const Shape& in = ctx.input(0).shape;
  SliceParams p;
  if (ctx.opset() < 10) {
    p.starts = ctx.node().attributes().get_ints("starts");
    p.ends = ctx.node().attributes().get_ints("ends");
    p.axes = ctx.node().attributes().get_ints("axes", {});
  } else {
    p.starts = build_time_ints(ctx, 1, "starts");
    p.ends = build_time_ints(ctx, 2, "ends");
    if (ctx.has_input(3)) p.axes = build_time_ints(ctx, 3, "axes");
    if (ctx.has_input(4)) p.steps = build_time_ints(ctx, 4, "steps");
  }
  check_params(LoweringArgs(ctx), p, static_cast<std::int64_t>(in.size()));
  const std::vector<std::int64_t> in_strides = contiguous_strides(in);
  StridedCopy copy;
  copy.domain = in;
  copy.src_strides = in_strides;
  for (std::size_t i = 0; i < p.axes.size(); ++i) {
    const auto axis = static_cast<std::size_t>(p.axes[i]);
    const AxisWindow w = window(p.starts[i], p.ends[i], p.steps[i], in[axis]);
    copy.domain[axis] = w.count;
    copy.src_offset += w.start * in_strides[axis];
    copy.src_strides[axis] = w.step * in_strides[axis];
  }
  if (copy.domain != ctx.output(0).shape) {
    ctx.fail(detail::concat("the slice gives ", shape_to_string(copy.domain), " but the output is ",
                            shape_to_string(ctx.output(0).shape)));
  }
  copy.dst_strides = contiguous_strides(copy.domain);
  lower_copy(ctx, "slice", copy, 0, 0);
}

}  // namespace

void register_slice(OpRegistry& registry) {
  registry.add({"Slice", "", infer_slice, run_slice, lower_slice});
}

}  // namespace trtutils::ops::tensor
