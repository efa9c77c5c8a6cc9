// CumSum (ONNX CumSum-11/14): running sums along the axis given by the 0-d
// (or 1-element) i32/i64 input `axis`. exclusive = 1 leaves the current
// element out (the first output is 0); reverse = 1 sums from the end.
// Floating types accumulate in double, integers in int64.
#include <type_traits>

#include "ops/detection/detection_ops.hpp"
#include "ops/support.hpp"

namespace trtutils::ops::detection {
namespace {

void infer_cum_sum(InferContext& ctx) {
  const DType dtype = ctx.input_dtype(0);
  if (dtype == DType::kBool) ctx.fail("CumSum does not accept bool input");
  if (const HostTensor* axis = ctx.input_constant(1)) {
    if (axis->element_count() != 1) ctx.fail("axis must hold exactly one value");
    if (const ir::MaybeShape& s = ctx.input_shape(0)) {
      normalize_axis(read_ints(*axis)[0], static_cast<std::int64_t>(s->size()), ctx.node());
    }
  }
  ctx.set_output(0, dtype, ctx.input_shape(0));
}

std::vector<HostTensor> run_cum_sum(const CpuContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const std::vector<std::int64_t> axis_value = read_ints(ctx.input(1));
  if (axis_value.size() != 1) ctx.fail("axis must hold exactly one value");
  const std::int64_t axis = normalize_axis(axis_value[0], x.rank(), ctx.node());
  const bool exclusive = ctx.attributes().get_int("exclusive", 0) != 0;
  const bool reverse = ctx.attributes().get_int("reverse", 0) != 0;
  const auto a = static_cast<std::size_t>(axis);
  const std::int64_t n = x.shape()[a];
  std::int64_t inner = 1, outer = 1;
  for (std::size_t d = a + 1; d < x.shape().size(); ++d) inner *= x.shape()[d];
  for (std::size_t d = 0; d < a; ++d) outer *= x.shape()[d];

  HostTensor out(x.shape(), x.dtype());
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool>) {
      ctx.fail("CumSum does not accept bool input");
    } else {
      using Acc = std::conditional_t<std::is_integral_v<T>, std::int64_t, double>;
      const auto in = x.values<T>();
      auto result = out.values<T>();
      for (std::int64_t o = 0; o < outer; ++o) {
        for (std::int64_t i = 0; i < inner; ++i) {
          Acc sum = 0;
          for (std::int64_t step = 0; step < n; ++step) {
            const std::int64_t j = reverse ? n - 1 - step : step;
            const auto at = static_cast<std::size_t>((o * n + j) * inner + i);
            const auto value = static_cast<Acc>(
                static_cast<std::conditional_t<std::is_integral_v<T>, T, float>>(in[at]));
            if (!exclusive) sum += value;
            if constexpr (std::is_integral_v<T>) {
              result[at] = static_cast<T>(sum);
            } else {
              result[at] = T(static_cast<float>(sum));
            }
            if (exclusive) sum += value;
          }
        }
      }
    }
  });
  return {std::move(out)};
}

}  // namespace

OpSchema cum_sum_schema() { return {"CumSum", "", infer_cum_sum, run_cum_sum}; }

}  // namespace trtutils::ops::detection
