// GPU lowerings of Softmax and LogSoftmax: the row's max and sum of
// exponentials in f32 (f64 for f64). Contiguous rows of at most
// kWarpRowLimit elements (attention scores: 197 for a ViT-B/16) run one warp
// per row with the row held in registers: read once, shuffles instead of
// block barriers, eight rows per block. Short strided rows (at most
// kColumnLimit elements `inner` apart, e.g. YOLOv8's DFL softmax over 16
// bins) run one thread per row, neighbouring threads on neighbouring
// columns so that every access is coalesced. Other rows run one block per row.
// Rows as in softmax.cpp:
// opset < 13 coerces X to 2-D [prod(dims[:axis]), prod(dims[axis:])] (rows
// contiguous); opset >= 13 normalises along `axis` alone, so a row is
// `length` elements `inner` apart.
#include <algorithm>

#include "ops/nn/nn_gpu.hpp"
#include "ops/nn/nn_ops.hpp"
#include "ops/support.hpp"

namespace trtutils::ops::nn {
namespace {

using namespace gpu_lowering;

constexpr std::int64_t kWarpRowLimit = 1024;  // 32 values per lane at most
constexpr std::uint32_t kWarpRowsPerBlock = 8;
constexpr std::int64_t kColumnLimit = 64;     // values a thread holds in registers

/// One thread per strided row of `length` (a constant: the row lives in
/// registers); rows are numbered so that consecutive threads take
/// consecutive columns of the same outer index.
template <bool kLog>
KernelLaunch column_softmax(DType x_dtype, DType y_dtype, std::int64_t rows, std::int64_t length) {
  const std::string t = x_dtype == DType::kFloat64 ? "double" : "float";
  const std::string f = t == "float" ? "f" : "";
  const std::string n = std::to_string(length);
  const std::string result =
      kLog ? "v[k] - max - log" + f + "(sum)" : "exp" + f + "(v[k] - max) / sum";
  const std::string source =
      "extern \"C\" __global__ void trt_softmax_columns(const " + ops::gpu::cuda_type(x_dtype) +
      "* x, " + ops::gpu::cuda_type(y_dtype) +
      "* y, long long rows, long long inner) {\n"
      "  for (long long row = trt_tid(); row < rows; row += trt_stride()) {\n"
      "    const long long base = (row / inner) * " + n + "LL * inner + row % inner;\n"
      "    " + t + " v[" + n + "];\n"
      "    " + t + " max = (" + t + ")" +
      lowest_literal(t == "double" ? DType::kFloat64 : DType::kFloat32) + ";\n"
      "#pragma unroll\n"
      "    for (int k = 0; k < " + n + "; ++k) {\n"
      "      v[k] = (" + t + ")" + ops::gpu::load_expr(x_dtype, "x[base + k * inner]") + ";\n"
      "      if (v[k] > max) max = v[k];\n"
      "    }\n"
      "    " + t + " sum = 0;\n"
      "#pragma unroll\n"
      "    for (int k = 0; k < " + n + "; ++k) sum += exp" + f + "(v[k] - max);\n"
      "#pragma unroll\n"
      "    for (int k = 0; k < " + n + "; ++k) y[base + k * inner] = " +
      ops::gpu::store_expr(y_dtype, result) + ";\n"
      "  }\n}\n";
  KernelLaunch launch = make_launch(source, "trt_softmax_columns");
  ops::gpu::set_linear_launch(launch, rows);
  return launch;
}

/// One warp per contiguous row of `length` (a constant of the source, so
/// the per-lane loops unroll).
template <bool kLog>
KernelLaunch warp_row_softmax(DType x_dtype, DType y_dtype, std::int64_t rows,
                              std::int64_t length) {
  const std::int64_t per_lane = (length + 31) / 32;
  const std::string lowest = lowest_literal(DType::kFloat32);
  const std::string value = ops::gpu::load_expr(x_dtype, "xr[k]");
  // Softmax keeps exp(v - max) per lane; LogSoftmax keeps v - max.
  const std::string kept = kLog ? "v[i] - max" : "expf(v[i] - max)";
  const std::string summand = kLog ? "expf(v[i])" : "v[i]";
  const std::string result = kLog ? "v[i] - logf(sum)" : "v[i] * inv_sum";
  std::string source;
  source += "#define LENGTH " + std::to_string(length) + "\n";
  source += "#define PER_LANE " + std::to_string(per_lane) + "\n";
  source += "extern \"C\" __global__ void trt_softmax(const " + ops::gpu::cuda_type(x_dtype) +
            "* x, " + ops::gpu::cuda_type(y_dtype) + "* y, long long rows) {\n";
  source += "  const long long row = (long long)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;\n";
  source += "  if (row >= rows) return;\n";
  source += "  const int lane = threadIdx.x & 31;\n";
  source += "  const " + ops::gpu::cuda_type(x_dtype) + "* xr = x + row * LENGTH;\n";
  source += "  " + ops::gpu::cuda_type(y_dtype) + "* yr = y + row * LENGTH;\n";
  source += "  float v[PER_LANE];\n";
  source += "  float max = " + lowest + ";\n";
  source += "#pragma unroll\n";
  source += "  for (int i = 0; i < PER_LANE; ++i) {\n";
  source += "    const int k = lane + i * 32;\n";
  source += "    v[i] = k < LENGTH ? (float)" + value + " : " + lowest + ";\n";
  source += "    max = fmaxf(max, v[i]);\n";
  source += "  }\n";
  source += "#pragma unroll\n";
  source += "  for (int o = 16; o > 0; o >>= 1) max = fmaxf(max, __shfl_xor_sync(0xffffffffu, max, o));\n";
  source += "  float sum = 0.0f;\n";
  source += "#pragma unroll\n";
  source += "  for (int i = 0; i < PER_LANE; ++i) {\n";
  source += "    v[i] = " + kept + ";\n";
  source += "    if (lane + i * 32 < LENGTH) sum += " + summand + ";\n";
  source += "  }\n";
  source += "#pragma unroll\n";
  source += "  for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);\n";
  source += "  const float inv_sum = 1.0f / sum;\n";
  source += "  (void)inv_sum;\n";
  source += "#pragma unroll\n";
  source += "  for (int i = 0; i < PER_LANE; ++i) {\n";
  source += "    const int k = lane + i * 32;\n";
  source += "    if (k < LENGTH) yr[k] = " + ops::gpu::store_expr(y_dtype, result) + ";\n";
  source += "  }\n}\n";
  KernelLaunch launch = make_launch(source, "trt_softmax");
  launch.grid = {static_cast<std::uint32_t>((rows + kWarpRowsPerBlock - 1) / kWarpRowsPerBlock),
                 1, 1};
  launch.block = {32 * kWarpRowsPerBlock, 1, 1};
  return launch;
}

template <bool kLog>
void lower_softmax(LoweringContext& ctx) {
  const GpuTensor x = required_input(ctx, 0, "input");
  const GpuTensor y = ctx.output(0);
  if (x.element_count() == 0) return;
  const bool per_axis = ctx.opset() >= 13;
  const auto rank = x.shape.size();
  const auto axis = static_cast<std::size_t>(
      normalize_axis(ctx.node().attributes().get_int("axis", per_axis ? -1 : 1),
                     static_cast<std::int64_t>(rank), ctx.node()));
  const auto product = [&](std::size_t begin, std::size_t end) {
    std::int64_t p = 1;
    for (std::size_t d = begin; d < end; ++d) p *= x.shape[d];
    return p;
  };
  const std::int64_t outer = product(0, axis);
  const std::int64_t length =
      per_axis ? product(axis, std::min(axis + 1, rank)) : product(axis, rank);
  const std::int64_t inner = per_axis ? product(std::min(axis + 1, rank), rank) : 1;
  if (inner == 1 && length <= kWarpRowLimit && x.dtype != DType::kFloat64) {
    KernelLaunch launch = warp_row_softmax<kLog>(x.dtype, y.dtype, outer, length);
    launch.arguments = {KernelArgument::pointer_to(x), KernelArgument::pointer_to(y),
                        KernelArgument::scalar<long long>(outer)};
    ctx.emit_kernel(layer_name(ctx, kLog ? "log_softmax" : "softmax"), std::move(launch));
    return;
  }
  if (inner > 1 && length <= kColumnLimit) {
    KernelLaunch launch = column_softmax<kLog>(x.dtype, y.dtype, outer * inner, length);
    launch.arguments = {KernelArgument::pointer_to(x), KernelArgument::pointer_to(y),
                        KernelArgument::scalar<long long>(outer * inner),
                        KernelArgument::scalar<long long>(inner)};
    ctx.emit_kernel(layer_name(ctx, kLog ? "log_softmax" : "softmax"), std::move(launch));
    return;
  }
  const std::string t = x.dtype == DType::kFloat64 ? "double" : "float";
  const std::string f = t == "float" ? "f" : "";
  const std::string value = "(" + t + ")" + ops::gpu::load_expr(x.dtype, "xr[k * inner]");
  const std::string result = kLog ? "v - max - log" + f + "(sum)" : "exp" + f + "(v - max) / sum";
  const std::string source =
      block_reduce_source() + "extern \"C\" __global__ void trt_softmax(const " +
      ops::gpu::cuda_type(x.dtype) + "* x, " + ops::gpu::cuda_type(y.dtype) +
      "* y, long long length, long long inner) {\n"
      "  __shared__ " +
      t +
      " shared[32];\n"
      "  const long long row = blockIdx.x;\n"
      "  const long long base = (row / inner) * length * inner + row % inner;\n"
      "  const " +
      ops::gpu::cuda_type(x.dtype) +
      "* xr = x + base;\n"
      "  " +
      ops::gpu::cuda_type(y.dtype) +
      "* yr = y + base;\n"
      "  " +
      t + " max = (" + t + ")" + lowest_literal(t == "double" ? DType::kFloat64 : DType::kFloat32) +
      ";\n"
      "  for (long long k = threadIdx.x; k < length; k += blockDim.x) { const " +
      t + " v = " + value +
      "; if (v > max) max = v; }\n"
      "  max = trt_block_max(max, shared);\n"
      "  " +
      t +
      " sum = 0;\n"
      "  for (long long k = threadIdx.x; k < length; k += blockDim.x) sum += exp" +
      f + "(" + value +
      " - max);\n"
      "  sum = trt_block_sum(sum, shared);\n"
      "  for (long long k = threadIdx.x; k < length; k += blockDim.x) {\n"
      "    const " +
      t + " v = " + value +
      ";\n"
      "    yr[k * inner] = " +
      ops::gpu::store_expr(y.dtype, result) +
      ";\n"
      "  }\n}\n";
  KernelLaunch launch = make_launch(source, "trt_softmax");
  launch.grid = {static_cast<std::uint32_t>(std::max<std::int64_t>(1, outer * inner)), 1, 1};
  launch.block = {length <= 32 ? 32u : length <= 128 ? 128u : kBlockThreads, 1, 1};
  launch.arguments = {KernelArgument::pointer_to(x), KernelArgument::pointer_to(y),
                      KernelArgument::scalar<long long>(length),
                      KernelArgument::scalar<long long>(inner)};
  ctx.emit_kernel(layer_name(ctx, kLog ? "log_softmax" : "softmax"), std::move(launch));
}

}  // namespace

GpuLowerFn softmax_gpu_lowering() { return lower_softmax<false>; }
GpuLowerFn log_softmax_gpu_lowering() { return lower_softmax<true>; }

}  // namespace trtutils::ops::nn
