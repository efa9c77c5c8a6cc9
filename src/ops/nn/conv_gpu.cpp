// GPU lowering of Conv (https://onnx.ai/onnx/operators/onnx__Conv.html).
//
// The fast path is a cuDNN convolution layer ("cudnn.convolution", NCHW; the
// builder's channels-last trtutils.ConvNHWC lowers here too, with layout NHWC).
// A residual Z (input 3, set by the builder's residual fusion with
// trtutils.residual) rides in the layer as cuDNN's z.
// cuDNN takes one pad per axis applied at both ends, so asymmetric pads
// (explicit or from auto_pad SAME_*) become an explicit zero-pad kernel into
// a scratch tensor carrying the difference, followed by a convolution with
// the symmetric remainder. What cuDNN cannot run at all (f64, more than 3
// spatial axes, dims beyond int32) runs as a generated direct convolution:
// one thread per output element, the same taps as the CPU reference.
#include <algorithm>
#include <limits>

#include "ops/nn/fused_epilogue.hpp"
#include "ops/nn/nn_gpu.hpp"
#include "ops/nn/nn_ops.hpp"
#include "ops/nn/window.hpp"
#include "trtutils/ops/internal_ops.hpp"

namespace trtutils::ops::nn {
namespace {

using namespace gpu_lowering;
namespace conv_params = plan::layer_kinds::convolution;

struct ConvGeometry {
  Shape input;   // N, C, spatial
  Shape filter;  // M, C/group, kernel
  Shape output;  // N, M, spatial
  Window window;
  std::int64_t group = 1;
  std::size_t spatial() const { return input.size() - 2; }
};

/// `x_shape` / `w_shape` in logical order (N, C, spatial / K, C/group, kernel).
ConvGeometry conv_geometry(const LoweringContext& ctx, const Shape& x_shape, const Shape& w_shape,
                           const Shape& y_shape) {
  if (x_shape.size() < 3 || w_shape.size() != x_shape.size())
    ctx.fail("X and W must have the same rank >= 3");
  ConvGeometry g;
  g.input = x_shape;
  g.filter = w_shape;
  g.output = y_shape;
  const Shape kernel(w_shape.begin() + 2, w_shape.end());
  const auto declared = conv_kernel(ctx.node(), ir::from_static(w_shape), kernel.size());
  if (declared && *declared != kernel) ctx.fail("kernel_shape does not match W's spatial dims");
  g.window = read_window(ctx.node(), kernel, false);
  resolve_pads(g.window, Shape(x_shape.begin() + 2, x_shape.end()));
  g.group = ctx.node().attributes().get_int("group", 1);
  if (g.group < 1 || g.input[1] != g.filter[1] * g.group || g.filter[0] % g.group != 0) {
    ctx.fail(detail::concat("X ", shape_to_string(x_shape), ", W ", shape_to_string(w_shape),
                            " and group ", g.group, " do not fit together"));
  }
  return g;
}

Shape permute_shape(const Shape& shape, const std::vector<std::int64_t>& perm) {
  Shape out;
  for (const std::int64_t p : perm) out.push_back(shape[static_cast<std::size_t>(p)]);
  return out;
}

bool cudnn_can_run(const ConvGeometry& g, DType dtype) {
  if (dtype != DType::kFloat32 && dtype != DType::kFloat16 && dtype != DType::kBFloat16)
    return false;
  if (g.spatial() < 1 || g.spatial() > 3) return false;
  constexpr std::int64_t kIntMax = std::numeric_limits<std::int32_t>::max();
  for (const Shape* s : {&g.input, &g.filter, &g.output}) {
    for (std::int64_t d : *s) {
      if (d > kIntMax) return false;
    }
  }
  return true;
}

/// Zero-pads X by (begin, end) on every axis (full rank) into a scratch.
GpuTensor pad_explicitly(LoweringContext& ctx, const GpuTensor& x,
                         const std::vector<std::int64_t>& begin,
                         const std::vector<std::int64_t>& end) {
  Shape padded = x.shape;
  for (std::size_t d = 0; d < begin.size(); ++d) padded[d] += begin[d] + end[d];
  GpuTensor out = ctx.add_scratch(x.dtype, padded);
  const std::string type = ops::gpu::cuda_type(x.dtype);
  const std::string source =
      "__device__ const long long kIn[] = " + ll_array(x.shape) +
      ";\n__device__ const long long kOut[] = " + ll_array(padded) +
      ";\n__device__ const long long kBegin[] = " + ll_array(begin) +
      ";\nconstexpr int kRank = " + std::to_string(begin.size()) +
      ";\nextern \"C\" __global__ void trt_conv_pad(const " + type + "* x, " + type +
      "* y, long long n) {\n"
      "  for (long long i = trt_tid(); i < n; i += trt_stride()) {\n"
      "    long long rem = i, src = 0, scale = 1;\n"
      "    bool inside = true;\n"
      "    for (int d = kRank - 1; d >= 0; --d) {\n"
      "      const long long pos = rem % kOut[d] - kBegin[d];\n"
      "      rem /= kOut[d];\n"
      "      if (pos < 0 || pos >= kIn[d]) inside = false;\n"
      "      src += pos * scale;\n"
      "      scale *= kIn[d];\n"
      "    }\n"
      "    y[i] = inside ? x[src] : " +
      ops::gpu::store_expr(x.dtype, "0.0f") +
      ";\n"
      "  }\n}\n";
  KernelLaunch launch = make_launch(source, "trt_conv_pad");
  ops::gpu::set_linear_launch(launch, out.element_count());
  launch.arguments = {KernelArgument::pointer_to(x), KernelArgument::pointer_to(out),
                      KernelArgument::scalar<long long>(out.element_count())};
  ctx.emit_kernel(layer_name(ctx, "pad"), std::move(launch));
  return out;
}

/// `g` in logical order; x, w, z and y stored in `layout` (NHWC: channels
/// last, W as K, kernel..., C/group).
void lower_with_cudnn(LoweringContext& ctx, const ConvGeometry& g, GpuTensor x, GpuTensor w,
                      GpuTensor bias, GpuTensor z, const FusedEpilogue& epilogue, bool nhwc) {
  const GpuTensor y = ctx.output(0);
  const std::size_t rank = g.spatial();
  std::vector<std::int64_t> symmetric(rank);
  std::vector<std::int64_t> extra_begin(rank);
  std::vector<std::int64_t> extra_end(rank);
  bool asymmetric = false;
  for (std::size_t d = 0; d < rank; ++d) {
    symmetric[d] = std::min(g.window.pads_begin[d], g.window.pads_end[d]);
    extra_begin[d] = g.window.pads_begin[d] - symmetric[d];
    extra_end[d] = g.window.pads_end[d] - symmetric[d];
    asymmetric = asymmetric || extra_begin[d] != 0 || extra_end[d] != 0;
  }
  Shape input_shape = g.input;
  if (asymmetric) {
    // Full-rank pads in the storage order: spatial axes follow N (NCHW: and C).
    const std::size_t first = nhwc ? 1 : 2;
    std::vector<std::int64_t> begin(x.shape.size(), 0);
    std::vector<std::int64_t> end(x.shape.size(), 0);
    for (std::size_t d = 0; d < rank; ++d) {
      begin[first + d] = extra_begin[d];
      end[first + d] = extra_end[d];
      input_shape[d + 2] += extra_begin[d] + extra_end[d];
    }
    x = pad_explicitly(ctx, x, begin, end);
  }

  plan::LayerParams params;
  params.set(conv_params::kLayout, std::int64_t{nhwc ? 1 : 0});
  params.set(conv_params::kInputShape, input_shape);
  params.set(conv_params::kFilterShape, g.filter);
  params.set(conv_params::kPadsBegin, symmetric);
  params.set(conv_params::kPadsEnd, symmetric);
  params.set(conv_params::kStrides, g.window.strides);
  params.set(conv_params::kDilations, g.window.dilations);
  params.set(conv_params::kGroups, g.group);
  params.set(conv_params::kHasBias, std::int64_t{bias.present() ? 1 : 0});
  std::vector<plan::TensorId> inputs = {x.id, w.id};
  if (bias.present()) inputs.push_back(bias.id);
  if (z.present()) inputs.push_back(z.id);
  params.set(conv_params::kHasResidual, std::int64_t{z.present() ? 1 : 0});
  const ConvolutionActivation act = convolution_activation(epilogue);
  params.set(conv_params::kActivation, act.activation);
  params.set(conv_params::kClipCeiling, act.clip_ceiling);
  if (act.activation == conv_params::kLeakyRelu) params.set(conv_params::kLeakySlope, act.leaky_slope);
  ctx.emit_layer(layer_name(ctx, "convolution"), plan::layer_kinds::kCudnnConvolution, inputs,
                 {y.id}, std::move(params));
  if (!act.fused) emit_activation_in_place(ctx, epilogue, y);
}

/// One thread per output element; any rank, pads, groups and dtype.
void lower_direct(LoweringContext& ctx, const ConvGeometry& g, const GpuTensor& x,
                  const GpuTensor& w, const GpuTensor& bias, const GpuTensor& z,
                  const FusedEpilogue& epilogue) {
  const GpuTensor y = ctx.output(0);
  const std::size_t rank = g.spatial();
  const std::string acc = accumulator_type(y.dtype);
  const std::string source =
      epilogue_function_source(epilogue, acc == "double" ? "double" : "float") +
      "__device__ const long long kIn[] = " + ll_array(Shape(g.input.begin() + 2, g.input.end())) +
      ";\n__device__ const long long kOut[] = " +
      ll_array(Shape(g.output.begin() + 2, g.output.end())) +
      ";\n__device__ const long long kKernel[] = " + ll_array(g.window.kernel) +
      ";\n__device__ const long long kStrides[] = " + ll_array(g.window.strides) +
      ";\n__device__ const long long kDilations[] = " + ll_array(g.window.dilations) +
      ";\n__device__ const long long kPads[] = " + ll_array(g.window.pads_begin) +
      ";\nconstexpr int kRank = " + std::to_string(rank) +
      ";\nconstexpr long long kChannels = " + std::to_string(g.input[1]) +
      "LL, kMaps = " + std::to_string(g.output[1]) +
      "LL, kGroupChannels = " + std::to_string(g.filter[1]) +
      "LL, kGroupMaps = " + std::to_string(g.filter[0] / g.group) +
      "LL, kInSize = " + std::to_string(element_count(Shape(g.input.begin() + 2, g.input.end()))) +
      "LL, kKernelSize = " + std::to_string(element_count(g.window.kernel)) +
      "LL;\n"
      "extern \"C\" __global__ void trt_conv_direct(const " +
      ops::gpu::cuda_type(x.dtype) + "* x, const " + ops::gpu::cuda_type(w.dtype) + "* w, const " +
      ops::gpu::cuda_type(bias.present() ? bias.dtype : y.dtype) + "* b, const " +
      ops::gpu::cuda_type(z.present() ? z.dtype : y.dtype) + "* z, " +
      ops::gpu::cuda_type(y.dtype) +
      "* y, long long n) {\n"
      "  for (long long i = trt_tid(); i < n; i += trt_stride()) {\n"
      "    long long rem = i;\n"
      "    long long o[kRank];\n"
      "    for (int d = kRank - 1; d >= 0; --d) { o[d] = rem % kOut[d]; rem /= kOut[d]; }\n"
      "    const long long m = rem % kMaps, batch = rem / kMaps, g = m / kGroupMaps;\n"
      "    " +
      acc +
      " sum = 0;\n"
      "    for (long long tap = 0; tap < kKernelSize; ++tap) {\n"
      "      long long k = tap, at = 0, scale = 1;\n"
      "      bool inside = true;\n"
      "      for (int d = kRank - 1; d >= 0; --d) {\n"
      "        const long long pos = o[d] * kStrides[d] - kPads[d] + (k % kKernel[d]) * "
      "kDilations[d];\n"
      "        k /= kKernel[d];\n"
      "        if (pos < 0 || pos >= kIn[d]) inside = false;\n"
      "        at += pos * scale;\n"
      "        scale *= kIn[d];\n"
      "      }\n"
      "      if (!inside) continue;\n"
      "      for (long long c = 0; c < kGroupChannels; ++c) {\n"
      "        sum += (" +
      acc + ")" +
      ops::gpu::load_expr(x.dtype,
                          "x[(batch * kChannels + g * kGroupChannels + c) * kInSize + at]") +
      " * (" + acc + ")" +
      ops::gpu::load_expr(w.dtype, "w[(m * kGroupChannels + c) * kKernelSize + tap]") +
      ";\n"
      "      }\n"
      "    }\n" +
      (bias.present() ? "    sum += (" + acc + ")" + ops::gpu::load_expr(bias.dtype, "b[m]") + ";\n"
                      : std::string()) +
      (z.present() ? "    sum += (" + acc + ")" + ops::gpu::load_expr(z.dtype, "z[i]") + ";\n"
                   : std::string()) +
      "    y[i] = " + ops::gpu::store_expr(y.dtype, "trt_epilogue(sum)") + ";\n  }\n}\n";
  KernelLaunch launch = make_launch(source, "trt_conv_direct");
  ops::gpu::set_linear_launch(launch, y.element_count());
  launch.arguments = {KernelArgument::pointer_to(x), KernelArgument::pointer_to(w),
                      KernelArgument::pointer_to(bias.present() ? bias : y),
                      KernelArgument::pointer_to(z.present() ? z : y),
                      KernelArgument::pointer_to(y),
                      KernelArgument::scalar<long long>(y.element_count())};
  ctx.emit_kernel(layer_name(ctx, "direct_convolution"), std::move(launch));
}

/// Input 3: the residual Z (builder fusion), shaped like Y.
GpuTensor residual_input(const LoweringContext& ctx, const GpuTensor& y) {
  if (!ctx.has_input(3)) return {};
  GpuTensor z = ctx.input(3);
  if (z.shape != y.shape)
    ctx.fail(detail::concat("residual Z ", shape_to_string(z.shape), " must have Y's shape ",
                            shape_to_string(y.shape)));
  return z;
}

void lower_conv(LoweringContext& ctx) {
  const GpuTensor y = ctx.output(0);
  GpuTensor x = required_input(ctx, 0, "X");
  GpuTensor w = required_input(ctx, 1, "W");
  GpuTensor bias = ctx.has_input(2) ? ctx.input(2) : GpuTensor{};
  GpuTensor z = residual_input(ctx, y);
  const ConvGeometry g = conv_geometry(ctx, x.shape, w.shape, y.shape);
  if (bias.present() && bias.element_count() != g.filter[0]) ctx.fail("B must have M elements");
  const FusedEpilogue epilogue = read_fused_epilogue(ctx);
  if (cudnn_can_run(g, y.dtype)) {
    x = cast_to(ctx, x, y.dtype, layer_name(ctx, "cast_x"));
    w = cast_to(ctx, w, y.dtype, layer_name(ctx, "cast_w"));
    if (bias.present()) bias = cast_to(ctx, bias, y.dtype, layer_name(ctx, "cast_b"));
    if (z.present()) z = cast_to(ctx, z, y.dtype, layer_name(ctx, "cast_z"));
    return lower_with_cudnn(ctx, g, x, w, bias, z, epilogue, false);
  }
  lower_direct(ctx, g, x, w, bias, z, epilogue);
}

/// trtutils.ConvNHWC: cuDNN only (the builder converts only what cuDNN runs).
void lower_conv_nhwc(LoweringContext& ctx) {
  const GpuTensor y = ctx.output(0);
  GpuTensor x = required_input(ctx, 0, "X");
  GpuTensor w = required_input(ctx, 1, "W");
  GpuTensor bias = ctx.has_input(2) ? ctx.input(2) : GpuTensor{};
  GpuTensor z = residual_input(ctx, y);
  if (x.shape.size() < 3 || w.shape.size() != x.shape.size())
    ctx.fail("X and W must have the same rank >= 3");
  const std::vector<std::int64_t> first = to_channels_first(x.shape.size());
  const ConvGeometry g = conv_geometry(ctx, permute_shape(x.shape, first),
                                       permute_shape(w.shape, first), permute_shape(y.shape, first));
  if (bias.present() && bias.element_count() != g.filter[0]) ctx.fail("B must have K elements");
  if (!cudnn_can_run(g, y.dtype)) {
    ctx.unsupported(detail::concat("a channels-last convolution of ", dtype_name(y.dtype),
                                   " with ", g.spatial(),
                                   " spatial axes needs cuDNN, which cannot run it; build with "
                                   "layout NCHW"));
  }
  x = cast_to(ctx, x, y.dtype, layer_name(ctx, "cast_x"));
  w = cast_to(ctx, w, y.dtype, layer_name(ctx, "cast_w"));
  if (bias.present()) bias = cast_to(ctx, bias, y.dtype, layer_name(ctx, "cast_b"));
  if (z.present()) z = cast_to(ctx, z, y.dtype, layer_name(ctx, "cast_z"));
  lower_with_cudnn(ctx, g, x, w, bias, z, read_fused_epilogue(ctx), true);
}

}  // namespace

GpuLowerFn conv_gpu_lowering() { return lower_conv; }
GpuLowerFn conv_nhwc_gpu_lowering() { return lower_conv_nhwc; }

}  // namespace trtutils::ops::nn
