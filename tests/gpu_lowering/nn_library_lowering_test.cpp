// GPU lowerings of Conv, ConvTranspose, MatMul, Gemm and Einsum.
// CPU: every generated source compiles with NVRTC for sm_90; the library
// layers' params (read back as the runtime reads them, then validated by
// trtutils_gpu) describe the right problem: pads split, strides, groups, batch
// strides of broadcast MatMuls, Gemm's C handling, fused epilogues.
// GPU (skipped without one): each op on random inputs vs its CPU reference.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "gpu_lowering/library_layers.hpp"
#include "trtutils/builder/fusion_attributes.hpp"

namespace trtutils::testing {
namespace {

using plan::Precision;
namespace conv = plan::layer_kinds::convolution;
namespace mm = plan::layer_kinds::matmul;
namespace fusion = builder::fusion_attributes;

HostTensor random_tensor(Shape shape, DType dtype = DType::kFloat32, unsigned seed = 11) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0F, 1.0F);
  std::vector<float> v(static_cast<std::size_t>(element_count(shape)));
  for (float& x : v) x = dist(rng);
  HostTensor t = HostTensor::from_values(std::move(shape), v);
  if (dtype == DType::kFloat32) return t;
  if (is_integer(dtype)) {
    std::vector<std::int64_t> ints;
    std::uniform_int_distribution<std::int64_t> idist(-5, 5);
    for (std::size_t i = 0; i < v.size(); ++i) ints.push_back(idist(rng));
    return HostTensor::from_values(t.shape(), ints).cast(dtype);
  }
  return t.cast(dtype);
}

ir::Attributes attrs(std::initializer_list<std::pair<const char*, ir::Attribute>> list) {
  ir::Attributes a;
  for (const auto& [name, value] : list) a.set(name, value);
  return a;
}

/// The one library layer of a lowering (fails when there is not exactly one).
const EmittedLayer& library_layer(const FakeLoweringContext& ctx, const std::string& kind) {
  const EmittedLayer* found = nullptr;
  for (const EmittedLayer& l : ctx.layers()) {
    if (l.kernel == kind) {
      EXPECT_EQ(found, nullptr) << "more than one " << kind << " layer";
      found = &l;
    }
  }
  if (!found) throw std::runtime_error("no " + kind + " layer was emitted");
  return *found;
}

DType dtype_of(const FakeLoweringContext& ctx, plan::TensorId id) {
  for (const auto* list : {&ctx.inputs(), &ctx.outputs(), &ctx.scratch()}) {
    for (const ops::GpuTensor& g : *list) {
      if (g.id == id) return g.dtype;
    }
  }
  throw std::runtime_error("unknown tensor id");
}

gpu::ConvolutionDesc conv_desc(const FakeLoweringContext& ctx, const EmittedLayer& l) {
  gpu::ConvolutionDesc d = runtime::convolution_desc_from_params(
      l.params, dtype_of(ctx, l.inputs.at(0)), dtype_of(ctx, l.inputs.at(1)),
      dtype_of(ctx, l.outputs.at(0)));
  EXPECT_TRUE(gpu::cudnn_support(d).runnable) << gpu::cudnn_support(d).reason;
  EXPECT_EQ(gpu::convolution_output_shape(d), ctx.outputs()[0].shape);
  return d;
}

gpu::MatmulDesc matmul_desc(const FakeLoweringContext& ctx, const EmittedLayer& l) {
  gpu::MatmulDesc d = runtime::matmul_desc_from_params(l.params, dtype_of(ctx, l.inputs.at(0)),
                                                       dtype_of(ctx, l.inputs.at(1)),
                                                       dtype_of(ctx, l.outputs.at(0)));
  gpu::validate(d);
  EXPECT_EQ(d.m * d.n * d.batch, ctx.outputs()[0].element_count());
  return d;
}

std::size_t kernel_count(const FakeLoweringContext& ctx) { return ctx.launches().size(); }

// --- Conv ---------------------------------------------------------------------

TEST(NnConvLowering, AsymmetricPadsBecomeAPadKernelAndSymmetricCudnnPads) {
  NodeUnderTest t("Conv", {random_tensor({1, 2, 5, 6}), random_tensor({3, 2, 3, 3})},
                  attrs({{"pads", std::vector<std::int64_t>{0, 1, 2, 1}}}));
  expect_compiles(t, Precision::kFloat32);
  const auto ctx = t.lower(Precision::kFloat32);
  ASSERT_EQ(ctx->layers().size(), 2u);
  EXPECT_EQ(ctx->layers()[0].kernel, plan::layer_kinds::kNvrtcKernel);  // the pad comes first
  const gpu::ConvolutionDesc d = conv_desc(*ctx, ctx->layers()[1]);
  // H: begin 0 / end 2 -> 2 extra rows at the end, cuDNN pad 0; W: 1 / 1 stays.
  EXPECT_EQ(d.input_shape, (std::vector<std::int64_t>{1, 2, 7, 6}));
  EXPECT_EQ(d.pads_begin, (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(d.pads_end, (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(ctx->layers()[1].inputs[0], ctx->scratch().at(0).id);
}

TEST(NnConvLowering, SameUpperWithOddTotalPadsExplicitly) {
  // k = 4, stride 1, input 6: total pad 3 -> begin 1, end 2 (SAME_UPPER).
  NodeUnderTest t("Conv", {random_tensor({1, 1, 6}), random_tensor({2, 1, 4})},
                  attrs({{"auto_pad", std::string("SAME_UPPER")}}));
  expect_compiles(t, Precision::kFloat32);
  const auto ctx = t.lower(Precision::kFloat32);
  const gpu::ConvolutionDesc d =
      conv_desc(*ctx, library_layer(*ctx, plan::layer_kinds::kCudnnConvolution));
  EXPECT_EQ(d.input_shape, (std::vector<std::int64_t>{1, 1, 7}));
  EXPECT_EQ(d.pads_begin, (std::vector<std::int64_t>{1}));
  EXPECT_EQ(kernel_count(*ctx), 1u);
}

TEST(NnConvLowering, SymmetricStridedDilatedConvIsOneCudnnLayer) {
  NodeUnderTest t("Conv",
                  {random_tensor({2, 4, 9, 9}), random_tensor({6, 4, 3, 3}), random_tensor({6})},
                  attrs({{"pads", std::vector<std::int64_t>{2, 1, 2, 1}},
                         {"strides", std::vector<std::int64_t>{2, 1}},
                         {"dilations", std::vector<std::int64_t>{1, 2}}}));
  const auto ctx = t.lower(Precision::kFloat32);
  ASSERT_EQ(ctx->layers().size(), 1u);
  const EmittedLayer& l = ctx->layers()[0];
  EXPECT_EQ(l.inputs.size(), 3u);  // x, w, bias
  const gpu::ConvolutionDesc d = conv_desc(*ctx, l);
  EXPECT_EQ(d.pads_begin, (std::vector<std::int64_t>{2, 1}));
  EXPECT_EQ(d.strides, (std::vector<std::int64_t>{2, 1}));
  EXPECT_EQ(d.dilations, (std::vector<std::int64_t>{1, 2}));
  EXPECT_TRUE(d.has_bias);
  EXPECT_EQ(d.activation, gpu::Activation::kIdentity);
}

TEST(NnConvLowering, DepthwiseGroupsAndHalfPrecisionDescribeACudnnConvolution) {
  NodeUnderTest t(
      "Conv", {random_tensor({1, 8, 7, 7}), random_tensor({8, 1, 3, 3})},
      attrs({{"group", std::int64_t{8}}, {"pads", std::vector<std::int64_t>{1, 1, 1, 1}}}));
  const auto ctx = t.lower(Precision::kFloat16);
  const gpu::ConvolutionDesc d =
      conv_desc(*ctx, library_layer(*ctx, plan::layer_kinds::kCudnnConvolution));
  EXPECT_EQ(d.groups, 8);
  EXPECT_EQ(d.input_dtype, DType::kFloat16);
  EXPECT_EQ(d.filter_shape, (std::vector<std::int64_t>{8, 1, 3, 3}));
}

TEST(NnConvLowering, ThreeDimensionalConvolutionIsACudnnLayer) {
  NodeUnderTest t("Conv", {random_tensor({1, 2, 4, 5, 6}), random_tensor({3, 2, 2, 3, 3})},
                  attrs({{"strides", std::vector<std::int64_t>{1, 2, 2}}}));
  const auto ctx = t.lower(Precision::kFloat32);
  conv_desc(*ctx, library_layer(*ctx, plan::layer_kinds::kCudnnConvolution));
}

TEST(NnConvLowering, DoubleAndFourSpatialAxesFallBackToTheDirectKernel) {
  NodeUnderTest f64(
      "Conv",
      {random_tensor({1, 2, 5, 5}, DType::kFloat64), random_tensor({2, 2, 3, 3}, DType::kFloat64)},
      attrs({{"pads", std::vector<std::int64_t>{0, 1, 2, 1}}}));
  EXPECT_EQ(expect_compiles(f64, Precision::kFloat32).size(), 1u);
  EXPECT_EQ(f64.lower(Precision::kFloat32)->layers().size(), 1u);
  NodeUnderTest four("Conv",
                     {random_tensor({1, 1, 3, 3, 3, 3}), random_tensor({1, 1, 2, 2, 2, 2})});
  EXPECT_EQ(expect_compiles(four, Precision::kFloat32).size(), 1u);
}

TEST(NnConvLowering, FusedActivationsMapToCudnnOrAFollowUpKernel) {
  const auto lowered = [](ir::Attributes a) {
    NodeUnderTest t("Conv",
                    {random_tensor({1, 2, 5, 5}), random_tensor({2, 2, 3, 3}), random_tensor({2})},
                    std::move(a));
    expect_compiles(t, Precision::kFloat32);
    return t.lower(Precision::kFloat32);
  };
  {
    const auto ctx = lowered(attrs({{fusion::kActivation, std::string("relu")}}));
    const auto d = conv_desc(*ctx, library_layer(*ctx, plan::layer_kinds::kCudnnConvolution));
    EXPECT_EQ(d.activation, gpu::Activation::kRelu);
    EXPECT_EQ(kernel_count(*ctx), 0u);
  }
  {
    const auto ctx = lowered(attrs({{fusion::kActivation, std::string("clip")},
                                    {fusion::kClipMin, 0.0F},
                                    {fusion::kClipMax, 6.0F}}));
    const auto d = conv_desc(*ctx, library_layer(*ctx, plan::layer_kinds::kCudnnConvolution));
    EXPECT_EQ(d.activation, gpu::Activation::kClippedRelu);
    EXPECT_FLOAT_EQ(d.clip_ceiling, 6.0F);
  }
  {
    const auto ctx =
        lowered(attrs({{fusion::kActivation, std::string("leaky_relu")}, {fusion::kAlpha, 0.2F}}));
    const auto d = conv_desc(*ctx, library_layer(*ctx, plan::layer_kinds::kCudnnConvolution));
    EXPECT_EQ(d.activation, gpu::Activation::kLeakyRelu);
    EXPECT_FLOAT_EQ(d.leaky_slope, 0.2F);
    EXPECT_EQ(kernel_count(*ctx), 0u);
  }
  for (const auto& [name, activation] :
       {std::pair{"silu", gpu::Activation::kSilu}, std::pair{"gelu", gpu::Activation::kGelu}}) {
    const auto ctx = lowered(attrs({{fusion::kActivation, std::string(name)}}));
    const auto d = conv_desc(*ctx, library_layer(*ctx, plan::layer_kinds::kCudnnConvolution));
    EXPECT_EQ(d.activation, activation) << name;
    EXPECT_EQ(kernel_count(*ctx), 0u) << name << " rides in the convolution layer";
  }
  {
    // No cuDNN form: the layer runs with identity and a generated kernel follows.
    const auto ctx = lowered(attrs({{fusion::kActivation, std::string("hard_swish")}}));
    const auto d = conv_desc(*ctx, library_layer(*ctx, plan::layer_kinds::kCudnnConvolution));
    EXPECT_EQ(d.activation, gpu::Activation::kIdentity);
    ASSERT_EQ(ctx->layers().size(), 2u);
    EXPECT_NE(ctx->layers()[1].launch->source.find("fmax"), std::string::npos);
  }
  EXPECT_THROW(lowered(attrs({{fusion::kActivation, std::string("swish9")}})), ModelError);
}

// --- ConvTranspose --------------------------------------------------------------

TEST(NnConvTransposeLowering, GatherKernelCompilesForEveryPrecision) {
  NodeUnderTest t("ConvTranspose",
                  {random_tensor({1, 4, 3, 4}), random_tensor({4, 3, 3, 3}), random_tensor({6})},
                  attrs({{"group", std::int64_t{2}},
                         {"strides", std::vector<std::int64_t>{2, 3}},
                         {"output_padding", std::vector<std::int64_t>{1, 0}},
                         {"pads", std::vector<std::int64_t>{0, 1, 1, 0}}}));
  for (Precision p : {Precision::kFloat32, Precision::kFloat16, Precision::kBFloat16}) {
    EXPECT_EQ(expect_compiles(t, p).size(), 1u);
  }
}

// --- MatMul ---------------------------------------------------------------------

gpu::MatmulDesc lowered_matmul(Shape a, Shape b, std::size_t expected_kernels = 0) {
  NodeUnderTest t("MatMul", {random_tensor(std::move(a)), random_tensor(std::move(b))});
  expect_compiles(t, Precision::kFloat32);
  const auto ctx = t.lower(Precision::kFloat32);
  EXPECT_EQ(kernel_count(*ctx), expected_kernels);
  return matmul_desc(*ctx, library_layer(*ctx, plan::layer_kinds::kCublasLtMatmul));
}

TEST(NnMatmulLowering, SharedWeightsFoldTheBatchIntoM) {
  const gpu::MatmulDesc d = lowered_matmul({3, 4, 5}, {5, 6});
  EXPECT_EQ(d.m, 12);
  EXPECT_EQ(d.n, 6);
  EXPECT_EQ(d.k, 5);
  EXPECT_EQ(d.batch, 1);
}

TEST(NnMatmulLowering, BroadcastOperandGetsBatchStrideZero) {
  const gpu::MatmulDesc d = lowered_matmul({4, 5}, {2, 3, 5, 6});
  EXPECT_EQ(d.batch, 6);
  EXPECT_EQ(d.batch_stride_a, 0);
  EXPECT_EQ(d.batch_stride_b, 30);
  EXPECT_EQ(d.batch_stride_c, 24);
}

TEST(NnMatmulLowering, EqualBatchesArePacked) {
  const gpu::MatmulDesc d = lowered_matmul({2, 3, 4, 5}, {2, 3, 5, 6});
  EXPECT_EQ(d.batch, 6);
  EXPECT_EQ(d.batch_stride_a, 20);
  EXPECT_EQ(d.batch_stride_b, 30);
}

TEST(NnMatmulLowering, CrossBroadcastBatchesAreMaterialised) {
  // [2, 1] x [1, 3]: no single stride walks either operand.
  const gpu::MatmulDesc d = lowered_matmul({2, 1, 4, 5}, {1, 3, 5, 6}, 2);
  EXPECT_EQ(d.batch, 6);
  EXPECT_EQ(d.batch_stride_a, 20);
  EXPECT_EQ(d.batch_stride_b, 30);
}

TEST(NnMatmulLowering, OneDimensionalOperandsAreRowAndColumnVectors) {
  const gpu::MatmulDesc row = lowered_matmul({5}, {5, 6});
  EXPECT_EQ(row.m, 1);
  EXPECT_EQ(row.n, 6);
  const gpu::MatmulDesc column = lowered_matmul({3, 4, 5}, {5});
  EXPECT_EQ(column.m, 12);
  EXPECT_EQ(column.n, 1);
  const gpu::MatmulDesc dot = lowered_matmul({5}, {5});
  EXPECT_EQ(dot.m * dot.n, 1);
}

TEST(NnMatmulLowering, FusedBiasAndReluRideInTheEpilogue) {
  NodeUnderTest t(
      "MatMul", {random_tensor({4, 5}), random_tensor({5, 6}), random_tensor({6})},
      attrs({{fusion::kBias, std::int64_t{1}}, {fusion::kActivation, std::string("relu")}}));
  const auto ctx = t.lower(Precision::kFloat32);
  const EmittedLayer& l = library_layer(*ctx, plan::layer_kinds::kCublasLtMatmul);
  EXPECT_EQ(matmul_desc(*ctx, l).epilogue, gpu::MatmulEpilogue::kBiasRelu);
  ASSERT_EQ(l.inputs.size(), 3u);
  EXPECT_EQ(l.inputs[2], ctx->inputs()[2].id);
  EXPECT_EQ(kernel_count(*ctx), 0u);
}

TEST(NnMatmulLowering, ExactGeluIsAFollowUpKernelNotCublasGelu) {
  NodeUnderTest t(
      "MatMul", {random_tensor({4, 5}), random_tensor({5, 6}), random_tensor({6})},
      attrs({{fusion::kBias, std::int64_t{1}}, {fusion::kActivation, std::string("gelu")}}));
  expect_compiles(t, Precision::kFloat16);
  const auto ctx = t.lower(Precision::kFloat16);
  EXPECT_EQ(matmul_desc(*ctx, library_layer(*ctx, plan::layer_kinds::kCublasLtMatmul)).epilogue,
            gpu::MatmulEpilogue::kBias);
  ASSERT_EQ(kernel_count(*ctx), 1u);
  EXPECT_NE(ctx->launches()[0].source.find("erff"), std::string::npos);
  // 4 x 6 f16 is three 16-byte vectors: the follow-up kernel takes whole vectors.
  EXPECT_NE(ctx->launches()[0].source.find("uint4* y"), std::string::npos);
}

TEST(NnMatmulLoweringGpu, ExactGeluFollowUpMatchesAHandComputedProduct) {
  TRTUTILS_REQUIRE_GPU();
  // The CPU MatMul knows nothing of the fused attributes: the oracle is
  // gelu(a b + bias) computed here in double from the same (rounded) inputs.
  // 6 x 40: whole vectors in f32 and f16; 5 x 7: element by element.
  constexpr std::int64_t kK = 16;
  for (const auto& [m, n] : {std::pair<std::int64_t, std::int64_t>{6, 40}, {5, 7}}) {
    for (const auto& [precision, tolerance] :
         {std::pair{Precision::kFloat32, 1e-5}, std::pair{Precision::kFloat16, 1e-2}}) {
      NodeUnderTest t(
          "MatMul", {random_tensor({m, kK}), random_tensor({kK, n}, DType::kFloat32, 12),
                     random_tensor({n}, DType::kFloat32, 13)},
          attrs({{fusion::kBias, std::int64_t{1}}, {fusion::kActivation, std::string("gelu")}}));
      std::vector<HostTensor> rounded;
      for (const HostTensor& input : t.inputs()) rounded.push_back(round_to_storage(input, precision));
      t.set_inputs(rounded);
      const auto a = rounded[0].values<float>();
      const auto b = rounded[1].values<float>();
      const auto bias = rounded[2].values<float>();
      std::vector<float> want(static_cast<std::size_t>(m * n));
      for (std::int64_t i = 0; i < m; ++i) {
        for (std::int64_t j = 0; j < n; ++j) {
          double v = bias[static_cast<std::size_t>(j)];
          for (std::int64_t k = 0; k < kK; ++k) {
            v += static_cast<double>(a[static_cast<std::size_t>(i * kK + k)]) *
                 b[static_cast<std::size_t>(k * n + j)];
          }
          want[static_cast<std::size_t>(i * n + j)] =
              static_cast<float>(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))));
        }
      }
      const std::vector<HostTensor> got = run_lowered_with_libraries(t, precision);
      ASSERT_EQ(got.size(), 1u);
      EXPECT_LE(rel_l2(got[0], HostTensor::from_values({m, n}, want)), tolerance)
          << m << " x " << n << " " << plan::precision_name(precision);
    }
  }
}

TEST(NnMatmulLowering, IntegerMatmulIsAGeneratedKernel) {
  NodeUnderTest t("MatMul", {random_tensor({2, 1, 3, 4}, DType::kInt64),
                             random_tensor({3, 4, 2}, DType::kInt64)});
  EXPECT_EQ(expect_compiles(t, Precision::kFloat32).size(), 1u);
  EXPECT_EQ(t.lower(Precision::kFloat32)->layers().size(), 1u);
}

// --- Gemm -----------------------------------------------------------------------

std::unique_ptr<FakeLoweringContext> lowered_gemm(Shape c, float beta,
                                                  std::unique_ptr<NodeUnderTest>* keep = nullptr) {
  auto t = std::make_unique<NodeUnderTest>(
      "Gemm",
      std::vector<HostTensor>{random_tensor({5, 4}), random_tensor({6, 5}),
                              c.size() == 1 && c[0] == 0 ? HostTensor() : random_tensor(c)},
      attrs({{"transA", std::int64_t{1}},
             {"transB", std::int64_t{1}},
             {"alpha", 0.5F},
             {"beta", beta}}));
  expect_compiles(*t, Precision::kFloat32);
  auto ctx = t->lower(Precision::kFloat32);
  if (keep) *keep = std::move(t);
  return ctx;
}

TEST(NnGemmLowering, RowBiasWithUnitBetaIsTheBiasEpilogue) {
  std::unique_ptr<NodeUnderTest> t;
  const auto ctx = lowered_gemm({6}, 1.0F, &t);
  const EmittedLayer& l = library_layer(*ctx, plan::layer_kinds::kCublasLtMatmul);
  const gpu::MatmulDesc d = matmul_desc(*ctx, l);
  EXPECT_EQ(d.epilogue, gpu::MatmulEpilogue::kBias);
  EXPECT_TRUE(d.transpose_a);
  EXPECT_TRUE(d.transpose_b);
  EXPECT_EQ(d.m, 4);
  EXPECT_EQ(d.n, 6);
  EXPECT_EQ(d.k, 5);
  EXPECT_FLOAT_EQ(d.alpha, 0.5F);
  EXPECT_EQ(d.beta, 0.0F);
  EXPECT_EQ(kernel_count(*ctx), 0u);
}

TEST(NnGemmLowering, FullCIsCublasCWithBeta) {
  const auto ctx = lowered_gemm({4, 6}, 0.25F);
  const EmittedLayer& l = library_layer(*ctx, plan::layer_kinds::kCublasLtMatmul);
  const gpu::MatmulDesc d = matmul_desc(*ctx, l);
  EXPECT_EQ(d.epilogue, gpu::MatmulEpilogue::kNone);
  EXPECT_FLOAT_EQ(d.beta, 0.25F);
  EXPECT_EQ(l.inputs.back(), ctx->inputs()[2].id);
  EXPECT_EQ(kernel_count(*ctx), 0u);
}

TEST(NnGemmLowering, OtherBroadcastCIsMaterialisedFirst) {
  for (const Shape& c : {Shape{4, 1}, Shape{}, Shape{1, 1}}) {
    const auto ctx = lowered_gemm(c, 2.0F);
    ASSERT_EQ(kernel_count(*ctx), 1u) << shape_to_string(c);
    const EmittedLayer& l = library_layer(*ctx, plan::layer_kinds::kCublasLtMatmul);
    EXPECT_FLOAT_EQ(matmul_desc(*ctx, l).beta, 2.0F);
    EXPECT_EQ(l.inputs.back(), ctx->scratch().at(0).id);
  }
  // A row C with beta != 1 cannot be the (unscaled) bias epilogue.
  const auto row = lowered_gemm({6}, 2.0F);
  EXPECT_EQ(kernel_count(*row), 1u);
  EXPECT_EQ(matmul_desc(*row, library_layer(*row, plan::layer_kinds::kCublasLtMatmul)).epilogue,
            gpu::MatmulEpilogue::kNone);
}

TEST(NnGemmLowering, NoCMeansBetaZero) {
  const auto ctx = lowered_gemm({0}, 1.0F);
  EXPECT_EQ(matmul_desc(*ctx, library_layer(*ctx, plan::layer_kinds::kCublasLtMatmul)).beta, 0.0F);
}

TEST(NnGemmLowering, IntegerGemmIsAGeneratedKernel) {
  NodeUnderTest t("Gemm",
                  {random_tensor({3, 4}, DType::kInt32), random_tensor({4, 2}, DType::kInt32),
                   random_tensor({3, 1}, DType::kInt32)});
  EXPECT_EQ(expect_compiles(t, Precision::kFloat32).size(), 1u);
}

// --- Einsum -----------------------------------------------------------------------

TEST(NnEinsumLowering, GeneratedKernelsCompile) {
  const std::vector<std::pair<std::string, std::vector<Shape>>> cases = {
      {"ij,jk->ik", {{3, 4}, {4, 5}}},
      {"bij,bjk->bik", {{2, 3, 4}, {2, 4, 5}}},
      {"ii->i", {{4, 4}}},
      {"...ij->...ji", {{2, 3, 4}}},
      {"i,i", {{7}, {7}}},
      {"ij,kj,j->ik", {{2, 3}, {4, 3}, {3}}}};
  for (const auto& [equation, shapes] : cases) {
    std::vector<HostTensor> inputs;
    for (const Shape& s : shapes) inputs.push_back(random_tensor(s));
    NodeUnderTest t("Einsum", inputs, attrs({{"equation", equation}}));
    EXPECT_EQ(expect_compiles(t, Precision::kFloat16).size(), 1u) << equation;
  }
}

// --- On the GPU ------------------------------------------------------------------

constexpr double kLibraryF32 = 1e-4;
constexpr double kF16 = 1e-2;

void expect_gpu_matches(NodeUnderTest& t, double f32_tolerance = kLibraryF32) {
  expect_close_to_cpu(t, Precision::kFloat32, f32_tolerance);
  expect_close_to_cpu(t, Precision::kFloat16, kF16);
}

TEST(NnLibraryLoweringGpu, Conv) {
  TRTUTILS_REQUIRE_GPU();
  NodeUnderTest asymmetric(
      "Conv", {random_tensor({2, 4, 9, 8}), random_tensor({6, 4, 3, 3}), random_tensor({6})},
      attrs({{"pads", std::vector<std::int64_t>{0, 1, 2, 1}},
             {"strides", std::vector<std::int64_t>{2, 1}}}));
  expect_gpu_matches(asymmetric);
  NodeUnderTest depthwise("Conv", {random_tensor({1, 8, 7, 7}), random_tensor({8, 1, 3, 3})},
                          attrs({{"group", std::int64_t{8}},
                                 {"auto_pad", std::string("SAME_LOWER")},
                                 {"dilations", std::vector<std::int64_t>{2, 1}}}));
  expect_gpu_matches(depthwise);
  NodeUnderTest one_d("Conv", {random_tensor({2, 3, 11}), random_tensor({4, 3, 4})},
                      attrs({{"auto_pad", std::string("SAME_UPPER")}}));
  expect_gpu_matches(one_d);
  NodeUnderTest three_d("Conv", {random_tensor({1, 2, 4, 5, 6}), random_tensor({3, 2, 2, 3, 3})});
  expect_gpu_matches(three_d);
  NodeUnderTest f64(
      "Conv",
      {random_tensor({1, 2, 5, 5}, DType::kFloat64), random_tensor({2, 2, 3, 3}, DType::kFloat64)},
      attrs({{"pads", std::vector<std::int64_t>{0, 1, 2, 1}}}));
  expect_close_to_cpu(f64, Precision::kFloat32, 1e-12);
}

TEST(NnLibraryLoweringGpu, ConvTranspose) {
  TRTUTILS_REQUIRE_GPU();
  NodeUnderTest t("ConvTranspose",
                  {random_tensor({2, 4, 3, 4}), random_tensor({4, 3, 3, 3}), random_tensor({6})},
                  attrs({{"group", std::int64_t{2}},
                         {"strides", std::vector<std::int64_t>{2, 3}},
                         {"output_padding", std::vector<std::int64_t>{1, 0}},
                         {"pads", std::vector<std::int64_t>{0, 1, 1, 0}}}));
  expect_gpu_matches(t, 1e-5);
  NodeUnderTest shaped("ConvTranspose", {random_tensor({1, 2, 5}), random_tensor({2, 2, 3})},
                       attrs({{"strides", std::vector<std::int64_t>{2}},
                              {"output_shape", std::vector<std::int64_t>{12}},
                              {"dilations", std::vector<std::int64_t>{2}}}));
  expect_gpu_matches(shaped, 1e-5);
}

TEST(NnLibraryLoweringGpu, MatMul) {
  TRTUTILS_REQUIRE_GPU();
  const std::vector<std::pair<Shape, Shape>> cases = {{{3, 4, 5}, {5, 6}},
                                                      {{4, 5}, {2, 3, 5, 6}},
                                                      {{2, 3, 4, 5}, {2, 3, 5, 6}},
                                                      {{2, 1, 4, 5}, {1, 3, 5, 6}},
                                                      {{5}, {5, 6}},
                                                      {{3, 4, 5}, {5}},
                                                      {{5}, {5}}};
  for (const auto& [a, b] : cases) {
    NodeUnderTest t("MatMul",
                    {random_tensor(a, DType::kFloat32, 1), random_tensor(b, DType::kFloat32, 2)});
    expect_gpu_matches(t);
  }
  NodeUnderTest ints("MatMul", {random_tensor({2, 1, 3, 4}, DType::kInt64),
                                random_tensor({3, 4, 2}, DType::kInt64)});
  expect_close_to_cpu(ints, Precision::kFloat32, 0.0);
}

TEST(NnLibraryLoweringGpu, Gemm) {
  TRTUTILS_REQUIRE_GPU();
  for (const Shape& c : {Shape{6}, Shape{4, 6}, Shape{4, 1}, Shape{}, Shape{1, 6}}) {
    for (float beta : {1.0F, 0.5F}) {
      NodeUnderTest t("Gemm", {random_tensor({5, 4}), random_tensor({6, 5}), random_tensor(c)},
                      attrs({{"transA", std::int64_t{1}},
                             {"transB", std::int64_t{1}},
                             {"alpha", 0.75F},
                             {"beta", beta}}));
      expect_gpu_matches(t);
    }
  }
}

TEST(NnLibraryLoweringGpu, Einsum) {
  TRTUTILS_REQUIRE_GPU();
  NodeUnderTest t("Einsum", {random_tensor({2, 3, 4}), random_tensor({2, 4, 5})},
                  attrs({{"equation", std::string("bij,bjk->bik")}}));
  expect_gpu_matches(t, 1e-5);
  NodeUnderTest diagonal("Einsum", {random_tensor({4, 4})},
                         attrs({{"equation", std::string("ii->i")}}));
  expect_gpu_matches(diagonal, 1e-5);
}

}  // namespace
}  // namespace trtutils::testing
