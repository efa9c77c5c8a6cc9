// GPU lowering of Einsum (https://onnx.ai/onnx/operators/onnx__Einsum.html):
// one generated kernel, one thread per output element, looping over every
// combination of the summed labels. The label extents and per-operand
// strides (broadcast, diagonals) come from einsum_layout, shared with the CPU
// reference. Correct first: contractions that are plain (batched) matrix
// products are better written as MatMul by the exporter.
#include "ops/nn/nn_gpu.hpp"
#include "ops/nn/nn_ops.hpp"

namespace trtutils::ops::nn {
namespace {

using namespace gpu_lowering;

void lower_einsum(LoweringContext& ctx) {
  const GpuTensor y = ctx.output(0);
  std::vector<GpuTensor> inputs;
  std::vector<Shape> shapes;
  for (std::size_t i = 0; i < ctx.input_count(); ++i) {
    inputs.push_back(required_input(ctx, i, "operand"));
    shapes.push_back(inputs.back().shape);
  }
  if (inputs.empty()) ctx.fail("Einsum needs at least one input");
  const EinsumLayout layout = einsum_layout(ctx.node(), shapes);
  const Shape out(layout.space.begin(),
                  layout.space.begin() + static_cast<std::ptrdiff_t>(layout.output_rank));
  if (element_count(out) != y.element_count())
    ctx.fail(
        detail::concat("output shape ", shape_to_string(y.shape), " disagrees with the equation"));
  if (y.element_count() == 0) return;
  const Shape reduced(layout.space.begin() + static_cast<std::ptrdiff_t>(layout.output_rank),
                      layout.space.end());
  const std::string acc = accumulator_type(y.dtype);
  std::string source =
      "__device__ const long long kOut[] = " + ll_array(out) +
      ";\n__device__ const long long kReduced[] = " + ll_array(reduced) +
      ";\nconstexpr int kOutRank = " + std::to_string(out.size()) +
      ";\nconstexpr int kReducedRank = " + std::to_string(reduced.size()) +
      ";\nconstexpr long long kReducedSize = " + std::to_string(element_count(reduced)) + "LL;\n";
  std::string params;
  std::string out_offsets;
  std::string reduced_offsets;
  std::string term = "(" + acc + ")1";
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::string n = std::to_string(i);
    const std::vector<std::int64_t>& s = layout.strides[i];
    source += "__device__ const long long kOutStride" + n + "[] = " +
              ll_array(std::vector<std::int64_t>(
                  s.begin(), s.begin() + static_cast<std::ptrdiff_t>(layout.output_rank))) +
              ";\n__device__ const long long kReducedStride" + n + "[] = " +
              ll_array(std::vector<std::int64_t>(
                  s.begin() + static_cast<std::ptrdiff_t>(layout.output_rank), s.end())) +
              ";\n";
    params += "const " + ops::gpu::cuda_type(inputs[i].dtype) + "* x" + n + ", ";
    out_offsets += "      base" + n + " += q * kOutStride" + n + "[d];\n";
    reduced_offsets += "        at" + n + " += q * kReducedStride" + n + "[d];\n";
    term += " * (" + acc + ")" + ops::gpu::load_expr(inputs[i].dtype, "x" + n + "[at" + n + "]");
  }
  std::string declare_base;
  std::string declare_at;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    declare_base += "    long long base" + std::to_string(i) + " = 0;\n";
    declare_at += "      long long at" + std::to_string(i) + " = base" + std::to_string(i) + ";\n";
  }
  source += "extern \"C\" __global__ void trt_einsum(" + params + ops::gpu::cuda_type(y.dtype) +
            "* y, long long n) {\n"
            "  for (long long i = trt_tid(); i < n; i += trt_stride()) {\n" +
            declare_base +
            "    long long rem = i;\n"
            "    for (int d = kOutRank - 1; d >= 0; --d) {\n"
            "      const long long q = rem % kOut[d];\n"
            "      rem /= kOut[d];\n" +
            out_offsets +
            "    }\n"
            "    " +
            acc +
            " sum = 0;\n"
            "    for (long long r = 0; r < kReducedSize; ++r) {\n" +
            declare_at +
            "      long long left = r;\n"
            "      for (int d = kReducedRank - 1; d >= 0; --d) {\n"
            "        const long long q = left % kReduced[d];\n"
            "        left /= kReduced[d];\n" +
            reduced_offsets +
            "      }\n"
            "      sum += " +
            term +
            ";\n"
            "    }\n"
            "    y[i] = " +
            ops::gpu::store_expr(y.dtype, "sum") + ";\n  }\n}\n";
  KernelLaunch launch = make_launch(source, "trt_einsum");
  ops::gpu::set_linear_launch(launch, y.element_count());
  for (const GpuTensor& t : inputs) launch.arguments.push_back(KernelArgument::pointer_to(t));
  launch.arguments.push_back(KernelArgument::pointer_to(y));
  launch.arguments.push_back(KernelArgument::scalar<long long>(y.element_count()));
  ctx.emit_kernel(layer_name(ctx, "einsum"), std::move(launch));
}

}  // namespace

GpuLowerFn einsum_gpu_lowering() { return lower_einsum; }

}  // namespace trtutils::ops::nn
