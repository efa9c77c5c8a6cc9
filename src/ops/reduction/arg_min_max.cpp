// ArgMax / ArgMin (ONNX 1/11/12/13): int64 index of the largest / smallest
// element along `axis` (default 0); keepdims (default 1) keeps that axis as 1.
// select_last_index=1 (opset 12) picks the last of equal extremes instead of
// the first.
#include "ops/reduction/gpu_reduce.hpp"
#include "ops/reduction/reduction_common.hpp"
#include "ops/tensor/gpu_index_map.hpp"

namespace trtutils::ops::reduction {
namespace {

template <typename Ctx>
std::size_t arg_axis(const Ctx& ctx, std::size_t rank) {
  return static_cast<std::size_t>(normalize_axis(ctx.attributes().get_int("axis", 0),
                                                 static_cast<std::int64_t>(rank), ctx.node()));
}

void infer_arg(InferContext& ctx) {
  const ir::MaybeShape& shape = ctx.input_shape(0);
  if (!shape) return ctx.set_output(0, DType::kInt64, std::nullopt);
  std::vector<bool> reduced(shape->size(), false);
  reduced[arg_axis(ctx, shape->size())] = true;
  ctx.set_output(0, DType::kInt64,
                 reduced_dims(*shape, reduced, ctx.attributes().get_int("keepdims", 1) != 0));
}

std::vector<HostTensor> run_arg(const CpuContext& ctx, bool is_max) {
  const HostTensor& in = ctx.input(0);
  if (in.rank() == 0) ctx.fail("input must have rank >= 1");
  const std::size_t axis = arg_axis(ctx, in.shape().size());
  const bool last = ctx.attributes().get_int("select_last_index", 0) != 0;
  const Shape& s = in.shape();
  const std::int64_t extent = s[axis];
  if (extent == 0) ctx.fail("cannot take the arg-extreme of an empty axis");
  const std::int64_t outer = element_count(Shape(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(axis)));
  const std::int64_t inner = element_count(Shape(s.begin() + static_cast<std::ptrdiff_t>(axis) + 1, s.end()));
  std::vector<bool> reduced(s.size(), false);
  reduced[axis] = true;
  HostTensor out(reduced_dims(s, reduced, ctx.attributes().get_int("keepdims", 1) != 0),
                 DType::kInt64);
  auto result = out.values<std::int64_t>();
  visit_dtype(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto values = in.values<T>();
    for (std::int64_t o = 0; o < outer; ++o) {
      for (std::int64_t i = 0; i < inner; ++i) {
        const auto at = [&](std::int64_t k) {
          return comparable(values[static_cast<std::size_t>((o * extent + k) * inner + i)]);
        };
        std::int64_t best = 0;
        for (std::int64_t k = 1; k < extent; ++k) {
          const auto x = at(k);
          const auto b = at(best);
          const bool better = is_max ? x > b : x < b;
          if (better || (last && x == b)) best = k;
        }
        result[static_cast<std::size_t>(o * inner + i)] = best;
      }
    }
  });
  return {std::move(out)};
}

// GPU: the shared reduction generator, which reproduces the sequential scan's
// index exactly (gpu_reduce.hpp).
void lower_arg(LoweringContext& ctx, bool is_max) {
  const tensor::LoweringArgs args(ctx);
  const Shape& shape = ctx.input(0).shape;
  if (shape.empty()) ctx.fail("input must have rank >= 1");
  const std::size_t axis = arg_axis(args, shape.size());
  if (shape[axis] == 0) ctx.fail("cannot take the arg-extreme of an empty axis");
  std::vector<bool> reduced(shape.size(), false);
  reduced[axis] = true;
  GpuReduction op;
  op.kind = is_max ? GpuReduceKind::kArgMax : GpuReduceKind::kArgMin;
  op.select_last_index = args.attributes().get_int("select_last_index", 0) != 0;
  emit_reduction(ctx, op, reduced);
}

}  // namespace

void register_arg_min_max(OpRegistry& registry) {
  registry.add({"ArgMax", "", infer_arg, [](const CpuContext& ctx) { return run_arg(ctx, true); },
                [](LoweringContext& ctx) { lower_arg(ctx, true); }});
  registry.add({"ArgMin", "", infer_arg, [](const CpuContext& ctx) { return run_arg(ctx, false); },
                [](LoweringContext& ctx) { lower_arg(ctx, false); }});
}

}  // namespace trtutils::ops::reduction
