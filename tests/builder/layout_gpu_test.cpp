// GPU: CNN blocks built channels-last (NHWC) and channels-first, fp32 and
// fp16, run by TRTEngine against the CPU reference of the untouched graph;
// the plans' convolutions must record the layout asked for. And the tiled
// Transpose kernel against the CPU reference on awkward shapes.
#include <gtest/gtest.h>

#include <cmath>

#include "builder/cnn_blocks.hpp"
#include "gpu_test_support.hpp"
#include "trtutils/builder/builder.hpp"
#include "trtutils/ops/reference_executor.hpp"
#include "trtutils/passes/passes.hpp"
#include "trtutils/plan/layer_kinds.hpp"
#include "trtutils/runtime/trt_engine.hpp"

namespace trtutils::builder {
namespace {

using namespace test_blocks;

struct Case {
  const char* name;
  Make make;
};

const std::vector<Case>& blocks() {
  static const std::vector<Case> cases{{"resnet", resnet_block},
                                       {"c2f", c2f_block},
                                       {"depthwise", depthwise_block},
                                       {"convnext", convnext_block},
                                       {"classifier", classifier_head}};
  return cases;
}

ir::Graph make_graph(const Make& make) {
  ir::Graph g;
  g.opset_imports[""] = 17;
  make(g);
  return g;
}

std::vector<HostTensor> inputs_for(const ir::Graph& g) {
  std::vector<HostTensor> inputs;
  float offset = 0.2f;
  for (const ir::Value* in : g.inputs()) inputs.push_back(ramp(ir::to_static(*in->shape()), 1.5f, offset += 0.9f));
  return inputs;
}

/// Builds `make` with `precision` and `layout`, runs it and compares every
/// output with the CPU reference: each element within rtol * (0.05 + |want|),
/// and the whole output within rel_l2 (||got - want|| / ||want||). Reduced
/// precisions are judged on the norm: an element near zero after cancellation
/// carries the rounding of the large terms it came from (bf16 keeps 8 bits,
/// so its per-element bound is a sanity bound, 8x fp16's).
void check_block(const Case& block, plan::Precision precision, ConvolutionLayout layout, double rtol,
                 std::int64_t expected_layout, double rel_l2 = 1e-4) {
  SCOPED_TRACE(block.name);
  ir::Graph reference = make_graph(block.make);
  passes::infer_shapes(reference);
  const std::vector<HostTensor> inputs = inputs_for(reference);
  ops::TensorMap named;
  for (std::size_t i = 0; i < inputs.size(); ++i) named[reference.inputs()[i]->name()] = inputs[i];
  const ops::TensorMap expected = ops::ReferenceExecutor(reference).run(named);

  BuildOptions o;
  o.precision = precision;
  o.layout = layout;
  BuildReport report;
  const plan::Plan p = build(make_graph(block.make), o, ops::OpRegistry::builtin(), &report);
  int convolutions = 0;
  for (const plan::LayerDesc& layer : p.layers) {
    if (layer.kernel != plan::layer_kinds::kCudnnConvolution) continue;
    ++convolutions;
    EXPECT_EQ(layer.params.get_int(plan::layer_kinds::convolution::kLayout), expected_layout) << layer.name;
  }
  EXPECT_GT(convolutions, 0);
  runtime::TRTEngine engine{plan::Plan(p)};
  const std::vector<HostTensor> outputs = engine.execute(inputs);
  ASSERT_EQ(outputs.size(), reference.outputs().size());
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    const HostTensor& want = expected.at(reference.outputs()[k]->name());
    const HostTensor got = outputs[k].cast(DType::kFloat32);
    ASSERT_EQ(got.shape(), want.shape());
    double worst = 0.0;
    double diff_sq = 0.0;
    double want_sq = 0.0;
    for (std::size_t i = 0; i < want.values<float>().size(); ++i) {
      const double w = want.values<float>()[i];
      diff_sq += (got.values<float>()[i] - w) * (got.values<float>()[i] - w);
      want_sq += w * w;
      const double error = std::fabs(got.values<float>()[i] - w) / (0.05 + std::fabs(w));
      worst = std::max(worst, error);
      EXPECT_LE(error, rtol) << "output " << k << " element " << i << ": " << got.values<float>()[i]
                             << " vs " << w;
    }
    const double l2 = std::sqrt(diff_sq / want_sq);
    EXPECT_LE(l2, rel_l2) << "output " << k << ": relative L2 error";
    ::testing::Test::RecordProperty(std::string(block.name) + "_worst_relative_error", std::to_string(worst));
    ::testing::Test::RecordProperty(std::string(block.name) + "_relative_l2", std::to_string(l2));
  }
}

TEST(LayoutGpu, Fp32NhwcBlocksMatchTheCpuReference) {
  TRTUTILS_REQUIRE_GPU();
  for (const Case& block : blocks()) check_block(block, plan::Precision::kFloat32, ConvolutionLayout::kNHWC, 1e-3, 1);
}

TEST(LayoutGpu, Fp32NchwBlocksMatchTheCpuReference) {
  TRTUTILS_REQUIRE_GPU();
  for (const Case& block : blocks()) check_block(block, plan::Precision::kFloat32, ConvolutionLayout::kNCHW, 1e-3, 0);
}

TEST(LayoutGpu, Fp16BlocksRunNhwcByDefaultAndStayClose) {
  TRTUTILS_REQUIRE_GPU();
  for (const Case& block : blocks()) check_block(block, plan::Precision::kFloat16, ConvolutionLayout::kAuto, 3e-2, 1, 1e-2);
}

TEST(LayoutGpu, Bf16NhwcBlocksStayClose) {
  TRTUTILS_REQUIRE_GPU();
  for (const Case& block : blocks()) check_block(block, plan::Precision::kBFloat16, ConvolutionLayout::kAuto, 3e-1, 1, 5e-2);
}

/// One Transpose of `shape` by `perm`, as an fp32 graph.
void check_transpose(const Shape& shape, const std::vector<std::int64_t>& perm, plan::Precision precision) {
  const Make make = [&](ir::Graph& g) {
    GraphMaker m(g);
    ir::Attributes a;
    a.set("perm", perm);
    g.outputs().push_back(m.op("Transpose", {m.input("x", shape)}, a));
  };
  ir::Graph reference = make_graph(make);
  passes::infer_shapes(reference);
  // Values exact in fp16 too: small integers.
  HostTensor x(shape, DType::kFloat32);
  for (std::size_t i = 0; i < x.values<float>().size(); ++i) x.values<float>()[i] = static_cast<float>(i % 1000);
  const HostTensor want = ops::ReferenceExecutor(reference).run({{"x", x}}).begin()->second;
  BuildOptions o;
  o.precision = precision;
  runtime::TRTEngine engine{build(make_graph(make), o)};
  const HostTensor got = engine.execute({x}).at(0);
  ASSERT_EQ(got.shape(), want.shape());
  for (std::size_t i = 0; i < want.values<float>().size(); ++i) {
    ASSERT_EQ(got.values<float>()[i], want.values<float>()[i]) << "element " << i;
  }
}

TEST(LayoutGpu, TiledTransposeMatchesTheCpuReference) {
  TRTUTILS_REQUIRE_GPU();
  for (const plan::Precision precision : {plan::Precision::kFloat32, plan::Precision::kFloat16}) {
    check_transpose({2, 37, 45, 19}, {0, 2, 3, 1}, precision);   // NCHW -> NHWC, ragged tiles
    check_transpose({2, 45, 19, 37}, {0, 3, 1, 2}, precision);   // NHWC -> NCHW
    check_transpose({100, 70}, {1, 0}, precision);               // a matrix
    check_transpose({3, 5, 64, 33}, {2, 0, 3, 1}, precision);    // batch axes on both sides
    check_transpose({1, 4, 2, 8}, {0, 2, 3, 1}, precision);      // too small to tile: strided copy
  }
}

}  // namespace
}  // namespace trtutils::builder
