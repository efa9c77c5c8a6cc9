#include <gtest/gtest.h>

#include "tiny_ops.hpp"
#include "trtutils/ops/reference_executor.hpp"
#include "trtutils/passes/passes.hpp"

namespace trtutils::passes {
namespace {

using test::add_constant;
using test::add_input;
using test::f32;

TEST(RemoveIdentities, InnerIdentityIsBypassed) {
  ir::Graph g;
  ir::Value* x = add_input(g, "x", DType::kFloat32, {2});
  ir::Value* a = g.add_value("a");
  ir::Value* b = g.add_value("b");
  ir::Value* y = g.add_value("y");
  g.add_node("Relu", "r1", {x}, {a});
  g.add_node("Identity", "id", {a}, {b});
  g.add_node("Relu", "r2", {b}, {y});
  g.outputs().push_back(y);

  EXPECT_EQ(remove_identities(g), 1);
  ASSERT_EQ(g.node_count(), 2u);
  EXPECT_EQ(g.nodes()[1]->input(0), a);
  EXPECT_EQ(g.find_value("b"), nullptr);
  EXPECT_NO_THROW(g.validate());
}

TEST(RemoveIdentities, IdentityProducingAGraphOutputKeepsTheOutputName) {
  const ops::OpRegistry registry = test::tiny_registry();
  ir::Graph g;
  ir::Value* x = add_input(g, "x", DType::kFloat32, {2});
  ir::Value* a = g.add_value("a");
  ir::Value* y = g.add_value("y");
  ir::Value* z = g.add_value("z");
  g.add_node("Relu", "r1", {x}, {a});
  g.add_node("Identity", "id", {a}, {y});
  g.add_node("Add", "also_reads_a", {a, x}, {z});
  g.outputs() = {y, z};

  EXPECT_EQ(remove_identities(g), 1);
  ASSERT_EQ(g.node_count(), 2u);
  EXPECT_EQ(g.outputs()[0]->name(), "y");
  EXPECT_EQ(g.outputs()[1]->name(), "z");
  EXPECT_EQ(y->producer()->name(), "r1") << "Relu now writes the graph output directly";
  EXPECT_EQ(z->producer()->input(0), y);
  EXPECT_EQ(g.find_value("a"), nullptr);
  EXPECT_NO_THROW(g.validate());

  const ops::TensorMap out = ops::ReferenceExecutor(g, registry).run({{"x", f32({2}, {-1, 2})}});
  EXPECT_EQ(out.at("y").values<float>()[0], 0.0f);
  EXPECT_EQ(out.at("y").values<float>()[1], 2.0f);
  EXPECT_EQ(out.at("z").values<float>()[0], -1.0f);
  EXPECT_EQ(out.at("z").values<float>()[1], 4.0f);
}

TEST(RemoveIdentities, IdentityBetweenInterfaceNamesStays) {
  ir::Graph g;
  ir::Value* x = add_input(g, "x", DType::kFloat32, {2});
  ir::Value* y = g.add_value("y");
  g.add_node("Identity", "id", {x}, {y});
  g.outputs().push_back(y);
  EXPECT_EQ(remove_identities(g), 0);
  EXPECT_EQ(g.node_count(), 1u);
}

TEST(RemoveIdentities, IdentityOfAConstantGraphOutputBecomesTheConstant) {
  ir::Graph g;
  ir::Value* c = add_constant(g, "c", f32({1}, {3}));
  ir::Value* y = g.add_value("y");
  g.add_node("Identity", "id", {c}, {y});
  g.outputs().push_back(y);
  EXPECT_EQ(remove_identities(g), 1);
  EXPECT_EQ(g.node_count(), 0u);
  ASSERT_TRUE(y->is_constant());
  EXPECT_EQ(y->constant().values<float>()[0], 3.0f);
}

TEST(RemoveIdentities, DropoutWithUsedMaskGetsAnAllTrueMask) {
  const ops::OpRegistry registry = test::tiny_registry();
  ir::Graph g;
  ir::Value* x = add_input(g, "x", DType::kFloat32, {2, 2});
  ir::Value* a = g.add_value("a");
  ir::Value* y = g.add_value("y");
  ir::Value* mask = g.add_value("mask");
  ir::Value* z = g.add_value("z");
  g.add_node("Relu", "r1", {x}, {a});
  g.add_node("Dropout", "drop", {a}, {y, mask});
  g.add_node("Relu", "r2", {y}, {z});
  g.outputs() = {z, mask};
  infer_shapes(g, registry);

  EXPECT_EQ(remove_identities(g), 1);
  EXPECT_EQ(g.node_count(), 2u);
  ASSERT_TRUE(mask->is_constant());
  EXPECT_EQ(mask->constant().dtype(), DType::kBool);
  EXPECT_EQ(mask->constant().shape(), (Shape{2, 2}));
  for (bool m : mask->constant().values<bool>()) EXPECT_TRUE(m);
}

TEST(RemoveIdentities, DropoutWithUsedMaskOfUnknownShapeStays) {
  ir::Graph g;
  ir::Value* x = add_input(g, "x", DType::kFloat32, {ir::Dim::symbolic("N")});
  ir::Value* y = g.add_value("y");
  ir::Value* mask = g.add_value("mask");
  mask->set_dtype(DType::kBool);
  g.add_node("Dropout", "drop", {x}, {y, mask});
  g.outputs() = {mask};
  EXPECT_EQ(remove_identities(g), 0);
  EXPECT_EQ(g.node_count(), 1u);
}

TEST(RemoveIdentities, DropoutInTrainingModeStays) {
  ir::Graph g;
  ir::Value* x = add_input(g, "x", DType::kFloat32, {2});
  ir::Value* ratio = add_constant(g, "ratio", f32({}, {0.5f}));
  ir::Value* training = add_constant(g, "training", HostTensor::from_values<bool>({}, {true}));
  ir::Value* a = g.add_value("a");
  ir::Value* y = g.add_value("y");
  g.add_node("Dropout", "drop", {x, ratio, training}, {a});
  g.add_node("Relu", "r", {a}, {y});
  g.outputs().push_back(y);
  EXPECT_EQ(remove_identities(g), 0);
}

TEST(RemoveIdentities, DropoutInTrainingModeWithZeroRatioIsAnIdentity) {
  ir::Graph g;
  ir::Value* x = add_input(g, "x", DType::kFloat32, {2});
  ir::Value* ratio = add_constant(g, "ratio", f32({}, {0.0f}));
  ir::Value* training = add_constant(g, "training", HostTensor::from_values<bool>({}, {true}));
  ir::Value* a = g.add_value("a");
  ir::Value* y = g.add_value("y");
  g.add_node("Dropout", "drop", {x, ratio, training}, {a});
  g.add_node("Relu", "r", {a}, {y});
  g.outputs().push_back(y);
  EXPECT_EQ(remove_identities(g), 1);
  EXPECT_EQ(g.nodes()[0]->input(0), x);
}

TEST(RemoveIdentities, ChainsOfIdentitiesCollapse) {
  ir::Graph g;
  ir::Value* x = add_input(g, "x", DType::kFloat32, {2});
  ir::Value* a = g.add_value("a");
  ir::Value* b = g.add_value("b");
  ir::Value* c = g.add_value("c");
  ir::Value* y = g.add_value("y");
  g.add_node("Relu", "r", {x}, {a});
  g.add_node("Identity", "i1", {a}, {b});
  g.add_node("Identity", "i2", {b}, {c});
  g.add_node("Identity", "i3", {c}, {y});
  g.outputs().push_back(y);
  EXPECT_EQ(remove_identities(g), 3);
  ASSERT_EQ(g.node_count(), 1u);
  EXPECT_EQ(g.nodes()[0]->output(0), y);
  EXPECT_EQ(g.outputs()[0], y);
}

}  // namespace
}  // namespace trtutils::passes
