#include "ops/nn/fused_epilogue.hpp"

#include "ops/nn/nn_gpu.hpp"
#include "trtutils/builder/fusion_attributes.hpp"

namespace trtutils::ops::nn::gpu_lowering {

namespace fusion = builder::fusion_attributes;

FusedEpilogue read_fused_epilogue(const LoweringContext& ctx) {
  const ir::Attributes& attrs = ctx.node().attributes();
  FusedEpilogue e;
  if (!attrs.has(fusion::kActivation)) return e;
  const std::string name = attrs.get_string(fusion::kActivation);
  using Kind = FusedEpilogue::Kind;
  if (name == fusion::kRelu) {
    e.kind = Kind::kRelu;
  } else if (name == fusion::kSigmoid) {
    e.kind = Kind::kSigmoid;
  } else if (name == fusion::kTanh) {
    e.kind = Kind::kTanh;
  } else if (name == fusion::kClip) {
    if (!attrs.has(fusion::kClipMin) || !attrs.has(fusion::kClipMax))
      ctx.fail(
          detail::concat("fused clip needs both ", fusion::kClipMin, " and ", fusion::kClipMax));
    e.kind = Kind::kClip;
    e.clip_min = attrs.get_float(fusion::kClipMin);
    e.clip_max = attrs.get_float(fusion::kClipMax);
  } else if (name == fusion::kLeakyRelu) {
    e.kind = Kind::kLeakyRelu;
    e.alpha = attrs.get_float(fusion::kAlpha, 0.01f);
  } else if (name == fusion::kHardSwish) {
    e.kind = Kind::kHardSwish;
  } else if (name == fusion::kSilu) {
    e.kind = Kind::kSilu;
  } else if (name == fusion::kGelu) {
    e.kind = Kind::kGelu;
  } else {
    ctx.fail(detail::concat("unknown fused activation '", name, "' in ", fusion::kActivation));
  }
  return e;
}

std::string epilogue_function_source(const FusedEpilogue& e, const std::string& t) {
  const bool f = t == "float";
  const auto fn = [&](const char* name) { return std::string(name) + (f ? "f" : ""); };
  const auto lit = [&](double v) { return "(" + t + ")" + double_literal(v); };
  std::string body;
  using Kind = FusedEpilogue::Kind;
  switch (e.kind) {
    case Kind::kIdentity:
      body = "v";
      break;
    case Kind::kRelu:
      body = "v > (" + t + ")0 ? v : (" + t + ")0";
      break;
    case Kind::kSigmoid:
      body = "(" + t + ")1 / ((" + t + ")1 + " + fn("exp") + "(-v))";
      break;
    case Kind::kTanh:
      body = fn("tanh") + "(v)";
      break;
    case Kind::kClip:
      body =
          fn("fmin") + "(" + fn("fmax") + "(v, " + lit(e.clip_min) + "), " + lit(e.clip_max) + ")";
      break;
    case Kind::kLeakyRelu:
      body = "v >= (" + t + ")0 ? v : " + lit(e.alpha) + " * v";
      break;
    case Kind::kHardSwish:
      body = "v * " + fn("fmax") + "((" + t + ")0, " + fn("fmin") + "((" + t + ")1, v / (" + t +
             ")6 + " + lit(0.5) + "))";
      break;
    case Kind::kSilu:
      body = "v / ((" + t + ")1 + " + fn("exp") + "(-v))";
      break;
    case Kind::kGelu:
      body = lit(0.5) + " * v * ((" + t + ")1 + " + fn("erf") + "(v * " +
             lit(0.70710678118654752440) + "))";
      break;
  }
  return "__device__ __forceinline__ " + t + " trt_epilogue(" + t + " v) { return " + body +
         "; }\n";
}

ConvolutionActivation convolution_activation(const FusedEpilogue& e) {
  namespace conv = plan::layer_kinds::convolution;
  using Kind = FusedEpilogue::Kind;
  switch (e.kind) {
    case Kind::kIdentity:
      return {conv::kIdentity, 6.0, true};
    case Kind::kRelu:
      return {conv::kRelu, 6.0, true};
    case Kind::kSigmoid:
      return {conv::kSigmoid, 6.0, true};
    case Kind::kTanh:
      return {conv::kTanh, 6.0, true};
    case Kind::kClip:
      if (e.clip_min == 0.0 && e.clip_max > 0.0) return {conv::kClippedRelu, e.clip_max, true};
      break;
    case Kind::kSilu:
      return {conv::kSilu, 6.0, true};
    case Kind::kLeakyRelu:
      return {conv::kLeakyRelu, 6.0, true, e.alpha};
    case Kind::kGelu:
      return {conv::kGelu, 6.0, true};
    default:
      break;
  }
  return {conv::kIdentity, 6.0, false};
}

void emit_activation_in_place(LoweringContext& ctx, const FusedEpilogue& e, const GpuTensor& y) {
  if (e.is_identity()) return;
  const std::string compute = y.dtype == DType::kFloat64 ? "double" : "float";
  const std::string type = ops::gpu::cuda_type(y.dtype);
  if (const std::int64_t width = ops::gpu::vector_elements(y.dtype);
      width > 0 && y.element_count() % width == 0) {
    // 16-byte loads and stores: an element-wise pass over f16 runs at twice
    // the bandwidth it reaches with 2-byte accesses.
    const std::string w = std::to_string(width);
    const std::string source =
        epilogue_function_source(e, compute) +
        "extern \"C\" __global__ void trt_epilogue_in_place(uint4* y, long long vectors) {\n"
        "  for (long long i = trt_tid(); i < vectors; i += trt_stride()) {\n"
        "    uint4 raw = y[i];\n"
        "    " + type + "* e = reinterpret_cast<" + type + "*>(&raw);\n"
        "#pragma unroll\n"
        "    for (int k = 0; k < " + w + "; ++k) e[k] = " +
        ops::gpu::store_expr(y.dtype, "trt_epilogue(" + ops::gpu::load_expr(y.dtype, "e[k]") + ")") +
        ";\n"
        "    y[i] = raw;\n"
        "  }\n}\n";
    KernelLaunch launch = make_launch(source, "trt_epilogue_in_place");
    const std::int64_t vectors = y.element_count() / width;
    ops::gpu::set_linear_launch(launch, vectors);
    launch.arguments = {KernelArgument::pointer_to(y), KernelArgument::scalar<long long>(vectors)};
    ctx.emit_kernel(layer_name(ctx, "activation"), std::move(launch));
    return;
  }
  const std::string source =
      epilogue_function_source(e, compute) + "extern \"C\" __global__ void trt_epilogue_in_place(" +
      type +
      "* y, long long n) {\n"
      "  for (long long i = trt_tid(); i < n; i += trt_stride()) y[i] = " +
      ops::gpu::store_expr(
          y.dtype, "trt_epilogue((" + compute + ")" + ops::gpu::load_expr(y.dtype, "y[i]") + ")") +
      ";\n}\n";
  KernelLaunch launch = make_launch(source, "trt_epilogue_in_place");
  ops::gpu::set_linear_launch(launch, y.element_count());
  launch.arguments = {KernelArgument::pointer_to(y),
                      KernelArgument::scalar<long long>(y.element_count())};
  ctx.emit_kernel(layer_name(ctx, "activation"), std::move(launch));
}

}  // namespace trtutils::ops::nn::gpu_lowering
