// GPU lowering of ConvTranspose
// (https://onnx.ai/onnx/operators/onnx__ConvTranspose.html) as one generated
// kernel in the gather formulation: each thread owns one output element and
// sums x[n, c, i] * w[c, m, k] over the taps with i * stride + k * dilation -
// pad_begin == o, so no atomics are needed. Geometry (output extents and the
// pads output_shape / auto_pad imply) comes from window.hpp, as in the CPU
// reference. The fused activation (fusion_attributes.hpp) is applied before
// the store.
#include "ops/nn/fused_epilogue.hpp"
#include "ops/nn/nn_gpu.hpp"
#include "ops/nn/nn_ops.hpp"
#include "ops/nn/window.hpp"

namespace trtutils::ops::nn {
namespace {

using namespace gpu_lowering;

void lower_conv_transpose(LoweringContext& ctx) {
  const GpuTensor x = required_input(ctx, 0, "X");
  const GpuTensor w = required_input(ctx, 1, "W");
  const GpuTensor bias = ctx.has_input(2) ? ctx.input(2) : GpuTensor{};
  const GpuTensor y = ctx.output(0);
  if (x.shape.size() < 3 || w.shape.size() != x.shape.size())
    ctx.fail("X and W must have the same rank >= 3");
  const std::size_t rank = x.shape.size() - 2;
  const TransposeAttributes a = read_transpose_attributes(ctx.node(), rank);
  const Shape in_spatial(x.shape.begin() + 2, x.shape.end());
  const Shape kernel(w.shape.begin() + 2, w.shape.end());
  const auto declared = conv_kernel(ctx.node(), ir::from_static(w.shape), rank);
  if (declared && *declared != kernel) ctx.fail("kernel_shape does not match W's spatial dims");
  const Window window = read_window(ctx.node(), kernel, false);
  const std::int64_t channels = x.shape[1];
  const std::int64_t group_maps = w.shape[1];
  const std::int64_t maps = group_maps * a.group;
  if (w.shape[0] != channels || channels % a.group != 0)
    ctx.fail("X's channels, W's first dim and group do not fit together");
  if (bias.present() && bias.element_count() != maps) ctx.fail("B must have M elements");
  Shape out_spatial(rank);
  std::vector<std::int64_t> pad_begin(rank);
  for (std::size_t d = 0; d < rank; ++d) {
    const TransposeExtent e =
        transpose_extent(window, d, in_spatial[d], a.output_padding[d], a.output_shape[d]);
    out_spatial[d] = e.output;
    pad_begin[d] = e.pad_begin;
  }
  if (Shape(y.shape.begin() + 2, y.shape.end()) != out_spatial || y.shape[1] != maps)
    ctx.fail(
        detail::concat("output shape ", shape_to_string(y.shape), " disagrees with the geometry"));

  const FusedEpilogue epilogue = read_fused_epilogue(ctx);
  const std::string acc = accumulator_type(y.dtype);
  const std::string source =
      epilogue_function_source(epilogue, acc == "double" ? "double" : "float") +
      "__device__ const long long kIn[] = " + ll_array(in_spatial) +
      ";\n__device__ const long long kOut[] = " + ll_array(out_spatial) +
      ";\n__device__ const long long kKernel[] = " + ll_array(kernel) +
      ";\n__device__ const long long kStrides[] = " + ll_array(window.strides) +
      ";\n__device__ const long long kDilations[] = " + ll_array(window.dilations) +
      ";\n__device__ const long long kPads[] = " + ll_array(pad_begin) +
      ";\nconstexpr int kRank = " + std::to_string(rank) +
      ";\nconstexpr long long kChannels = " + std::to_string(channels) +
      "LL, kMaps = " + std::to_string(maps) +
      "LL, kGroupChannels = " + std::to_string(channels / a.group) +
      "LL, kGroupMaps = " + std::to_string(group_maps) +
      "LL, kInSize = " + std::to_string(element_count(in_spatial)) +
      "LL, kKernelSize = " + std::to_string(element_count(kernel)) +
      "LL;\n"
      "extern \"C\" __global__ void trt_conv_transpose(const " +
      ops::gpu::cuda_type(x.dtype) + "* x, const " + ops::gpu::cuda_type(w.dtype) + "* w, const " +
      ops::gpu::cuda_type(bias.present() ? bias.dtype : y.dtype) + "* b, " +
      ops::gpu::cuda_type(y.dtype) +
      "* y, long long n) {\n"
      "  for (long long i = trt_tid(); i < n; i += trt_stride()) {\n"
      "    long long rem = i;\n"
      "    long long o[kRank];\n"
      "    for (int d = kRank - 1; d >= 0; --d) { o[d] = rem % kOut[d]; rem /= kOut[d]; }\n"
      "    const long long m = rem % kMaps, batch = rem / kMaps;\n"
      "    const long long g = m / kGroupMaps, local = m % kGroupMaps;\n"
      "    " +
      acc +
      " sum = 0;\n"
      "    for (long long tap = 0; tap < kKernelSize; ++tap) {\n"
      "      long long k = tap, at = 0, scale = 1;\n"
      "      bool hit = true;\n"
      "      for (int d = kRank - 1; d >= 0; --d) {\n"
      "        const long long t = o[d] + kPads[d] - (k % kKernel[d]) * kDilations[d];\n"
      "        k /= kKernel[d];\n"
      "        if (t < 0 || t % kStrides[d] != 0 || t / kStrides[d] >= kIn[d]) { hit = false; "
      "break; }\n"
      "        at += (t / kStrides[d]) * scale;\n"
      "        scale *= kIn[d];\n"
      "      }\n"
      "      if (!hit) continue;\n"
      "      for (long long c = g * kGroupChannels; c < (g + 1) * kGroupChannels; ++c) {\n"
      "        sum += (" +
      acc + ")" + ops::gpu::load_expr(x.dtype, "x[(batch * kChannels + c) * kInSize + at]") +
      " * (" + acc + ")" +
      ops::gpu::load_expr(w.dtype, "w[(c * kGroupMaps + local) * kKernelSize + tap]") +
      ";\n"
      "      }\n"
      "    }\n" +
      (bias.present() ? "    sum += (" + acc + ")" + ops::gpu::load_expr(bias.dtype, "b[m]") + ";\n"
                      : std::string()) +
      "    y[i] = " + ops::gpu::store_expr(y.dtype, "trt_epilogue(sum)") + ";\n  }\n}\n";
  KernelLaunch launch = make_launch(source, "trt_conv_transpose");
  ops::gpu::set_linear_launch(launch, y.element_count());
  launch.arguments = {KernelArgument::pointer_to(x), KernelArgument::pointer_to(w),
                      KernelArgument::pointer_to(bias.present() ? bias : y),
                      KernelArgument::pointer_to(y),
                      KernelArgument::scalar<long long>(y.element_count())};
  ctx.emit_kernel(layer_name(ctx, "conv_transpose"), std::move(launch));
}

}  // namespace

GpuLowerFn conv_transpose_gpu_lowering() { return lower_conv_transpose; }

}  // namespace trtutils::ops::nn
