#include "ops/nn/nn_gpu.hpp"

#include <cmath>
#include <cstdio>

#include "ops/support.hpp"
#include "trtutils/core/error.hpp"

namespace trtutils::ops::nn::gpu_lowering {

std::string accumulator_type(DType dtype) {
  if (dtype == DType::kFloat64) return "double";
  if (is_integer(dtype) || dtype == DType::kBool) return "long long";
  return "float";
}

std::string ll_array(const std::vector<std::int64_t>& values) {
  if (values.empty()) return "{0LL}";
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(values[i]) + "LL";
  }
  return out + "}";
}

std::string double_literal(double value) {
  if (std::isnan(value)) return "(0.0/0.0)";
  if (std::isinf(value)) return value > 0 ? "(1.0/0.0)" : "(-1.0/0.0)";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  std::string text = buffer;
  if (text.find_first_of(".eE") == std::string::npos) text += ".0";
  return "(" + text + ")";
}

std::string lowest_literal(DType dtype) {
  switch (dtype) {
    case DType::kUInt8:
      return "0";
    case DType::kInt8:
      return "(-128)";
    case DType::kInt32:
      return "(-2147483647 - 1)";
    case DType::kInt64:
      return "(-9223372036854775807LL - 1)";
    case DType::kBool:
      return "0";
    case DType::kFloat64:
      return "(-1.0/0.0)";
    default:
      return "(-1.0f/0.0f)";
  }
}

const std::string& block_reduce_source() {
  // Warp shuffles, then one value per warp through shared memory. T is
  // float, double or long long (all have __shfl_xor_sync overloads).
  static const std::string source = R"(
template <typename T, typename Op>
__device__ __forceinline__ T trt_block_reduce(T v, T* shared, Op op) {
  const unsigned lane = threadIdx.x & 31u;
  const unsigned warp = threadIdx.x >> 5;
  for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
  __syncthreads();
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  // Combine the per-warp partials serially: padding the second shuffle
  // round with a non-identity value would count some partials twice.
  if (threadIdx.x == 0) {
    const unsigned warps = (blockDim.x + 31u) >> 5;
    T total = shared[0];
    for (unsigned w = 1; w < warps; ++w) total = op(total, shared[w]);
    shared[0] = total;
  }
  __syncthreads();
  v = shared[0];
  __syncthreads();
  return v;
}
struct TrtSum { template <typename T> __device__ T operator()(T a, T b) const { return a + b; } };
struct TrtMax {
  template <typename T> __device__ T operator()(T a, T b) const { return a < b ? b : (b < a ? a : (a != a ? a : b)); }
};
template <typename T> __device__ T trt_block_sum(T v, T* shared) { return trt_block_reduce(v, shared, TrtSum()); }
template <typename T> __device__ T trt_block_max(T v, T* shared) { return trt_block_reduce(v, shared, TrtMax()); }
)";
  return source;
}

KernelLaunch make_launch(const std::string& source, const std::string& entry) {
  KernelLaunch launch;
  launch.source = ops::gpu::kernel_preamble() + source;
  launch.entry = entry;
  return launch;
}

GpuTensor cast_to(LoweringContext& ctx, const GpuTensor& tensor, DType dtype,
                  const std::string& name) {
  if (tensor.dtype == dtype) return tensor;
  GpuTensor out = ctx.add_scratch(dtype, tensor.shape);
  const std::string source = "extern \"C\" __global__ void trt_nn_cast(const " +
                             ops::gpu::cuda_type(tensor.dtype) + "* x, " +
                             ops::gpu::cuda_type(dtype) +
                             "* y, long long n) {\n"
                             "  for (long long i = trt_tid(); i < n; i += trt_stride()) y[i] = " +
                             ops::gpu::convert_expr(tensor.dtype, dtype, "x[i]") + ";\n}\n";
  KernelLaunch launch = make_launch(source, "trt_nn_cast");
  ops::gpu::set_linear_launch(launch, tensor.element_count());
  launch.arguments = {KernelArgument::pointer_to(tensor), KernelArgument::pointer_to(out),
                      KernelArgument::scalar<long long>(tensor.element_count())};
  ctx.emit_kernel(name, std::move(launch));
  return out;
}

GpuTensor expand_to(LoweringContext& ctx, const GpuTensor& tensor, const Shape& shape,
                    const std::string& name) {
  if (tensor.shape == shape) return tensor;
  GpuTensor out = ctx.add_scratch(tensor.dtype, shape);
  const std::vector<std::int64_t> strides = broadcast_strides(tensor.shape, shape);
  const std::string type = ops::gpu::cuda_type(tensor.dtype);
  const std::string source = "__device__ const long long kShape[] = " + ll_array(shape) +
                             ";\n__device__ const long long kStrides[] = " + ll_array(strides) +
                             ";\nconstexpr int kRank = " + std::to_string(shape.size()) +
                             ";\nextern \"C\" __global__ void trt_nn_expand(const " + type +
                             "* x, " + type +
                             "* y, long long n) {\n"
                             "  for (long long i = trt_tid(); i < n; i += trt_stride()) {\n"
                             "    long long rem = i, at = 0;\n"
                             "    for (int d = kRank - 1; d >= 0; --d) { at += (rem % kShape[d]) * "
                             "kStrides[d]; rem /= kShape[d]; }\n"
                             "    y[i] = x[at];\n"
                             "  }\n}\n";
  KernelLaunch launch = make_launch(source, "trt_nn_expand");
  ops::gpu::set_linear_launch(launch, out.element_count());
  launch.arguments = {KernelArgument::pointer_to(tensor), KernelArgument::pointer_to(out),
                      KernelArgument::scalar<long long>(out.element_count())};
  ctx.emit_kernel(name, std::move(launch));
  return out;
}

std::string layer_name(const LoweringContext& ctx, const std::string& suffix) {
  const std::string& base = ctx.node().name().empty() ? ctx.node().op_type() : ctx.node().name();
  return base + "/" + suffix;
}

GpuTensor required_input(const LoweringContext& ctx, std::size_t i, const char* what) {
  if (!ctx.has_input(i)) ctx.fail(detail::concat("input ", i, " (", what, ") is missing"));
  return ctx.input(i);
}

}  // namespace trtutils::ops::nn::gpu_lowering
