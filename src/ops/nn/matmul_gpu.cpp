// GPU lowerings of MatMul (https://onnx.ai/onnx/operators/onnx__MatMul.html)
// and Gemm (https://onnx.ai/onnx/operators/onnx__Gemm.html).
//
// Floating point (f32/f16/bf16) runs as a cuBLASLt layer ("cublaslt.matmul",
// row-major, f32 accumulation):
// - 1-D operands are viewed as [1, K] / [K, 1] (same bytes).
// - numpy batch broadcasting maps to batch strides: a B without batch dims
//   folds A's batch into M (one GEMM); an operand whose batch is all ones
//   gets stride 0; equal batches are packed; any other broadcast pattern
//   (e.g. [2, 1] x [1, 3]) materialises the broadcast operand first.
// - Gemm's C: [N] / [1, N] with beta = 1 rides as the bias epilogue, a full
//   [M, N] as cuBLASLt's C with beta, anything else (a scalar, [M, 1], a row
//   with beta != 1) is broadcast into an [M, N] scratch by a small kernel.
// - The builder's fused epilogue (fusion_attributes.hpp): MatMul's bias
//   input (trtutils.bias), ReLU fused in cuBLASLt; other activations (exact
//   GELU included: cuBLASLt's GELU is the tanh approximation) run as a
//   follow-up element-wise kernel.
// Integers and f64 (which cuBLASLt will not do here) run as a generated
// kernel: one thread per output element, int64 / f64 accumulation.
#include "ops/nn/fused_epilogue.hpp"
#include "ops/nn/nn_gpu.hpp"
#include "ops/nn/nn_ops.hpp"
#include "ops/nn/numeric.hpp"
#include "ops/support.hpp"
#include "trtutils/builder/fusion_attributes.hpp"

namespace trtutils::ops::nn {
namespace {

using namespace gpu_lowering;
namespace mm = plan::layer_kinds::matmul;

bool cublaslt_dtype(DType dtype) {
  return dtype == DType::kFloat32 || dtype == DType::kFloat16 || dtype == DType::kBFloat16;
}

/// One product D[p] = epilogue(alpha * op(A[p]) op(B[p]) + beta * C + bias)
/// over the output batch p, as both lowerings describe it.
struct Product {
  GpuTensor a, b;
  bool transpose_a = false, transpose_b = false;
  std::int64_t m = 0, n = 0, k = 0;
  Shape batch;                         // output batch dims
  std::vector<std::int64_t> stride_a;  // per batch dim, in matrices; 0 = broadcast
  std::vector<std::int64_t> stride_b;
  double alpha = 1.0, beta = 0.0;
  GpuTensor c;                                   // present when beta != 0
  std::vector<std::int64_t> c_strides = {0, 0};  // element strides of C over [M, N]
  GpuTensor bias;                                // [N], added to every row
  FusedEpilogue epilogue;
};

std::int64_t count(const Shape& s) { return element_count(s); }

/// Batch strides (in whole matrices) of an operand batch against the output batch.
std::vector<std::int64_t> matrix_strides(const Shape& own, const Shape& batch) {
  return broadcast_strides(own, batch);
}

/// The generated fallback: any dtype, any broadcast, bias, C and activation.
void emit_generic(LoweringContext& ctx, const Product& p, const GpuTensor& y) {
  const std::string acc = accumulator_type(y.dtype);
  const std::string t = acc == "long long" ? "double" : acc;  // alpha/beta/epilogue arithmetic
  const bool scaled = p.alpha != 1.0 || p.c.present();
  std::string value =
      scaled ? "(" + t + ")" + double_literal(p.alpha) + " * (" + t + ")sum" : "sum";
  if (p.c.present()) {
    value +=
        " + (" + t + ")" + double_literal(p.beta) + " * (" + t + ")" +
        ops::gpu::load_expr(p.c.dtype, "c[r * " + std::to_string(p.c_strides[0]) + "LL + col * " +
                                           std::to_string(p.c_strides[1]) + "LL]");
  }
  if (p.bias.present()) value += " + " + ops::gpu::load_expr(p.bias.dtype, "bias[col]");
  const std::string finished =
      p.epilogue.is_identity()
          ? value
          : "trt_epilogue((" + (t == "double" ? t : std::string("float")) + ")(" + value + "))";
  const std::string a_at = p.transpose_a ? "j * kM + r" : "r * kK + j";
  const std::string b_at = p.transpose_b ? "col * kK + j" : "j * kN + col";
  const std::string source =
      epilogue_function_source(p.epilogue, t == "double" ? "double" : "float") +
      "__device__ const long long kBatch[] = " + ll_array(p.batch) +
      ";\n__device__ const long long kStrideA[] = " + ll_array(p.stride_a) +
      ";\n__device__ const long long kStrideB[] = " + ll_array(p.stride_b) +
      ";\nconstexpr int kBatchRank = " + std::to_string(p.batch.size()) +
      ";\nconstexpr long long kM = " + std::to_string(p.m) + "LL, kN = " + std::to_string(p.n) +
      "LL, kK = " + std::to_string(p.k) +
      "LL;\n"
      "extern \"C\" __global__ void trt_matmul(const " +
      ops::gpu::cuda_type(p.a.dtype) + "* a, const " + ops::gpu::cuda_type(p.b.dtype) +
      "* b, const " + ops::gpu::cuda_type(p.c.present() ? p.c.dtype : y.dtype) + "* c, const " +
      ops::gpu::cuda_type(p.bias.present() ? p.bias.dtype : y.dtype) + "* bias, " +
      ops::gpu::cuda_type(y.dtype) +
      "* y, long long n) {\n"
      "  for (long long i = trt_tid(); i < n; i += trt_stride()) {\n"
      "    const long long col = i % kN, r = (i / kN) % kM;\n"
      "    long long rem = i / (kM * kN), ia = 0, ib = 0;\n"
      "    for (int d = kBatchRank - 1; d >= 0; --d) {\n"
      "      const long long q = rem % kBatch[d];\n"
      "      rem /= kBatch[d];\n"
      "      ia += q * kStrideA[d];\n"
      "      ib += q * kStrideB[d];\n"
      "    }\n"
      "    const " +
      ops::gpu::cuda_type(p.a.dtype) +
      "* am = a + ia * kM * kK;\n"
      "    const " +
      ops::gpu::cuda_type(p.b.dtype) +
      "* bm = b + ib * kK * kN;\n"
      "    " +
      acc +
      " sum = 0;\n"
      "    for (long long j = 0; j < kK; ++j) sum += (" +
      acc + ")" + ops::gpu::load_expr(p.a.dtype, "am[" + a_at + "]") + " * (" + acc + ")" +
      ops::gpu::load_expr(p.b.dtype, "bm[" + b_at + "]") +
      ";\n"
      "    y[i] = " +
      ops::gpu::store_expr(y.dtype, finished) + ";\n  }\n}\n";
  KernelLaunch launch = make_launch(source, "trt_matmul");
  ops::gpu::set_linear_launch(launch, y.element_count());
  launch.arguments = {KernelArgument::pointer_to(p.a),
                      KernelArgument::pointer_to(p.b),
                      KernelArgument::pointer_to(p.c.present() ? p.c : y),
                      KernelArgument::pointer_to(p.bias.present() ? p.bias : y),
                      KernelArgument::pointer_to(y),
                      KernelArgument::scalar<long long>(y.element_count())};
  ctx.emit_kernel(layer_name(ctx, "matmul"), std::move(launch));
}

std::int64_t matmul_epilogue(bool bias, const FusedEpilogue& e, bool& activation_fused) {
  activation_fused = e.is_identity() || e.kind == FusedEpilogue::Kind::kRelu;
  const bool relu = e.kind == FusedEpilogue::Kind::kRelu;
  if (bias) return relu ? mm::kBiasRelu : mm::kBias;
  return relu ? mm::kRelu : mm::kNone;
}

/// Emits the cuBLASLt layer for `p` (operands already in y's dtype and with
/// a batch cuBLASLt can stride through), then any unfused activation.
void emit_cublaslt(LoweringContext& ctx, Product p, const GpuTensor& y) {
  const DType dtype = y.dtype;
  std::int64_t batch = count(p.batch);
  std::int64_t stride_a = p.m * p.k;
  std::int64_t stride_b = p.k * p.n;
  // Dims of extent 1 never move, whatever their stride says.
  const std::vector<std::int64_t> contiguous = contiguous_strides(p.batch);
  const auto all_zero = [&](const std::vector<std::int64_t>& s) {
    for (std::size_t d = 0; d < s.size(); ++d) {
      if (s[d] != 0 && p.batch[d] != 1) return false;
    }
    return true;
  };
  const auto packed = [&](const std::vector<std::int64_t>& s) {
    for (std::size_t d = 0; d < s.size(); ++d) {
      if (s[d] != contiguous[d] && p.batch[d] != 1) return false;
    }
    return true;
  };
  if (batch > 1 && all_zero(p.stride_b) && packed(p.stride_a) && !p.transpose_a && !p.c.present()) {
    // B shared by every batch: fold the batch into M, one GEMM.
    p.m *= batch;
    batch = 1;
  } else {
    if (!packed(p.stride_a) && !all_zero(p.stride_a)) {
      Shape full = p.batch;
      full.push_back(p.transpose_a ? p.k : p.m);
      full.push_back(p.transpose_a ? p.m : p.k);
      p.a = expand_to(ctx, p.a, full, layer_name(ctx, "expand_a"));
      p.stride_a = contiguous_strides(p.batch);
    }
    if (!packed(p.stride_b) && !all_zero(p.stride_b)) {
      Shape full = p.batch;
      full.push_back(p.transpose_b ? p.n : p.k);
      full.push_back(p.transpose_b ? p.k : p.n);
      p.b = expand_to(ctx, p.b, full, layer_name(ctx, "expand_b"));
      p.stride_b = contiguous_strides(p.batch);
    }
    stride_a = all_zero(p.stride_a) ? 0 : p.m * p.k;
    stride_b = all_zero(p.stride_b) ? 0 : p.k * p.n;
  }
  bool activation_fused = true;
  const std::int64_t epilogue = matmul_epilogue(p.bias.present(), p.epilogue, activation_fused);
  plan::LayerParams params;
  params.set(mm::kM, p.m);
  params.set(mm::kN, p.n);
  params.set(mm::kK, p.k);
  params.set(mm::kBatch, batch);
  params.set(mm::kTransposeA, std::int64_t{p.transpose_a ? 1 : 0});
  params.set(mm::kTransposeB, std::int64_t{p.transpose_b ? 1 : 0});
  params.set(mm::kBatchStrideA, batch > 1 ? stride_a : p.m * p.k);
  params.set(mm::kBatchStrideB, batch > 1 ? stride_b : p.k * p.n);
  params.set(mm::kBatchStrideC, p.m * p.n);
  params.set(mm::kAlpha, p.alpha);
  params.set(mm::kBeta, p.c.present() ? p.beta : 0.0);
  params.set(mm::kEpilogue, epilogue);
  std::vector<plan::TensorId> inputs = {p.a.id, p.b.id};
  if (p.bias.present())
    inputs.push_back(cast_to(ctx, p.bias, dtype, layer_name(ctx, "cast_bias")).id);
  if (p.c.present()) inputs.push_back(p.c.id);
  ctx.emit_layer(layer_name(ctx, "matmul"), plan::layer_kinds::kCublasLtMatmul, inputs, {y.id},
                 std::move(params));
  if (!activation_fused) emit_activation_in_place(ctx, p.epilogue, y);
}

void lower_matmul(LoweringContext& ctx) {
  Product p;
  p.a = required_input(ctx, 0, "A");
  p.b = required_input(ctx, 1, "B");
  const GpuTensor y = ctx.output(0);
  if (p.a.shape.empty() || p.b.shape.empty()) ctx.fail("MatMul operands must have rank >= 1");
  Shape sa = p.a.shape;
  Shape sb = p.b.shape;
  if (sa.size() == 1) sa.insert(sa.begin(), 1);
  if (sb.size() == 1) sb.push_back(1);
  p.m = sa[sa.size() - 2];
  p.k = sa.back();
  p.n = sb.back();
  if (sb[sb.size() - 2] != p.k)
    ctx.fail(detail::concat("inner dims differ: A ", shape_to_string(p.a.shape), ", B ",
                            shape_to_string(p.b.shape)));
  p.a.shape = sa;
  p.b.shape = sb;
  const Shape batch_a(sa.begin(), sa.end() - 2);
  const Shape batch_b(sb.begin(), sb.end() - 2);
  p.batch = broadcast_shapes(batch_a, batch_b);
  p.stride_a = matrix_strides(batch_a, p.batch);
  p.stride_b = matrix_strides(batch_b, p.batch);
  p.epilogue = read_fused_epilogue(ctx);
  if (ctx.node().attributes().get_int(builder::fusion_attributes::kBias, 0) != 0) {
    p.bias = required_input(ctx, 2, "fused bias");
    if (p.bias.element_count() != p.n)
      ctx.fail(
          detail::concat("the fused bias has ", p.bias.element_count(), " elements, N is ", p.n));
  }
  if (y.element_count() == 0) return;
  if (!cublaslt_dtype(y.dtype)) return emit_generic(ctx, p, y);
  // Broadcast batch dims of A must be expanded with the same view rank.
  Shape padded_a(p.batch.size() - batch_a.size(), 1);
  padded_a.insert(padded_a.end(), sa.begin(), sa.end());
  p.a = cast_to(ctx, GpuTensor{p.a.id, p.a.dtype, padded_a}, y.dtype, layer_name(ctx, "cast_a"));
  p.b = cast_to(ctx, p.b, y.dtype, layer_name(ctx, "cast_b"));
  emit_cublaslt(ctx, std::move(p), y);
}

void lower_gemm(LoweringContext& ctx) {
  Product p;
  p.a = required_input(ctx, 0, "A");
  p.b = required_input(ctx, 1, "B");
  const GpuTensor y = ctx.output(0);
  if (p.a.shape.size() != 2 || p.b.shape.size() != 2) ctx.fail("A and B must be 2-D");
  const ir::Attributes& attrs = ctx.node().attributes();
  p.transpose_a = attrs.get_int("transA", 0) != 0;
  p.transpose_b = attrs.get_int("transB", 0) != 0;
  p.alpha = attrs.get_float("alpha", 1.0f);
  p.beta = attrs.get_float("beta", 1.0f);
  p.m = p.a.shape[p.transpose_a ? 1 : 0];
  p.k = p.a.shape[p.transpose_a ? 0 : 1];
  p.n = p.b.shape[p.transpose_b ? 0 : 1];
  if (p.b.shape[p.transpose_b ? 1 : 0] != p.k)
    ctx.fail(detail::concat("inner dims differ: A ", shape_to_string(p.a.shape), ", B ",
                            shape_to_string(p.b.shape)));
  p.epilogue = read_fused_epilogue(ctx);
  const Shape out{p.m, p.n};
  GpuTensor c = ctx.has_input(2) && p.beta != 0.0 ? ctx.input(2) : GpuTensor{};
  if (c.present() && !broadcasts_to(c.shape, out))
    ctx.fail(detail::concat("C of shape ", shape_to_string(c.shape),
                            " does not broadcast to [M, N] = ", shape_to_string(out)));
  if (y.element_count() == 0) return;
  const bool library = cublaslt_dtype(y.dtype);
  if (c.present()) {
    const bool row = c.shape == Shape{p.n} || c.shape == Shape{1, p.n};
    if (library && row && p.beta == 1.0) {
      p.bias = c;  // the bias epilogue: broadcast over rows, unscaled
    } else if (library) {
      p.c = cast_to(ctx, expand_to(ctx, c, out, layer_name(ctx, "expand_c")), y.dtype,
                    layer_name(ctx, "cast_c"));
      p.c_strides = {p.n, 1};
    } else {
      p.c = c;
      const std::vector<std::int64_t> s = broadcast_strides(c.shape, out);
      p.c_strides = {s[0], s[1]};
    }
  }
  if (!library) return emit_generic(ctx, p, y);
  p.a = cast_to(ctx, p.a, y.dtype, layer_name(ctx, "cast_a"));
  p.b = cast_to(ctx, p.b, y.dtype, layer_name(ctx, "cast_b"));
  emit_cublaslt(ctx, std::move(p), y);
}

}  // namespace

GpuLowerFn matmul_gpu_lowering() { return lower_matmul; }
GpuLowerFn gemm_gpu_lowering() { return lower_gemm; }

}  // namespace trtutils::ops::nn
