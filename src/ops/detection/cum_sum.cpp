// CumSum (ONNX CumSum-11/14): running sums along the axis given by the 0-d
// (or 1-element) i32/i64 input `axis`. exclusive = 1 leaves the current
// element out (the first output is 0); reverse = 1 sums from the end.
// Floating types accumulate in double (f16/bf16/f32 values are widened from
// float, results rounded to float then the type; f64 stays double), integers
// in int64.
#include <type_traits>

#include "ops/detection/detection_ops.hpp"
#include "ops/image/kernel_text.hpp"
#include "ops/support.hpp"
#include "trtutils/ops/gpu_lowering.hpp"

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
            using Widened =
                std::conditional_t<std::is_integral_v<T> || std::is_same_v<T, double>, T, float>;
            const auto value = static_cast<Acc>(static_cast<Widened>(in[at]));
            if (!exclusive) sum += value;
            if constexpr (std::is_integral_v<T> || std::is_same_v<T, double>) {
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

// --- GPU lowering --------------------------------------------------------------
// One thread per scan line (outer x inner), summing exactly as the CPU does:
// double for floating types (stored through float, except f64), long long
// for integers. The axis must be known at build time.
void lower_cum_sum(LoweringContext& ctx) {
  const GpuTensor x = ctx.input(0);
  const GpuTensor y = ctx.output(0);
  if (x.dtype == DType::kBool) ctx.fail("CumSum does not accept bool input");
  const HostTensor* axis_tensor = gpu::build_time_input(ctx, 1, "axis");
  if (!axis_tensor) ctx.fail("input 'axis' is required");
  const std::vector<std::int64_t> axis_value = read_ints(*axis_tensor);
  if (axis_value.size() != 1) ctx.fail("axis must hold exactly one value");
  const auto rank = static_cast<std::int64_t>(x.shape.size());
  const auto a = static_cast<std::size_t>(normalize_axis(axis_value[0], rank, ctx.node()));
  const bool exclusive = ctx.node().attributes().get_int("exclusive", 0) != 0;
  const bool reverse = ctx.node().attributes().get_int("reverse", 0) != 0;
  const std::int64_t n = x.shape[a];
  std::int64_t inner = 1, outer = 1;
  for (std::size_t d = a + 1; d < x.shape.size(); ++d) inner *= x.shape[d];
  for (std::size_t d = 0; d < a; ++d) outer *= x.shape[d];
  const bool integral = is_integer(x.dtype);
  std::string widen, store;
  if (integral) {
    widen = "(long long)x[at]";
    store = "(" + gpu::cuda_type(x.dtype) + ")sum";
  } else if (x.dtype == DType::kFloat64) {
    widen = "x[at]";
    store = "sum";
  } else {
    widen = "(double)" + gpu::load_expr(x.dtype, "x[at]");
    store = gpu::store_expr(x.dtype, "(float)sum");
  }
  const std::string entry = gpu::entry_name(ctx, "cum_sum");
  const std::string source =
      gpu::kernel_preamble() +
      gpu::substitute(R"(
extern "C" __global__ void $ENTRY(const $T* __restrict__ x, $T* __restrict__ y) {
  const long long N = $N, INNER = $INNER;
  for (long long line = trt_tid(); line < $LINES; line += trt_stride()) {
    const long long o = line / INNER, i = line % INNER;
    $ACC sum = 0;
    for (long long step = 0; step < N; ++step) {
      const long long j = $REVERSE ? N - 1 - step : step;
      const long long at = (o * N + j) * INNER + i;
      const $ACC value = $WIDEN;
      if (!$EXCLUSIVE) sum += value;
      y[at] = $STORE;
      if ($EXCLUSIVE) sum += value;
    }
  }
}
)",
                      {{"ENTRY", entry},
                       {"T", gpu::cuda_type(x.dtype)},
                       {"N", gpu::int_literal(n)},
                       {"INNER", gpu::int_literal(std::max<std::int64_t>(inner, 1))},
                       {"LINES", gpu::int_literal(n == 0 ? 0 : outer * inner)},
                       {"ACC", integral ? "long long" : "double"},
                       {"REVERSE", reverse ? "true" : "false"},
                       {"EXCLUSIVE", exclusive ? "true" : "false"},
                       {"WIDEN", widen},
                       {"STORE", store}});
  KernelLaunch launch;
  launch.source = source;
  launch.entry = entry;
  gpu::set_linear_launch(launch, n == 0 ? 0 : outer * inner);
  launch.arguments = {KernelArgument::pointer_to(x), KernelArgument::pointer_to(y)};
  ctx.emit_kernel(ctx.node().name() + ".cum_sum", std::move(launch));
}

}  // namespace

OpSchema cum_sum_schema() { return {"CumSum", "", infer_cum_sum, run_cum_sum, lower_cum_sum}; }

}  // namespace trtutils::ops::detection
