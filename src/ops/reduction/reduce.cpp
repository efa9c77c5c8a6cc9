// The Reduce* ops (ONNX ReduceSum/Mean/Max/Min/Prod/L1/L2/SumSquare/LogSum/
// LogSumExp, opsets 1/11/13/18): one reduce-over-axes loop parameterised by
// init / accumulate / finalize.
//
// Axes are an attribute until the op moved them to an optional input
// (ReduceSum at 13, the others at 18). Empty or absent axes reduce every dim,
// unless noop_with_empty_axes=1, which makes the op an identity. keepdims
// (default 1) keeps reduced dims as 1.
//
// Accumulation: f16/bf16/f32 in f32, f64 in f64, integers in int64 (Mean, L2,
// LogSum and LogSumExp of integers in f64, then truncated back).
#include <cmath>
#include <limits>
#include <string>

#include "ops/reduction/gpu_reduce.hpp"
#include "ops/reduction/reduction_common.hpp"
#include "ops/tensor/gpu_index_map.hpp"

namespace trtutils::ops::reduction {
namespace {

enum class Kind { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kSumSquare, kLogSum, kLogSumExp };

struct ReduceOp {
  const char* name;
  Kind kind;
};

constexpr ReduceOp kReduceOps[] = {
    {"ReduceSum", Kind::kSum},         {"ReduceMean", Kind::kMean},
    {"ReduceMax", Kind::kMax},         {"ReduceMin", Kind::kMin},
    {"ReduceProd", Kind::kProd},       {"ReduceL1", Kind::kL1},
    {"ReduceL2", Kind::kL2},           {"ReduceSumSquare", Kind::kSumSquare},
    {"ReduceLogSum", Kind::kLogSum},   {"ReduceLogSumExp", Kind::kLogSumExp},
};

/// The opset from which axes are an input instead of an attribute.
std::int64_t axes_input_opset(Kind kind) { return kind == Kind::kSum ? 13 : 18; }

// --- the loop ------------------------------------------------------------------

template <typename Acc>
struct Reducer {
  Acc init;
  Acc (*accumulate)(Acc total, Acc element);
  Acc (*finalize)(Acc total, std::int64_t count);
};

template <typename Acc>
Reducer<Acc> make_reducer(Kind kind) {
  constexpr bool kFloat = std::is_floating_point_v<Acc>;
  const auto keep = [](Acc total, std::int64_t) { return total; };
  const auto add = [](Acc t, Acc x) { return static_cast<Acc>(t + x); };
  switch (kind) {
    case Kind::kSum: return {Acc(0), add, keep};
    case Kind::kMean:
      return {Acc(0), add, [](Acc t, std::int64_t n) { return static_cast<Acc>(t / static_cast<Acc>(n)); }};
    case Kind::kMax:
      // NaN propagates, as numpy's max does.
      return {kFloat ? -std::numeric_limits<Acc>::infinity() : std::numeric_limits<Acc>::lowest(),
              [](Acc t, Acc x) { return (x > t || x != x) ? x : t; }, keep};
    case Kind::kMin:
      return {kFloat ? std::numeric_limits<Acc>::infinity() : std::numeric_limits<Acc>::max(),
              [](Acc t, Acc x) { return (x < t || x != x) ? x : t; }, keep};
    case Kind::kProd: return {Acc(1), [](Acc t, Acc x) { return static_cast<Acc>(t * x); }, keep};
    case Kind::kL1:
      return {Acc(0), [](Acc t, Acc x) { return static_cast<Acc>(t + (x < 0 ? -x : x)); }, keep};
    case Kind::kL2:
      return {Acc(0), [](Acc t, Acc x) { return static_cast<Acc>(t + x * x); },
              [](Acc t, std::int64_t) { return static_cast<Acc>(std::sqrt(t)); }};
    case Kind::kSumSquare:
      return {Acc(0), [](Acc t, Acc x) { return static_cast<Acc>(t + x * x); }, keep};
    case Kind::kLogSum:
      return {Acc(0), add, [](Acc t, std::int64_t) { return static_cast<Acc>(std::log(t)); }};
    case Kind::kLogSumExp:
      return {Acc(0), [](Acc t, Acc x) { return static_cast<Acc>(t + std::exp(x)); },
              [](Acc t, std::int64_t) { return static_cast<Acc>(std::log(t)); }};
  }
  return {Acc(0), add, keep};
}

template <typename T, typename Acc>
T to_element(Acc value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value != 0;
  } else if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    return T(static_cast<float>(value));
  } else if constexpr (std::is_integral_v<T> && std::is_floating_point_v<Acc>) {
    // NaN / inf (the mean of nothing, log of 0) have no integer value.
    return std::isfinite(value) ? static_cast<T>(value) : T(0);
  } else {
    return static_cast<T>(value);
  }
}

/// Reduces `in` over the dims marked in `reduced`; the result has those dims
/// as 1 (callers reshape for keepdims=0).
template <typename T, typename Acc>
HostTensor reduce_loop(const HostTensor& in, const std::vector<bool>& reduced,
                       const Reducer<Acc>& reducer) {
  const Shape out_shape = reduced_dims(in.shape(), reduced, true);
  const std::vector<std::int64_t> out_strides = contiguous_strides(out_shape);
  std::vector<Acc> totals(static_cast<std::size_t>(element_count(out_shape)), reducer.init);
  std::int64_t count = 1;
  for (std::size_t d = 0; d < reduced.size(); ++d) {
    if (reduced[d]) count *= in.shape()[d];
  }
  const auto values = in.values<T>();
  for_each_index(in.shape(), [&](const std::vector<std::int64_t>& coords, std::int64_t linear) {
    std::int64_t target = 0;
    for (std::size_t d = 0; d < coords.size(); ++d) {
      if (!reduced[d]) target += coords[d] * out_strides[d];
    }
    auto& total = totals[static_cast<std::size_t>(target)];
    total = reducer.accumulate(total, static_cast<Acc>(comparable(values[static_cast<std::size_t>(linear)])));
  });
  HostTensor out(out_shape, in.dtype());
  auto out_values = out.values<T>();
  for (std::size_t i = 0; i < totals.size(); ++i) {
    out_values[i] = to_element<T>(reducer.finalize(totals[i], count));
  }
  return out;
}

HostTensor reduce(const HostTensor& in, const std::vector<bool>& reduced, Kind kind) {
  return visit_dtype(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, double>) {
      return reduce_loop<T, double>(in, reduced, make_reducer<double>(kind));
    } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, Half> ||
                         std::is_same_v<T, BFloat16>) {
      return reduce_loop<T, float>(in, reduced, make_reducer<float>(kind));
    } else {
      if (kind == Kind::kMean || kind == Kind::kL2 || kind == Kind::kLogSum ||
          kind == Kind::kLogSumExp) {
        return reduce_loop<T, double>(in, reduced, make_reducer<double>(kind));
      }
      return reduce_loop<T, std::int64_t>(in, reduced, make_reducer<std::int64_t>(kind));
    }
  });
}

// --- attributes and axes ---------------------------------------------------------

/// What the node asks for. `axes` is nullopt when it comes from an input whose
/// data is unknown (shape rules only).
struct ReduceArgs {
  std::optional<std::vector<std::int64_t>> axes;
  bool keepdims = true;
  bool noop_with_empty_axes = false;
};

/// Marks the reduced dims; nullopt means "identity" (noop_with_empty_axes).
template <typename Ctx>
std::optional<std::vector<bool>> reduced_mask(const Ctx& ctx, const ReduceArgs& args,
                                              std::size_t rank) {
  if (args.axes->empty()) {
    if (args.noop_with_empty_axes) return std::nullopt;
    return std::vector<bool>(rank, true);
  }
  std::vector<bool> mask(rank, false);
  for (const std::int64_t axis : *args.axes) {
    const auto a = static_cast<std::size_t>(
        normalize_axis(axis, static_cast<std::int64_t>(rank), ctx.node()));
    if (mask[a]) ctx.fail(detail::concat("axis ", axis, " repeats"));
    mask[a] = true;
  }
  return mask;
}

template <typename Ctx>
ReduceArgs common_args(const Ctx& ctx) {
  ReduceArgs args;
  args.keepdims = ctx.attributes().get_int("keepdims", 1) != 0;
  args.noop_with_empty_axes = ctx.attributes().get_int("noop_with_empty_axes", 0) != 0;
  return args;
}

/// Axes come from the attribute before the op's axes-input opset; from then
/// on the attribute is gone, but accept either form (what the node has).
bool axes_from_input(const ir::Node& node, std::int64_t opset, Kind kind) {
  return opset >= axes_input_opset(kind) || node.inputs().size() > 1;
}

void infer_reduce(InferContext& ctx, Kind kind) {
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& shape = ctx.input_shape(0);
  ReduceArgs args = common_args(ctx);
  if (axes_from_input(ctx.node(), ctx.opset(), kind)) {
    if (ctx.has_input(1)) {
      const HostTensor* axes = ctx.input_constant(1);
      if (axes) args.axes = read_ints(*axes);
    } else {
      args.axes = std::vector<std::int64_t>{};
    }
  } else {
    args.axes = ctx.attributes().get_ints("axes", {});
  }
  if (!shape) return ctx.set_output(0, dtype, std::nullopt);
  if (!args.axes) {
    // Unknown axes: with keepdims the rank survives.
    return ctx.set_output(0, dtype,
                          args.keepdims ? ir::MaybeShape(ir::DimList(shape->size(), ir::Dim()))
                                        : std::nullopt);
  }
  const std::optional<std::vector<bool>> mask = reduced_mask(ctx, args, shape->size());
  if (!mask) return ctx.set_output(0, dtype, shape);
  ctx.set_output(0, dtype, reduced_dims(*shape, *mask, args.keepdims));
}

std::vector<HostTensor> run_reduce(const CpuContext& ctx, Kind kind) {
  const HostTensor& in = ctx.input(0);
  ReduceArgs args = common_args(ctx);
  if (axes_from_input(ctx.node(), ctx.opset(), kind)) {
    args.axes = ctx.has_input(1) ? read_ints(ctx.input(1)) : std::vector<std::int64_t>{};
  } else {
    args.axes = ctx.attributes().get_ints("axes", {});
  }
  const std::optional<std::vector<bool>> mask = reduced_mask(ctx, args, in.shape().size());
  if (!mask) return {in};
  HostTensor out = reduce(in, *mask, kind);
  if (!args.keepdims) out = out.reshaped(reduced_dims(in.shape(), *mask, false));
  return {std::move(out)};
}

// --- GPU: one generated kernel (gpu_reduce.hpp); axes given as an input decide
// the output shape and must be known at build time. ---------------------------

GpuReduceKind gpu_kind(Kind kind) {
  switch (kind) {
    case Kind::kSum: return GpuReduceKind::kSum;
    case Kind::kMean: return GpuReduceKind::kMean;
    case Kind::kMax: return GpuReduceKind::kMax;
    case Kind::kMin: return GpuReduceKind::kMin;
    case Kind::kProd: return GpuReduceKind::kProd;
    case Kind::kL1: return GpuReduceKind::kL1;
    case Kind::kL2: return GpuReduceKind::kL2;
    case Kind::kSumSquare: return GpuReduceKind::kSumSquare;
    case Kind::kLogSum: return GpuReduceKind::kLogSum;
    case Kind::kLogSumExp: return GpuReduceKind::kLogSumExp;
  }
  return GpuReduceKind::kSum;
}

void lower_reduce(LoweringContext& ctx, Kind kind) {
  const tensor::LoweringArgs args(ctx);
  ReduceArgs reduce_args = common_args(args);
  if (axes_from_input(ctx.node(), ctx.opset(), kind)) {
    reduce_args.axes = ctx.has_input(1) ? tensor::build_time_ints(ctx, 1, "axes")
                                        : std::vector<std::int64_t>{};
  } else {
    reduce_args.axes = args.attributes().get_ints("axes", {});
  }
  const std::optional<std::vector<bool>> mask =
      reduced_mask(args, reduce_args, ctx.input(0).shape.size());
  if (!mask) return tensor::alias_or_copy(ctx);  // noop_with_empty_axes
  GpuReduction op;
  op.kind = gpu_kind(kind);
  emit_reduction(ctx, op, *mask);
}

}  // namespace

void register_reduce(OpRegistry& registry) {
  for (const ReduceOp& op : kReduceOps) {
    const Kind kind = op.kind;
    registry.add({op.name, "", [kind](InferContext& ctx) { infer_reduce(ctx, kind); },
                  [kind](const CpuContext& ctx) { return run_reduce(ctx, kind); },
                  [kind](LoweringContext& ctx) { lower_reduce(ctx, kind); }});
  }
}

}  // namespace trtutils::ops::reduction
