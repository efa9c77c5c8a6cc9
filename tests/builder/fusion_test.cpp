// Fusion passes on small hand-built graphs: each rewrite must happen, and the
// rewritten graph (run with fused_reference_registry) must compute what the
// original computes (run with the builtin registry).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "trtutils/builder/fusion.hpp"
#include "trtutils/ops/reference_executor.hpp"
#include "trtutils/passes/passes.hpp"

namespace trtutils::builder {
namespace {

namespace fa = fusion_attributes;

HostTensor ramp(Shape shape, float scale, float offset) {
  HostTensor t(shape, DType::kFloat32);
  float v = offset;
  for (float& x : t.values<float>()) {
    x = std::sin(v) * scale;
    v += 0.7f;
  }
  return t;
}

ir::Value* constant(ir::Graph& g, const std::string& name, HostTensor value) {
  ir::Value* v = g.add_value(name);
  v->set_constant(std::move(value));
  return v;
}

ir::Value* input(ir::Graph& g, const std::string& name, const Shape& shape) {
  ir::Value* v = g.add_value(name);
  v->set_dtype(DType::kFloat32);
  v->set_shape(ir::from_static(shape));
  g.inputs().push_back(v);
  return v;
}

ir::Value* node(ir::Graph& g, const std::string& op, std::vector<ir::Value*> ins,
                ir::Attributes attributes = {}) {
  ir::Value* out = g.add_unique_value(op + "_out");
  g.add_node(op, op + std::to_string(g.node_count()), std::move(ins), {out}, std::move(attributes));
  return out;
}

using GraphMaker = std::function<void(ir::Graph&)>;

struct Outcome {
  int rewrites = 0;
  ir::Graph fused;
  FusedSubgraphs subgraphs;
};

/// Builds the graph twice, fuses one copy with `pass`, and checks both compute the same.
Outcome check_equivalent(const GraphMaker& make, const std::function<int(ir::Graph&, FusedSubgraphs&)>& pass) {
  ir::Graph original;
  original.opset_imports[""] = 17;
  make(original);
  passes::infer_shapes(original);
  Outcome outcome;
  outcome.fused.opset_imports[""] = 17;
  make(outcome.fused);
  passes::infer_shapes(outcome.fused);
  outcome.rewrites = pass(outcome.fused, outcome.subgraphs);
  outcome.fused.validate();
  ops::TensorMap inputs;
  float offset = 0.3f;
  for (const ir::Value* in : original.inputs()) {
    inputs[in->name()] = ramp(ir::to_static(*in->shape()), 2.0f, offset += 1.1f);
  }
  const ops::TensorMap expected = ops::ReferenceExecutor(original).run(inputs);
  const ops::OpRegistry registry = fused_reference_registry(outcome.subgraphs);
  const ops::TensorMap actual = ops::ReferenceExecutor(outcome.fused, registry).run(inputs);
  for (const auto& [name, want] : expected) {
    const HostTensor& got = actual.at(name);
    EXPECT_EQ(got.shape(), want.shape()) << name;
    for (std::size_t i = 0; i < want.values<float>().size(); ++i) {
      EXPECT_NEAR(got.values<float>()[i], want.values<float>()[i],
                  1e-4f * (1.0f + std::fabs(want.values<float>()[i])))
          << name << "[" << i << "]";
    }
  }
  return outcome;
}

int count_ops(const ir::Graph& g, const std::string& op) {
  int n = 0;
  for (const ir::Node* node : g.nodes()) n += node->op_type() == op;
  return n;
}

const ir::Node* only_node_of(const ir::Graph& g, const std::string& op) {
  for (const ir::Node* node : g.nodes()) if (node->op_type() == op) return node;
  return nullptr;
}

ir::Attributes conv_attributes() {
  ir::Attributes a;
  a.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  return a;
}

void conv_bn(ir::Graph& g) {
  ir::Value* x = input(g, "x", {1, 2, 5, 5});
  ir::Value* y = node(g, "Conv", {x, constant(g, "w", ramp({3, 2, 3, 3}, 0.5f, 0.1f)),
                                  constant(g, "b", ramp({3}, 0.2f, 0.5f))},
                      conv_attributes());
  ir::Attributes bn;
  bn.set("epsilon", 1e-3f);
  ir::Value* z = node(g, "BatchNormalization",
                      {y, constant(g, "scale", ramp({3}, 1.0f, 0.2f)),
                       constant(g, "shift", ramp({3}, 0.3f, 0.9f)),
                       constant(g, "mean", ramp({3}, 0.1f, 1.3f)),
                       constant(g, "var", HostTensor::from_values<float>({3}, {0.5f, 1.5f, 2.0f}))},
                      bn);
  g.outputs().push_back(z);
}

TEST(FoldBatchNorm, ConvAndBatchNormBecomeOneConv) {
  const Outcome o = check_equivalent(conv_bn, [](ir::Graph& g, FusedSubgraphs&) {
    return fold_batchnorm_into_conv(g);
  });
  EXPECT_EQ(o.rewrites, 1);
  EXPECT_EQ(o.fused.node_count(), 1u);
  // The graph output is still BatchNormalization's value, now computed by the Conv.
  EXPECT_EQ(o.fused.outputs()[0]->name().rfind("BatchNormalization_out", 0), 0u);
  EXPECT_EQ(o.fused.outputs()[0]->producer()->op_type(), "Conv");
}

TEST(FoldBatchNorm, NotWhenTheConvOutputHasAnotherConsumer) {
  const Outcome o = check_equivalent(
      [](ir::Graph& g) {
        conv_bn(g);
        g.outputs().push_back(g.nodes().back()->input(0));  // the conv output
      },
      [](ir::Graph& g, FusedSubgraphs&) { return fold_batchnorm_into_conv(g); });
  EXPECT_EQ(o.rewrites, 0);
  EXPECT_EQ(o.fused.node_count(), 2u);
}

TEST(FuseEpilogues, ConvBiasAddAndReluRideInTheConv) {
  const Outcome o = check_equivalent(
      [](ir::Graph& g) {
        ir::Value* x = input(g, "x", {1, 2, 4, 4});
        ir::Value* y = node(g, "Conv", {x, constant(g, "w", ramp({3, 2, 3, 3}, 0.5f, 0.1f))},
                            conv_attributes());
        ir::Value* z = node(g, "Add", {constant(g, "c", ramp({3, 1, 1}, 1.0f, 2.0f)), y});
        g.outputs().push_back(node(g, "Relu", {z}));
      },
      [](ir::Graph& g, FusedSubgraphs&) { return fuse_epilogues(g); });
  EXPECT_GE(o.rewrites, 1);
  ASSERT_EQ(o.fused.node_count(), 1u);
  const ir::Node* conv = only_node_of(o.fused, "Conv");
  ASSERT_TRUE(conv);
  EXPECT_EQ(conv->attributes().get_string(fa::kActivation), "relu");
  ASSERT_TRUE(conv->input(2));
  EXPECT_TRUE(conv->input(2)->is_constant());
}

TEST(FuseEpilogues, MatMulBiasAndExactGeluPattern) {
  const Outcome o = check_equivalent(
      [](ir::Graph& g) {
        ir::Value* x = input(g, "x", {2, 3, 4});
        ir::Value* y = node(g, "MatMul", {x, constant(g, "w", ramp({4, 5}, 0.7f, 0.4f))});
        ir::Value* b = node(g, "Add", {y, constant(g, "bias", ramp({5}, 0.5f, 1.0f))});
        ir::Value* d = node(g, "Div", {b, constant(g, "sqrt2", HostTensor::from_values<float>({}, {1.4142135f}))});
        ir::Value* e = node(g, "Erf", {d});
        ir::Value* p = node(g, "Add", {e, constant(g, "one", HostTensor::from_values<float>({}, {1.0f}))});
        ir::Value* m = node(g, "Mul", {b, p});
        g.outputs().push_back(node(g, "Mul", {m, constant(g, "half", HostTensor::from_values<float>({}, {0.5f}))}));
      },
      [](ir::Graph& g, FusedSubgraphs&) { return fuse_epilogues(g); });
  ASSERT_EQ(o.fused.node_count(), 1u);
  const ir::Node* mm = only_node_of(o.fused, "MatMul");
  ASSERT_TRUE(mm);
  EXPECT_EQ(mm->attributes().get_string(fa::kActivation), "gelu");
  EXPECT_EQ(mm->attributes().get_int(fa::kBias), 1);
  EXPECT_EQ(mm->input(2)->constant().shape(), (Shape{5}));
}

TEST(FuseEpilogues, GemmSiluAndClip) {
  const Outcome o = check_equivalent(
      [](ir::Graph& g) {
        ir::Value* x = input(g, "x", {3, 4});
        ir::Attributes t;
        t.set("transB", std::int64_t{1});
        ir::Value* y = node(g, "Gemm", {x, constant(g, "w", ramp({6, 4}, 0.7f, 0.4f))}, t);
        ir::Value* s = node(g, "Sigmoid", {y});
        ir::Value* m = node(g, "Mul", {y, s});
        ir::Value* y2 = node(g, "Gemm", {m, constant(g, "w2", ramp({6, 2}, 0.9f, 0.2f))});
        g.outputs().push_back(node(g, "Clip", {y2, constant(g, "lo", HostTensor::from_values<float>({}, {0.0f})),
                                              constant(g, "hi", HostTensor::from_values<float>({}, {0.5f}))}));
      },
      [](ir::Graph& g, FusedSubgraphs&) { return fuse_epilogues(g); });
  ASSERT_EQ(o.fused.node_count(), 2u);
  EXPECT_EQ(count_ops(o.fused, "Gemm"), 2);
}

TEST(FuseEpilogues, NotWhenTheIntermediateIsAGraphOutput) {
  const Outcome o = check_equivalent(
      [](ir::Graph& g) {
        ir::Value* x = input(g, "x", {3, 4});
        ir::Value* y = node(g, "MatMul", {x, constant(g, "w", ramp({4, 2}, 0.7f, 0.4f))});
        g.outputs().push_back(y);
        g.outputs().push_back(node(g, "Relu", {y}));
      },
      [](ir::Graph& g, FusedSubgraphs&) { return fuse_epilogues(g); });
  EXPECT_EQ(o.rewrites, 0);
}

TEST(FuseElementwise, ChainWithBroadcastBecomesOneNode) {
  const Outcome o = check_equivalent(
      [](ir::Graph& g) {
        ir::Value* x = input(g, "x", {2, 3, 4});
        ir::Value* b = input(g, "b", {3, 1});
        ir::Value* a = node(g, "Add", {x, b});
        ir::Value* m = node(g, "Mul", {a, x});  // x used twice
        ir::Value* s = node(g, "Sigmoid", {m});
        g.outputs().push_back(node(g, "Sub", {s, constant(g, "c", ramp({4}, 1.0f, 0.0f))}));
      },
      fuse_elementwise_chains);
  EXPECT_EQ(o.rewrites, 1);
  ASSERT_EQ(o.fused.node_count(), 1u);
  const ir::Node* f = o.fused.nodes()[0];
  EXPECT_EQ(f->domain(), fa::kFusedElementwiseDomain);
  EXPECT_EQ(f->op_type(), fa::kFusedElementwiseOp);
  EXPECT_EQ(f->inputs().size(), 3u);  // x, b, c
  EXPECT_EQ(o.subgraphs.by_node.at(f->name())->node_count(), 4u);
}

TEST(FuseElementwise, AValueReadOutsideTheGroupEndsIt) {
  const Outcome o = check_equivalent(
      [](ir::Graph& g) {
        ir::Value* x = input(g, "x", {8});
        ir::Value* a = node(g, "Relu", {x});
        ir::Value* b = node(g, "Exp", {a});
        ir::Value* c = node(g, "Neg", {b});
        g.outputs().push_back(c);
        g.outputs().push_back(a);  // a escapes
      },
      fuse_elementwise_chains);
  EXPECT_EQ(o.rewrites, 1);
  EXPECT_EQ(o.fused.node_count(), 2u);  // Relu alone + fused(Exp, Neg)
  EXPECT_EQ(count_ops(o.fused, "Relu"), 1);
}

TEST(FusedEpilogueReference, AppliesBiasThenActivation) {
  ir::Attributes a;
  a.set(fa::kActivation, std::string("clip"));
  a.set(fa::kClipMin, 0.0f);
  a.set(fa::kClipMax, 1.0f);
  HostTensor y = HostTensor::from_values<float>({2, 2}, {-1.0f, 0.25f, 0.5f, 3.0f});
  const HostTensor bias = HostTensor::from_values<float>({2}, {0.5f, 0.5f});
  apply_fused_epilogue(a, y, &bias);
  EXPECT_EQ(std::vector<float>(y.values<float>().begin(), y.values<float>().end()),
            (std::vector<float>{0.0f, 0.75f, 1.0f, 1.0f}));
}

}  // namespace
}  // namespace trtutils::builder
