#include <gtest/gtest.h>

#include "tiny_ops.hpp"
#include "trtutils/passes/passes.hpp"

namespace trtutils::passes {
namespace {

using test::add_constant;
using test::add_input;
using test::f32;
using test::i64;

TEST(InferShapes, PropagatesSymbolicShapesThroughBroadcast) {
  const ops::OpRegistry registry = test::tiny_registry();
  ir::Graph g;
  ir::Value* x = add_input(g, "x", DType::kFloat32, {ir::Dim::symbolic("N"), 1, 4});
  ir::Value* b = add_constant(g, "b", f32({3, 1}, {1, 2, 3}));
  ir::Value* sum = g.add_value("sum");
  ir::Value* y = g.add_value("y");
  g.add_node("Relu", "relu", {sum}, {y});  // out of order on purpose
  g.add_node("Add", "add", {x, b}, {sum});
  g.outputs().push_back(y);

  infer_shapes(g, registry);

  EXPECT_EQ(g.nodes()[0]->name(), "add");
  EXPECT_EQ(y->dtype(), DType::kFloat32);
  EXPECT_EQ(ir::to_string(sum->shape()), "[N, 3, 4]");
  EXPECT_EQ(ir::to_string(y->shape()), "[N, 3, 4]");
  EXPECT_FALSE(y->is_constant());
}

TEST(InferShapes, MissingOpsAreListedTogether) {
  const ops::OpRegistry registry = test::tiny_registry();
  ir::Graph g;
  ir::Value* x = add_input(g, "x", DType::kFloat32, {2});
  ir::Value* a = g.add_value("a");
  ir::Value* b = g.add_value("b");
  g.add_node("Frobnicate", "f1", {x}, {a});
  g.add_node("Twiddle", "t1", {a}, {b});
  g.outputs().push_back(b);
  try {
    infer_shapes(g, registry);
    FAIL() << "expected UnsupportedError";
  } catch (const UnsupportedError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("Frobnicate"), std::string::npos) << what;
    EXPECT_NE(what.find("Twiddle"), std::string::npos) << what;
    EXPECT_NE(what.find("'t1'"), std::string::npos) << what;
  }
}

TEST(InferShapes, NodesOfConstantsAreEvaluated) {
  auto counts = std::make_shared<test::CallCounts>();
  const ops::OpRegistry registry = test::tiny_registry(counts);
  ir::Graph g;
  ir::Value* a = add_constant(g, "a", f32({2}, {-1, 5}));
  ir::Value* b = add_constant(g, "b", f32({2}, {3, -9}));
  ir::Value* sum = g.add_value("sum");
  ir::Value* y = g.add_value("y");
  g.add_node("Add", "add", {a, b}, {sum});
  g.add_node("Relu", "relu", {sum}, {y});
  g.outputs().push_back(y);

  infer_shapes(g, registry);

  ASSERT_TRUE(y->is_constant());
  const auto values = y->constant().values<float>();
  EXPECT_EQ(values[0], 2.0f);
  EXPECT_EQ(values[1], 0.0f);
  EXPECT_EQ(counts->add, 1);
  EXPECT_EQ(g.node_count(), 2u) << "infer_shapes evaluates; removing is fold_constants' job";
}

TEST(InferShapes, RandomOpsAreNeverEvaluated) {
  const ops::OpRegistry registry = test::tiny_registry();
  ir::Graph g;
  ir::Value* a = add_constant(g, "a", f32({2}, {1, 2}));
  ir::Value* r = g.add_value("r");
  g.add_node("RandomUniformLike", "rand", {a}, {r});
  g.outputs().push_back(r);
  infer_shapes(g, registry);
  EXPECT_FALSE(r->is_constant());
  EXPECT_EQ(ir::to_string(r->shape()), "[2]");
}

TEST(InferShapes, DeclaredShapeRefinesWhatTheRuleCannotKnow) {
  const ops::OpRegistry registry = test::tiny_registry();
  ir::Graph g;
  ir::Value* x = add_input(g, "x", DType::kFloat32, {6});
  ir::Value* shape = add_input(g, "shape", DType::kInt64, {2});
  ir::Value* y = g.add_value("y");
  y->set_shape(ir::DimList{2, ir::Dim::symbolic("M")});
  g.add_node("Reshape", "reshape", {x, shape}, {y});
  g.outputs().push_back(y);
  infer_shapes(g, registry);  // the rule gives an unknown rank without the shape's data
  EXPECT_EQ(y->dtype(), DType::kFloat32);
  EXPECT_EQ(ir::to_string(y->shape()), "[2, M]");
}

TEST(InferShapes, RuleContradictingTheDeclarationIsAModelError) {
  const ops::OpRegistry registry = test::tiny_registry();
  ir::Graph g;
  ir::Value* x = add_input(g, "x", DType::kFloat32, {2, 3});
  ir::Value* y = g.add_value("y");
  y->set_dtype(DType::kFloat32);
  y->set_shape(ir::DimList{3, 2});
  g.add_node("Relu", "relu", {x}, {y});
  g.outputs().push_back(y);
  try {
    infer_shapes(g, registry);
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("Relu 'relu'"), std::string::npos) << what;
    EXPECT_NE(what.find("[2, 3]"), std::string::npos) << what;
    EXPECT_NE(what.find("[3, 2]"), std::string::npos) << what;
  }
}

TEST(InferShapes, ErrorsFromHelpersNameTheNode) {
  const ops::OpRegistry registry = test::tiny_registry();
  ir::Graph g;
  ir::Value* x = add_input(g, "x", DType::kFloat32, {2});
  ir::Value* z = add_input(g, "z", DType::kFloat32, {3});
  ir::Value* y = g.add_value("y");
  g.add_node("Add", "bad_add", {x, z}, {y});
  g.outputs().push_back(y);
  try {
    infer_shapes(g, registry);
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("Add 'bad_add'"), std::string::npos) << e.what();
  }
}

TEST(InferShapes, ShapeRuleAndCpuReferenceMustAgree) {
  ops::OpRegistry registry;
  registry.add({"Liar", "",
                [](ops::InferContext& c) { c.set_output(0, DType::kFloat32, ir::DimList{5}); },
                [](const ops::CpuContext&) {
                  return std::vector<HostTensor>{HostTensor(Shape{4}, DType::kFloat32)};
                }});
  ir::Graph g;
  ir::Value* a = add_constant(g, "a", f32({1}, {1}));
  ir::Value* y = g.add_value("y");
  g.add_node("Liar", "liar", {a}, {y});
  g.outputs().push_back(y);
  EXPECT_THROW(infer_shapes(g, registry), ModelError);
}

TEST(InferShapes, RerunningStartsFromTheRulesNotThePreviousRun) {
  const ops::OpRegistry registry = test::tiny_registry();
  ir::Graph g;
  ir::Value* x = add_input(g, "x", DType::kFloat32, {2, 3});
  ir::Value* s = g.add_value("s");
  g.add_node("Shape", "shape", {x}, {s});
  g.outputs().push_back(s);
  infer_shapes(g, registry);
  ASSERT_TRUE(s->is_constant());
  EXPECT_EQ(ops::read_ints(s->constant()), (std::vector<std::int64_t>{2, 3}));
  x->set_shape(ir::DimList{ir::Dim::symbolic("N"), 3});
  infer_shapes(g, registry);
  EXPECT_FALSE(s->is_constant());
  EXPECT_EQ(ir::to_string(s->shape()), "[2]");
}

}  // namespace
}  // namespace trtutils::passes
