// GPU lowerings of MaxPool, AveragePool (one thread per output element, the
// taps of window.hpp's for_each_tap: ceil_mode overhang, count_include_pad
// and dilations exactly as the CPU references in pool.cpp) and of
// GlobalAveragePool / GlobalMaxPool (one block per (n, c) plane, f32
// reduction for f16/bf16).
#include "ops/nn/nn_gpu.hpp"
#include "ops/nn/nn_ops.hpp"
#include "ops/nn/window.hpp"

namespace trtutils::ops::nn {
namespace {

using namespace gpu_lowering;

struct PoolGeometry {
  Window window;
  Shape in_spatial;
  Shape out_spatial;
  std::int64_t planes = 0;
};

PoolGeometry pool_geometry(const LoweringContext& ctx, const GpuTensor& x) {
  if (x.shape.size() < 3) ctx.fail("X must have rank >= 3");
  const std::vector<std::int64_t> kernel = ctx.node().attributes().get_ints("kernel_shape");
  if (kernel.size() != x.shape.size() - 2)
    ctx.fail("kernel_shape needs one value per spatial axis");
  PoolGeometry g;
  // ceil_mode arrived in opset 10 for both pools (as in pool.cpp).
  g.window = read_window(ctx.node(), kernel, ctx.opset() >= 10);
  g.in_spatial.assign(x.shape.begin() + 2, x.shape.end());
  resolve_pads(g.window, g.in_spatial);
  for (std::size_t d = 0; d < g.window.rank(); ++d)
    g.out_spatial.push_back(output_extent(g.window, d, g.in_spatial[d]));
  g.planes = x.shape[0] * x.shape[1];
  return g;
}

/// Constants and the per-output decode shared by both windowed pools; after
/// it the kernel body has `o[]`, `plane` and loops `tap` over the kernel,
/// with `at` (row-major spatial index), `inside` (all dims in the input) and
/// `past` (some dim beyond the end pad).
std::string window_prelude(const PoolGeometry& g) {
  return "__device__ const long long kIn[] = " + ll_array(g.in_spatial) +
         ";\n__device__ const long long kOut[] = " + ll_array(g.out_spatial) +
         ";\n__device__ const long long kKernel[] = " + ll_array(g.window.kernel) +
         ";\n__device__ const long long kStrides[] = " + ll_array(g.window.strides) +
         ";\n__device__ const long long kDilations[] = " + ll_array(g.window.dilations) +
         ";\n__device__ const long long kPadsBegin[] = " + ll_array(g.window.pads_begin) +
         ";\n__device__ const long long kPadsEnd[] = " + ll_array(g.window.pads_end) +
         ";\nconstexpr int kRank = " + std::to_string(g.window.rank()) +
         ";\nconstexpr long long kInSize = " + std::to_string(element_count(g.in_spatial)) +
         "LL, kOutSize = " + std::to_string(element_count(g.out_spatial)) +
         "LL, kKernelSize = " + std::to_string(element_count(g.window.kernel)) + "LL;\n";
}

const char* kTapLoopHead =
    "    long long rem = i;\n"
    "    long long o[kRank];\n"
    "    for (int d = kRank - 1; d >= 0; --d) { o[d] = rem % kOut[d]; rem /= kOut[d]; }\n"
    "    const long long plane = rem;\n"
    "    for (long long tap = 0; tap < kKernelSize; ++tap) {\n"
    "      long long k = tap, at = 0, scale = 1;\n"
    "      bool inside = true, past = false;\n"
    "      for (int d = kRank - 1; d >= 0; --d) {\n"
    "        const long long pos = o[d] * kStrides[d] - kPadsBegin[d] + (k % kKernel[d]) * "
    "kDilations[d];\n"
    "        k /= kKernel[d];\n"
    "        if (pos < 0 || pos >= kIn[d]) inside = false;\n"
    "        if (pos >= kIn[d] + kPadsEnd[d]) past = true;\n"
    "        at += pos * scale;\n"
    "        scale *= kIn[d];\n"
    "      }\n";

void lower_max_pool(LoweringContext& ctx) {
  const GpuTensor x = required_input(ctx, 0, "X");
  const GpuTensor y = ctx.output(0);
  const GpuTensor indices = ctx.output_count() > 1 ? ctx.output(1) : GpuTensor{};
  const PoolGeometry g = pool_geometry(ctx, x);
  const bool column_major = ctx.node().attributes().get_int("storage_order", 0) != 0;
  const std::string acc = ops::gpu::cuda_compute_type(x.dtype);
  std::string source = window_prelude(g) + "extern \"C\" __global__ void trt_max_pool(const " +
                       ops::gpu::cuda_type(x.dtype) + "* x, " + ops::gpu::cuda_type(y.dtype) +
                       "* y, long long* indices, long long n) {\n"
                       "  for (long long i = trt_tid(); i < n; i += trt_stride()) {\n" +
                       acc + " best = (" + acc + ")" + lowest_literal(x.dtype) +
                       ";\n    long long best_at = -1;\n" + kTapLoopHead +
                       "      if (!inside) continue;\n"
                       "      const " +
                       acc + " v = " + ops::gpu::load_expr(x.dtype, "x[plane * kInSize + at]") +
                       ";\n"
                       "      if (best_at < 0 || v > best) { best = v; best_at = at; }\n"
                       "    }\n"
                       "    y[i] = " +
                       ops::gpu::store_expr(y.dtype, "best") + ";\n";
  if (indices.present()) {
    if (indices.dtype != DType::kInt64) ctx.fail("Indices must be int64");
    source += "    long long index = best_at;\n";
    if (column_major) {
      // storage_order = 1: the index counts the spatial dims column-major.
      source +=
          "    if (best_at >= 0) {\n"
          "      long long r = best_at, scale = 1; index = 0;\n"
          "      long long c[kRank];\n"
          "      for (int d = kRank - 1; d >= 0; --d) { c[d] = r % kIn[d]; r /= kIn[d]; }\n"
          "      for (int d = 0; d < kRank; ++d) { index += c[d] * scale; scale *= kIn[d]; }\n"
          "    }\n";
    }
    source += "    indices[i] = best_at < 0 ? -1 : plane * kInSize + index;\n";
  }
  source += "  }\n}\n";
  KernelLaunch launch = make_launch(source, "trt_max_pool");
  ops::gpu::set_linear_launch(launch, y.element_count());
  launch.arguments = {KernelArgument::pointer_to(x), KernelArgument::pointer_to(y),
                      indices.present() ? KernelArgument::pointer_to(indices)
                                        : KernelArgument::scalar<std::uint64_t>(0),
                      KernelArgument::scalar<long long>(y.element_count())};
  ctx.emit_kernel(layer_name(ctx, "max_pool"), std::move(launch));
}

void lower_average_pool(LoweringContext& ctx) {
  const GpuTensor x = required_input(ctx, 0, "X");
  const GpuTensor y = ctx.output(0);
  const PoolGeometry g = pool_geometry(ctx, x);
  // Pads count in the divisor with count_include_pad = 1; positions past the
  // end pad (ceil_mode overhang) never do.
  const bool include_pad = ctx.node().attributes().get_int("count_include_pad", 0) != 0;
  const std::string acc = accumulator_type(x.dtype) == "double" ? "double" : "float";
  const std::string source =
      window_prelude(g) + "extern \"C\" __global__ void trt_average_pool(const " +
      ops::gpu::cuda_type(x.dtype) + "* x, " + ops::gpu::cuda_type(y.dtype) +
      "* y, long long n) {\n"
      "  for (long long i = trt_tid(); i < n; i += trt_stride()) {\n    " +
      acc + " sum = 0;\n    long long divisor = 0;\n" + kTapLoopHead +
      "      if (inside) sum += (" + acc + ")" +
      ops::gpu::load_expr(x.dtype, "x[plane * kInSize + at]") +
      ";\n"
      "      if (inside || (" +
      (include_pad ? "true" : "false") +
      " && !past)) ++divisor;\n"
      "    }\n"
      "    y[i] = " +
      ops::gpu::store_expr(y.dtype, "divisor > 0 ? sum / (" + acc + ")divisor : (" + acc + ")0") +
      ";\n  }\n}\n";
  KernelLaunch launch = make_launch(source, "trt_average_pool");
  ops::gpu::set_linear_launch(launch, y.element_count());
  launch.arguments = {KernelArgument::pointer_to(x), KernelArgument::pointer_to(y),
                      KernelArgument::scalar<long long>(y.element_count())};
  ctx.emit_kernel(layer_name(ctx, "average_pool"), std::move(launch));
}

template <bool kMax>
void lower_global_pool(LoweringContext& ctx) {
  const GpuTensor x = required_input(ctx, 0, "X");
  const GpuTensor y = ctx.output(0);
  if (x.shape.size() < 3) ctx.fail("X must have rank >= 3 ([N, C, spatial...])");
  const std::int64_t planes = x.shape[0] * x.shape[1];
  if (planes == 0) return;
  const std::int64_t size = element_count(Shape(x.shape.begin() + 2, x.shape.end()));
  const std::string acc = kMax ? ops::gpu::cuda_compute_type(x.dtype)
                               : (accumulator_type(x.dtype) == "double" ? "double" : "float");
  const std::string reduce = kMax ? "trt_block_max" : "trt_block_sum";
  const std::string start = kMax ? "(" + acc + ")" + lowest_literal(x.dtype) : "(" + acc + ")0";
  const std::string combine = kMax ? "if (v > r) r = v;" : "r += v;";
  // Empty planes give 0, as the CPU reference does.
  const std::string result = kMax ? "r" : "r / (" + acc + ")size";
  const std::string source =
      block_reduce_source() + "extern \"C\" __global__ void trt_global_pool(const " +
      ops::gpu::cuda_type(x.dtype) + "* x, " + ops::gpu::cuda_type(y.dtype) +
      "* y, long long size) {\n"
      "  __shared__ " +
      acc +
      " shared[32];\n"
      "  const " +
      ops::gpu::cuda_type(x.dtype) +
      "* row = x + (long long)blockIdx.x * size;\n"
      "  " +
      acc + " r = " + start +
      ";\n"
      "  for (long long i = threadIdx.x; i < size; i += blockDim.x) {\n"
      "    const " +
      acc + " v = " + ops::gpu::load_expr(x.dtype, "row[i]") + ";\n    " + combine +
      "\n  }\n"
      "  r = " +
      reduce +
      "(r, shared);\n"
      "  if (threadIdx.x == 0) y[blockIdx.x] = " +
      ops::gpu::store_expr(y.dtype, "size > 0 ? " + result + " : (" + acc + ")0") + ";\n}\n";
  KernelLaunch launch = make_launch(source, "trt_global_pool");
  launch.grid = {static_cast<std::uint32_t>(planes), 1, 1};
  launch.block = {kBlockThreads, 1, 1};
  launch.arguments = {KernelArgument::pointer_to(x), KernelArgument::pointer_to(y),
                      KernelArgument::scalar<long long>(size)};
  ctx.emit_kernel(layer_name(ctx, kMax ? "global_max_pool" : "global_average_pool"),
                  std::move(launch));
}

}  // namespace

GpuLowerFn max_pool_gpu_lowering() { return lower_max_pool; }
GpuLowerFn average_pool_gpu_lowering() { return lower_average_pool; }
GpuLowerFn global_average_pool_gpu_lowering() { return lower_global_pool<false>; }
GpuLowerFn global_max_pool_gpu_lowering() { return lower_global_pool<true>; }

}  // namespace trtutils::ops::nn
