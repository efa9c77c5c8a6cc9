// Layout passes on CNN blocks: channels-last conversion, transpose sinking /
// cancellation and conv + residual fusion. The oracle is the CPU reference
// executor on the untouched graph; the rewritten graph (run with
// fused_reference_registry) must compute the same, and only boundary
// transposes may remain.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "builder/cnn_blocks.hpp"
#include "trtutils/builder/builder.hpp"
#include "trtutils/builder/fusion.hpp"
#include "trtutils/ops/internal_ops.hpp"
#include "trtutils/ops/reference_executor.hpp"
#include "trtutils/passes/passes.hpp"
#include "trtutils/plan/layer_kinds.hpp"

namespace trtutils::builder {
namespace {

using namespace test_blocks;

struct Result {
  BuildReport report;
  ir::Graph graph;
  FusedSubgraphs subgraphs;
};

int count(const ir::Graph& g, const std::string& op) {
  int n = 0;
  for (const ir::Node* node : g.nodes()) n += node->op_type() == op;
  return n;
}

/// Builds the graph twice, runs the builder's passes on one copy and checks
/// that both compute the same outputs on the same inputs.
Result check_passes(const Make& make, bool channels_last) {
  ir::Graph original;
  original.opset_imports[""] = 17;
  make(original);
  passes::infer_shapes(original);
  Result r;
  r.graph.opset_imports[""] = 17;
  make(r.graph);
  passes::infer_shapes(r.graph);
  r.report = run_fusion_passes(r.graph, channels_last, r.subgraphs);
  r.graph.validate();
  ops::TensorMap inputs;
  float offset = 0.2f;
  for (const ir::Value* in : original.inputs()) {
    inputs[in->name()] = ramp(ir::to_static(*in->shape()), 1.5f, offset += 0.9f);
  }
  const ops::TensorMap expected = ops::ReferenceExecutor(original).run(inputs);
  const ops::OpRegistry registry = fused_reference_registry(r.subgraphs);
  const ops::TensorMap actual = ops::ReferenceExecutor(r.graph, registry).run(inputs);
  EXPECT_EQ(actual.size(), expected.size());
  for (const auto& [name, want] : expected) {
    const HostTensor& got = actual.at(name);
    EXPECT_EQ(got.shape(), want.shape()) << name;
    if (got.shape() != want.shape()) continue;
    for (std::size_t i = 0; i < want.values<float>().size(); ++i) {
      EXPECT_NEAR(got.values<float>()[i], want.values<float>()[i],
                  1e-4f * (1.0f + std::fabs(want.values<float>()[i])))
          << name << "[" << i << "]";
    }
  }
  EXPECT_EQ(r.report.transposes_left, count(r.graph, "Transpose"));
  return r;
}

TEST(Layout, ResnetBlockRunsChannelsLastWithTransposesOnlyAtTheBoundary) {
  const Result r = check_passes(resnet_block, true);
  EXPECT_EQ(r.report.convolutions_nhwc, 3);
  EXPECT_EQ(r.report.transposes_inserted, 6);
  EXPECT_EQ(r.report.transposes_left, 2);  // the image in, the output out
  EXPECT_EQ(r.report.batchnorms_folded, 3);
  EXPECT_EQ(r.report.residuals_fused, 1);
  EXPECT_EQ(count(r.graph, "Conv"), 0);
  EXPECT_EQ(count(r.graph, ops::kConvNhwcOp), 3);
  EXPECT_EQ(count(r.graph, "Add"), 0);  // the residual rides in the last conv
  // The transposes sit at the boundary: one reads the graph input, one
  // writes the graph output.
  for (const ir::Node* node : r.graph.nodes()) {
    if (node->op_type() != "Transpose") continue;
    const bool reads_input = node->input(0) == r.graph.inputs()[0];
    const bool writes_output = node->output(0) == r.graph.outputs()[0];
    EXPECT_TRUE(reads_input || writes_output) << node->describe();
  }
}

TEST(Layout, ResidualConvCarriesZAndTheFollowingRelu) {
  const Result r = check_passes(resnet_block, true);
  int with_residual = 0;
  for (const ir::Node* node : r.graph.nodes()) {
    if (node->op_type() != ops::kConvNhwcOp || node->inputs().size() < 4) continue;
    ++with_residual;
    EXPECT_EQ(node->attributes().get_string(fusion_attributes::kActivation), "relu");
  }
  EXPECT_EQ(with_residual, 1);
}

TEST(Layout, NchwBuildsFuseTheResidualIntoTheOnnxConv) {
  const Result r = check_passes(resnet_block, false);
  EXPECT_EQ(r.report.convolutions_nhwc, 0);
  EXPECT_EQ(r.report.transposes_left, 0);
  EXPECT_EQ(r.report.residuals_fused, 1);
  int with_residual = 0;
  for (const ir::Node* node : r.graph.nodes()) {
    if (node->op_type() == "Conv" && node->attributes().get_int(fusion_attributes::kResidual, 0) == 1) {
      ++with_residual;
      EXPECT_EQ(node->inputs().size(), 4u);
    }
  }
  EXPECT_EQ(with_residual, 1);
}

TEST(Layout, C2fBlockCancelsEveryInnerTranspose) {
  const Result r = check_passes(c2f_block, true);
  EXPECT_EQ(r.report.convolutions_nhwc, 4);
  EXPECT_EQ(r.report.transposes_left, 2);
  EXPECT_EQ(r.report.residuals_fused, 0);  // the shortcut follows a SiLU: not a conv's z
}

TEST(Layout, DepthwiseAndPointwiseConvsShareOneLayout) {
  const Result r = check_passes(depthwise_block, true);
  EXPECT_EQ(r.report.convolutions_nhwc, 2);
  EXPECT_EQ(r.report.transposes_left, 2);
}

TEST(Layout, GlobalPoolingReducesChannelsLastAndLeavesOnlyTheInputTranspose) {
  const Result r = check_passes(classifier_head, true);
  EXPECT_EQ(r.report.convolutions_nhwc, 2);
  EXPECT_EQ(r.report.transposes_left, 1);  // the image in; [N,1,1,C] -> [N,C,1,1] is a Reshape
  EXPECT_EQ(count(r.graph, "GlobalAveragePool"), 0);
  EXPECT_EQ(count(r.graph, "ReduceMean"), 1);
}

TEST(Layout, MaxPoolKeepsItsTransposes) {
  const Result r = check_passes(
      [](ir::Graph& g) {
        GraphMaker m(g);
        ir::Value* y = m.op("Relu", {m.conv_bn(m.input("x", {1, 2, 6, 6}), 2, 4, 3)});
        ir::Attributes pool;
        pool.set("kernel_shape", std::vector<std::int64_t>{2, 2});
        pool.set("strides", std::vector<std::int64_t>{2, 2});
        y = m.op("MaxPool", {y}, pool);
        g.outputs().push_back(m.conv_bn(y, 4, 4, 3));
      },
      true);
  EXPECT_EQ(r.report.transposes_left, 4);  // in, around the pool, out
}

TEST(Layout, TransposesCancelOnlyWhenInverse) {
  ir::Graph g;
  g.opset_imports[""] = 17;
  GraphMaker m(g);
  ir::Attributes to_last;
  to_last.set("perm", std::vector<std::int64_t>{0, 2, 3, 1});
  ir::Attributes to_first;
  to_first.set("perm", std::vector<std::int64_t>{0, 3, 1, 2});
  ir::Value* x = m.input("x", {1, 2, 3, 4});
  ir::Value* back = m.op("Transpose", {m.op("Transpose", {x}, to_last)}, to_first);
  ir::Value* twice = m.op("Transpose", {m.op("Transpose", {x}, to_last)}, to_last);
  g.outputs().push_back(m.op("Relu", {back}));
  g.outputs().push_back(twice);
  passes::infer_shapes(g);
  EXPECT_EQ(optimize_transposes(g), 3);  // the pair vanished, the other two became one
  ASSERT_EQ(count(g, "Transpose"), 1);
  for (const ir::Node* node : g.nodes()) {
    if (node->op_type() == "Relu") {
      EXPECT_EQ(node->input(0), x);
    }
    if (node->op_type() == "Transpose") {
      EXPECT_EQ(node->attributes().get_ints("perm"), (std::vector<std::int64_t>{0, 3, 1, 2}));
    }
  }
}

TEST(Layout, TransposeStaysBeforeAReshape) {
  ir::Graph g;
  g.opset_imports[""] = 17;
  GraphMaker m(g);
  ir::Attributes perm;
  perm.set("perm", std::vector<std::int64_t>{0, 2, 3, 1});
  ir::Value* t = m.op("Transpose", {m.input("x", {1, 2, 3, 4})}, perm);
  g.outputs().push_back(m.op("Reshape", {m.op("Sigmoid", {t}), m.ints({1, 24})}));
  passes::infer_shapes(g);
  EXPECT_EQ(optimize_transposes(g), 0);
  // Sunk below the Sigmoid, but a Reshape is a boundary.
  const ir::Node* reshape = g.outputs()[0]->producer();
  ASSERT_NE(reshape->input(0)->producer(), nullptr);
  EXPECT_EQ(reshape->input(0)->producer()->op_type(), "Transpose");
}

TEST(Layout, AutoMeansNhwcForHalfPrecisionOnly) {
  BuildOptions o;
  EXPECT_FALSE(uses_channels_last(o));
  o.precision = plan::Precision::kFloat16;
  EXPECT_TRUE(uses_channels_last(o));
  o.precision = plan::Precision::kBFloat16;
  EXPECT_TRUE(uses_channels_last(o));
  o.layout = ConvolutionLayout::kNCHW;
  EXPECT_FALSE(uses_channels_last(o));
  o.precision = plan::Precision::kFloat32;
  o.layout = ConvolutionLayout::kNHWC;
  EXPECT_TRUE(uses_channels_last(o));
  o.fuse = false;
  EXPECT_FALSE(uses_channels_last(o));
  EXPECT_EQ(layout_from_name("nhwc"), ConvolutionLayout::kNHWC);
  EXPECT_THROW(layout_from_name("NHCW"), InvalidArgument);
}

// The real lowerings, without a GPU (autotune off, NVRTC for sm_90).
plan::Plan build_block(const Make& make, plan::Precision precision, ConvolutionLayout layout,
                       BuildReport* report) {
  ir::Graph g;
  g.opset_imports[""] = 17;
  make(g);
  BuildOptions o;
  o.autotune = false;
  o.target_arch = "sm_90";
  o.precision = precision;
  o.layout = layout;
  return build(std::move(g), o, ops::OpRegistry::builtin(), report);
}

TEST(LayoutBuild, Fp16ResnetBlockEmitsNhwcConvolutionsWithAResidual) {
  BuildReport report;
  const plan::Plan p =
      build_block(resnet_block, plan::Precision::kFloat16, ConvolutionLayout::kAuto, &report);
  namespace conv = plan::layer_kinds::convolution;
  int convolutions = 0;
  int residuals = 0;
  for (const plan::LayerDesc& layer : p.layers) {
    if (layer.kernel != plan::layer_kinds::kCudnnConvolution) continue;
    ++convolutions;
    EXPECT_EQ(layer.params.get_int(conv::kLayout), 1) << layer.name;
    if (layer.params.get_int(conv::kHasResidual) == 1) {
      ++residuals;
      EXPECT_EQ(layer.inputs.size(), 4u);  // x, w, bias, z
      EXPECT_EQ(layer.params.get_int(conv::kActivation), conv::kRelu);
    }
  }
  EXPECT_EQ(convolutions, 3);
  EXPECT_EQ(residuals, 1);
  EXPECT_EQ(report.transposes_left, 2);
  EXPECT_EQ(p.header.builder_options.at("layout"), "auto (convolutions NHWC)");
}

TEST(LayoutBuild, Fp32DefaultStaysNchw) {
  BuildReport report;
  const plan::Plan p =
      build_block(resnet_block, plan::Precision::kFloat32, ConvolutionLayout::kAuto, &report);
  for (const plan::LayerDesc& layer : p.layers) {
    if (layer.kernel == plan::layer_kinds::kCudnnConvolution) {
      EXPECT_EQ(layer.params.get_int(plan::layer_kinds::convolution::kLayout), 0) << layer.name;
    }
  }
  EXPECT_EQ(report.convolutions_nhwc, 0);
  EXPECT_EQ(report.residuals_fused, 1);
}

TEST(LayoutBuild, BoundaryTransposesUseTheTiledKernel) {
  const plan::Plan p =
      build_block(depthwise_block, plan::Precision::kFloat32, ConvolutionLayout::kNHWC, nullptr);
  int tiled = 0;
  for (const plan::LayerDesc& layer : p.layers) {
    if (layer.kernel != plan::layer_kinds::kNvrtcKernel) continue;
    tiled += layer.params.get_string(plan::layer_kinds::nvrtc::kEntry) == "trt_transpose_tiled";
  }
  EXPECT_EQ(tiled, 2);
}

}  // namespace
}  // namespace trtutils::builder
