// Trilu (ONNX Trilu-14): keeps the upper (upper = 1, default) or lower
// triangle of the last two axes and zeroes the rest. For element (i, j) and
// diagonal offset k (optional 0-d i64 input, default 0): upper keeps
// j - i >= k, lower keeps j - i <= k.
#include <cstring>

#include "ops/detection/detection_ops.hpp"
#include "ops/image/kernel_text.hpp"
#include "ops/support.hpp"
#include "trtutils/ops/gpu_lowering.hpp"

namespace trtutils::ops::detection {
namespace {

void infer_trilu(InferContext& ctx) {
  const ir::MaybeShape& shape = ctx.input_shape(0);
  if (shape && shape->size() < 2)
    ctx.fail(detail::concat("input must have rank >= 2, got ", ir::to_string(shape)));
  ctx.set_output(0, ctx.input_dtype(0), shape);
}

std::vector<HostTensor> run_trilu(const CpuContext& ctx) {
  const HostTensor& x = ctx.input(0);
  if (x.rank() < 2)
    ctx.fail(detail::concat("input must have rank >= 2, got ", shape_to_string(x.shape())));
  std::int64_t k = 0;
  if (ctx.has_input(1) && ctx.input(1).element_count() > 0) {
    const std::vector<std::int64_t> kv = read_ints(ctx.input(1));
    if (kv.size() != 1) ctx.fail("k must hold exactly one value");
    k = kv[0];
  }
  const bool upper = ctx.attributes().get_int("upper", 1) != 0;
  const std::int64_t rows = x.shape()[x.shape().size() - 2];
  const std::int64_t cols = x.shape()[x.shape().size() - 1];
  HostTensor out(x.shape(), x.dtype());  // zero-filled
  const std::size_t e = dtype_size(x.dtype());
  const auto* src = static_cast<const std::byte*>(x.data());
  auto* dst = static_cast<std::byte*>(out.data());
  const std::int64_t matrices = rows * cols == 0 ? 0 : x.element_count() / (rows * cols);
  for (std::int64_t m = 0; m < matrices; ++m) {
    for (std::int64_t i = 0; i < rows; ++i) {
      for (std::int64_t j = 0; j < cols; ++j) {
        const bool keep = upper ? j - i >= k : j - i <= k;
        if (!keep) continue;
        const auto at = static_cast<std::size_t>((m * rows + i) * cols + j) * e;
        std::memcpy(dst + at, src + at, e);
      }
    }
  }
  return {std::move(out)};
}

// --- GPU lowering: one thread per element; k must be known at build time. ---
void lower_trilu(LoweringContext& ctx) {
  const GpuTensor x = ctx.input(0);
  const GpuTensor y = ctx.output(0);
  if (x.shape.size() < 2) ctx.fail("input must have rank >= 2, got " + shape_to_string(x.shape));
  std::int64_t k = 0;
  if (const HostTensor* kt = gpu::build_time_input(ctx, 1, "k")) {
    const std::vector<std::int64_t> kv = read_ints(*kt);
    if (kv.size() != 1) ctx.fail("k must hold exactly one value");
    k = kv[0];
  }
  const bool upper = ctx.node().attributes().get_int("upper", 1) != 0;
  const std::int64_t rows = x.shape[x.shape.size() - 2];
  const std::int64_t cols = x.shape[x.shape.size() - 1];
  const std::string entry = gpu::entry_name(ctx, "trilu");
  const std::string source =
      gpu::kernel_preamble() +
      gpu::substitute(
          R"(
extern "C" __global__ void $ENTRY(const $T* __restrict__ x, $T* __restrict__ y) {
  const long long ROWS = $ROWS, COLS = $COLS, K = $K;
  for (long long linear = trt_tid(); linear < $TOTAL; linear += trt_stride()) {
    const long long j = linear % COLS, i = (linear / COLS) % ROWS;
    const bool keep = $KEEP;
    y[linear] = keep ? x[linear] : $ZERO;
  }
}
)",
          {{"ENTRY", entry},
           {"T", gpu::cuda_type(x.dtype)},
           {"ROWS", gpu::int_literal(std::max<std::int64_t>(rows, 1))},
           {"COLS", gpu::int_literal(std::max<std::int64_t>(cols, 1))},
           {"K", gpu::int_literal(k)},
           {"TOTAL", gpu::int_literal(y.element_count())},
           {"KEEP", upper ? "j - i >= K" : "j - i <= K"},
           {"ZERO", x.dtype == DType::kBool ? "false" : gpu::store_expr(x.dtype, "0")}});
  KernelLaunch launch;
  launch.source = source;
  launch.entry = entry;
  gpu::set_linear_launch(launch, y.element_count());
  launch.arguments = {KernelArgument::pointer_to(x), KernelArgument::pointer_to(y)};
  ctx.emit_kernel(ctx.node().name() + ".trilu", std::move(launch));
}

}  // namespace

OpSchema trilu_schema() { return {"Trilu", "", infer_trilu, run_trilu, lower_trilu}; }

}  // namespace trtutils::ops::detection
