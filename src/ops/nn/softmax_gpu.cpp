// GPU lowerings of Softmax and LogSoftmax: one block per row, the row's max
// and sum of exponentials in f32 (f64 for f64). Rows as in softmax.cpp:
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
