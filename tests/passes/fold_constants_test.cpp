#include <gtest/gtest.h>

#include "tiny_ops.hpp"
#include "trtutils/ops/reference_executor.hpp"
#include "trtutils/passes/passes.hpp"

namespace trtutils::passes {
namespace {

using test::add_constant;
using test::add_input;
using test::f32;
using test::i64;

/// y = Reshape(x, Concat(Gather(Shape(x), [0]), [-1])) — the flatten-to-2D
/// pattern exporters write; x is [2, 3, 4].
struct ReshapeChain {
  ir::Graph g;
  ir::Value* x = nullptr;
  ir::Value* target = nullptr;
  ir::Value* y = nullptr;

  explicit ReshapeChain(ir::DimList x_dims) {
    x = add_input(g, "x", DType::kFloat32, std::move(x_dims));
    ir::Value* shape = g.add_value("shape");
    ir::Value* first = g.add_value("first");
    target = g.add_value("target");
    y = g.add_value("y");
    g.add_node("Shape", "shape", {x}, {shape});
    g.add_node("Gather", "gather", {shape, add_constant(g, "zero", i64({0}))}, {first});
    g.add_node("Concat", "concat", {first, add_constant(g, "minus_one", i64({-1}))}, {target});
    g.add_node("Reshape", "reshape", {x, target}, {y});
    g.outputs().push_back(y);
  }
};

TEST(FoldConstants, ShapeGatherConcatChainOnStaticShapeFolds) {
  const ops::OpRegistry registry = test::tiny_registry();
  ReshapeChain chain({2, 3, 4});

  infer_shapes(chain.g, registry);
  ASSERT_TRUE(chain.target->is_constant());
  EXPECT_EQ(ops::read_ints(chain.target->constant()), (std::vector<std::int64_t>{2, -1}));
  EXPECT_EQ(ir::to_string(chain.y->shape()), "[2, ?]");

  EXPECT_EQ(fold_constants(chain.g, registry), 3);
  ASSERT_EQ(chain.g.node_count(), 1u);
  EXPECT_EQ(chain.g.nodes()[0]->op_type(), "Reshape");
  EXPECT_EQ(chain.g.nodes()[0]->input(1), chain.target);
  EXPECT_NO_THROW(chain.g.validate());

  // The folded graph still computes the same thing.
  std::vector<float> data(24);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<float>(i);
  const ops::ReferenceExecutor executor(chain.g, registry);
  const ops::TensorMap out = executor.run({{"x", f32({2, 3, 4}, data)}});
  EXPECT_EQ(out.at("y").shape(), (Shape{2, 12}));
  EXPECT_EQ(out.at("y").values<float>()[13], 13.0f);
}

TEST(FoldConstants, SymbolicShapeKeepsTheChain) {
  const ops::OpRegistry registry = test::tiny_registry();
  ReshapeChain chain({ir::Dim::symbolic("N"), 3, 4});
  infer_shapes(chain.g, registry);
  EXPECT_FALSE(chain.target->is_constant());
  EXPECT_EQ(fold_constants(chain.g, registry), 0);
  EXPECT_EQ(chain.g.node_count(), 4u);
}

TEST(FoldConstants, FoldsWithoutAPriorInferShapes) {
  auto counts = std::make_shared<test::CallCounts>();
  const ops::OpRegistry registry = test::tiny_registry(counts);
  ir::Graph g;
  ir::Value* x = add_input(g, "x", DType::kFloat32, {2});
  ir::Value* a = add_constant(g, "a", f32({2}, {-4, 4}));
  ir::Value* ra = g.add_value("ra");
  ir::Value* y = g.add_value("y");
  g.add_node("Relu", "relu_const", {a}, {ra});
  g.add_node("Add", "add", {x, ra}, {y});
  g.outputs().push_back(y);

  EXPECT_EQ(fold_constants(g, registry), 1);
  ASSERT_TRUE(ra->is_constant());
  EXPECT_EQ(ra->constant().values<float>()[0], 0.0f);
  EXPECT_EQ(ra->constant().values<float>()[1], 4.0f);
  ASSERT_EQ(g.node_count(), 1u);
  EXPECT_EQ(g.nodes()[0]->name(), "add");
  EXPECT_EQ(counts->relu, 1);
}

TEST(FoldConstants, FoldedGraphOutputKeepsItsNameAndData) {
  const ops::OpRegistry registry = test::tiny_registry();
  ir::Graph g;
  ir::Value* c = g.add_value("c");
  ir::Value* y = g.add_value("y");
  ir::Attributes attributes;
  attributes.set("value", f32({2}, {-1, 7}));
  g.add_node("Constant", "const", {}, {c}, attributes);
  g.add_node("Relu", "relu", {c}, {y});
  g.outputs().push_back(y);

  EXPECT_EQ(fold_constants(g, registry), 2);
  EXPECT_EQ(g.node_count(), 0u);
  eliminate_dead_nodes(g);
  ASSERT_EQ(g.outputs().size(), 1u);
  EXPECT_EQ(g.outputs()[0], y);
  EXPECT_EQ(g.find_value("y"), y);
  EXPECT_EQ(g.find_value("c"), nullptr) << "the intermediate constant is dropped";
  const ops::TensorMap out = ops::ReferenceExecutor(g, registry).run({});
  EXPECT_EQ(out.at("y").values<float>()[0], 0.0f);
  EXPECT_EQ(out.at("y").values<float>()[1], 7.0f);
}

TEST(FoldConstants, RandomOpsStay) {
  const ops::OpRegistry registry = test::tiny_registry();
  ir::Graph g;
  ir::Value* a = add_constant(g, "a", f32({2}, {1, 2}));
  ir::Value* r = g.add_value("r");
  g.add_node("RandomUniformLike", "rand", {a}, {r});
  g.outputs().push_back(r);
  EXPECT_EQ(fold_constants(g, registry), 0);
  EXPECT_EQ(g.node_count(), 1u);
}

TEST(Simplify, RunsThePipeline) {
  const ops::OpRegistry registry = test::tiny_registry();
  ReshapeChain chain({2, 3, 4});
  ir::Value* unused = chain.g.add_value("unused");
  chain.g.add_node("Relu", "dead", {chain.x}, {unused});
  simplify(chain.g, registry);
  ASSERT_EQ(chain.g.node_count(), 1u);
  EXPECT_EQ(chain.g.nodes()[0]->name(), "reshape");
  EXPECT_EQ(chain.g.find_value("unused"), nullptr);
}

}  // namespace
}  // namespace trtutils::passes
