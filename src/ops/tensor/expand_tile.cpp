// Expand (ONNX Expand-8/13): broadcasts the input against `shape` in both
// directions (a 1 in `shape` keeps the input's dim). Tile (Tile-6/13): dim i
// repeats repeats[i] times.
#include <algorithm>
#include <cstring>

#include "ops/tensor/gpu_index_map.hpp"
#include "ops/tensor/tensor_common.hpp"

namespace trtutils::ops::tensor {
namespace {

// --- Expand --------------------------------------------------------------------

void infer_expand(InferContext& ctx) {
  const DType dtype = ctx.input_dtype(0);
  const std::optional<std::vector<std::int64_t>> target = constant_ints(ctx, 1);
  const ir::MaybeShape& shape = ctx.input_shape(0);
  if (!target) {
    const ir::MaybeShape& target_shape = ctx.input_shape(1);
    if (shape && target_shape && target_shape->size() == 1 && (*target_shape)[0].is_static()) {
      const auto rank = std::max<std::size_t>(shape->size(),
                                              static_cast<std::size_t>((*target_shape)[0].value));
      return ctx.set_output(0, dtype, unknown_dims(rank));
    }
    return ctx.set_output(0, dtype, std::nullopt);
  }
  try {
    ctx.set_output(0, dtype, broadcast_shapes(shape, ir::MaybeShape(ir::from_static(*target))));
  } catch (const InvalidArgument& e) {
    ctx.fail(e.what());
  }
}

std::vector<HostTensor> run_expand(const CpuContext& ctx) {
  const HostTensor& in = ctx.input(0);
  const std::vector<std::int64_t> target = input_ints(ctx, 1, "shape");
  Shape out_shape;
  try {
    out_shape = broadcast_shapes(in.shape(), Shape(target.begin(), target.end()));
  } catch (const InvalidArgument& e) {
    ctx.fail(e.what());
  }
  HostTensor out(out_shape, in.dtype());
  strided_gather(in, 0, broadcast_strides(in.shape(), out_shape), out);
  return {std::move(out)};
}

// --- Tile ----------------------------------------------------------------------

template <typename Ctx>
void check_repeats(const Ctx& ctx, const std::vector<std::int64_t>& repeats, std::size_t rank) {
  if (ctx.opset() < 6) ctx.unsupported("Tile before opset 6 (tiles/axis inputs) is not supported");
  if (repeats.size() != rank) {
    ctx.fail(detail::concat("repeats has ", repeats.size(), " entries for an input of rank ", rank));
  }
  for (const std::int64_t r : repeats) {
    if (r < 0) ctx.fail(detail::concat("repeats must be >= 0, got ", r));
  }
}

void infer_tile(InferContext& ctx) {
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& shape = ctx.input_shape(0);
  if (!shape) return ctx.set_output(0, dtype, std::nullopt);
  const std::optional<std::vector<std::int64_t>> repeats = constant_ints(ctx, 1);
  if (!repeats) return ctx.set_output(0, dtype, unknown_dims(shape->size()));
  check_repeats(ctx, *repeats, shape->size());
  ir::DimList out = *shape;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::int64_t r = (*repeats)[i];
    if (out[i].is_static()) {
      out[i] = out[i].value * r;
    } else if (r == 0) {
      out[i] = 0;
    } else if (r != 1) {
      out[i] = ir::Dim();
    }
  }
  ctx.set_output(0, dtype, out);
}

std::vector<HostTensor> run_tile(const CpuContext& ctx) {
  const HostTensor& in = ctx.input(0);
  const std::vector<std::int64_t> repeats = input_ints(ctx, 1, "repeats");
  check_repeats(ctx, repeats, in.shape().size());
  Shape out_shape = in.shape();
  for (std::size_t i = 0; i < out_shape.size(); ++i) out_shape[i] *= repeats[i];
  HostTensor out(out_shape, in.dtype());
  const std::size_t size = dtype_size(in.dtype());
  const std::vector<std::int64_t> strides = contiguous_strides(in.shape());
  for_each_index(out_shape, [&](const std::vector<std::int64_t>& coords, std::int64_t linear) {
    std::int64_t source = 0;
    for (std::size_t d = 0; d < coords.size(); ++d) source += coords[d] % in.shape()[d] * strides[d];
    std::memcpy(bytes_of(out) + static_cast<std::size_t>(linear) * size,
                bytes_of(in) + static_cast<std::size_t>(source) * size, size);
  });
  return {std::move(out)};
}

// --- GPU: strided copies; broadcast dims read with stride 0 (Expand), tiled
// dims read modulo the input's extent (Tile). ----------------------------------

void lower_expand(LoweringContext& ctx) {
  const std::vector<std::int64_t> target = build_time_ints(ctx, 1, "shape");
  const Shape& in = ctx.input(0).shape;
  const Shape& out = ctx.output(0).shape;
  Shape expected;
  try {
    expected = broadcast_shapes(in, Shape(target.begin(), target.end()));
  } catch (const InvalidArgument& e) {
    ctx.fail(e.what());
  }
  if (expected != out) {
    ctx.fail(detail::concat("expanding gives ", shape_to_string(expected), " but the output is ",
                            shape_to_string(out)));
  }
  StridedCopy copy;
  copy.domain = out;
  copy.src_strides = broadcast_strides(in, out);
  copy.dst_strides = contiguous_strides(out);
  lower_copy(ctx, "expand", copy, 0, 0);
}

void lower_tile(LoweringContext& ctx) {
  const Shape& in = ctx.input(0).shape;
  const std::vector<std::int64_t> repeats = build_time_ints(ctx, 1, "repeats");
  check_repeats(LoweringArgs(ctx), repeats, in.size());
  StridedCopy copy;
  copy.domain = in;
  for (std::size_t i = 0; i < in.size(); ++i) copy.domain[i] *= repeats[i];
  if (copy.domain != ctx.output(0).shape) {
    ctx.fail(detail::concat("tiling gives ", shape_to_string(copy.domain), " but the output is ",
                            shape_to_string(ctx.output(0).shape)));
  }
  copy.src_strides = contiguous_strides(in);
  copy.src_wrap = in;
  copy.dst_strides = contiguous_strides(copy.domain);
  lower_copy(ctx, "tile", copy, 0, 0);
}

}  // namespace

void register_expand_tile(OpRegistry& registry) {
  registry.add({"Expand", "", infer_expand, run_expand, lower_expand});
  registry.add({"Tile", "", infer_tile, run_tile, lower_tile});
}

}  // namespace trtutils::ops::tensor
