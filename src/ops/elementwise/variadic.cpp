// Variadic Min, Max, Sum, Mean: all inputs broadcast together
// (https://onnx.ai/onnx/operators/). Min/Max propagate NaN like numpy's
// minimum/maximum.
#include "ops/elementwise/elementwise.hpp"

namespace trtutils::ops::elementwise {

namespace {

enum class Fold { kMin, kMax, kSum, kMean };

template <Fold fold, Types types>
OpSchema variadic_op(std::string op_type) {
  OpSchema schema;
  schema.op_type = std::move(op_type);
  schema.lower_gpu = gpu::lower_elementwise;
  schema.infer = [](InferContext& ctx) {
    refuse_legacy_axis_broadcast(ctx);
    for (std::size_t i = 0; i < ctx.input_count(); ++i) {
      if (!ctx.has_input(i)) ctx.fail(detail::concat("input ", i, " is missing"));
      check_input_type(ctx, i, types);
      if (known_and_different(ctx.input_dtype(i), ctx.input_dtype(0)))
        ctx.fail("inputs have different element types");
    }
    broadcast_rule(ctx);
  };
  schema.run_cpu = [](const CpuContext& ctx) {
    if (ctx.input_count() == 0) ctx.fail("needs at least one input");
    const DType dtype = ctx.input(0).dtype();
    HostTensor acc = to_compute(ctx.input(0));
    for (std::size_t i = 1; i < ctx.input_count(); ++i) {
      if (ctx.input(i).dtype() != dtype) ctx.fail("inputs have different element types");
      const HostTensor next = to_compute(ctx.input(i));
      acc = visit_compute<types>(dtype, ctx, [&](auto tag) {
        using T = typename decltype(tag)::type;
        return broadcast_map<T, T, T>(
            [](T a, T b) {
              if constexpr (fold == Fold::kMin || fold == Fold::kMax) {
                return fold == Fold::kMin ? numpy_minimum(a, b) : numpy_maximum(a, b);
              } else {
                return static_cast<T>(a + b);
              }
            },
            {&acc, &next});
      });
    }
    if constexpr (fold == Fold::kMean) {
      const auto n = static_cast<double>(ctx.input_count());
      acc = visit_compute<types>(dtype, ctx, [&](auto tag) {
        using T = typename decltype(tag)::type;
        return map_unary<T>(acc, [n](T v) { return static_cast<T>(v / static_cast<T>(n)); });
      });
    }
    std::vector<HostTensor> outputs;
    outputs.push_back(from_compute(std::move(acc), dtype));
    return outputs;
  };
  return schema;
}

}  // namespace

void register_variadic(OpRegistry& registry) {
  registry.add(variadic_op<Fold::kMin, Types::kNumeric>("Min"));
  registry.add(variadic_op<Fold::kMax, Types::kNumeric>("Max"));
  registry.add(variadic_op<Fold::kSum, Types::kFloat>("Sum"));
  registry.add(variadic_op<Fold::kMean, Types::kFloat>("Mean"));
}

}  // namespace trtutils::ops::elementwise
