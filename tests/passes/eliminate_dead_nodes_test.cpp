#include <gtest/gtest.h>

#include "tiny_ops.hpp"
#include "trtutils/passes/passes.hpp"

namespace trtutils::passes {
namespace {

using test::add_input;

TEST(EliminateDeadNodes, RemovesChainsThatReachNoOutput) {
  ir::Graph g;
  ir::Value* x = add_input(g, "x", DType::kFloat32, {2});
  ir::Value* a = g.add_value("a");
  ir::Value* y = g.add_value("y");
  ir::Value* d1 = g.add_value("d1");
  ir::Value* d2 = g.add_value("d2");
  g.add_node("Relu", "live", {x}, {a});
  g.add_node("Relu", "out", {a}, {y});
  g.add_node("Relu", "dead1", {a}, {d1});
  g.add_node("Relu", "dead2", {d1}, {d2});
  g.outputs().push_back(y);

  EXPECT_EQ(eliminate_dead_nodes(g), 2);
  ASSERT_EQ(g.node_count(), 2u);
  EXPECT_EQ(g.nodes()[0]->name(), "live");
  EXPECT_EQ(g.nodes()[1]->name(), "out");
  EXPECT_EQ(g.find_value("d1"), nullptr);
  EXPECT_EQ(g.find_value("d2"), nullptr);
  EXPECT_EQ(a->consumers().size(), 1u);
}

TEST(EliminateDeadNodes, KeepsANodeWhenAnyOutputIsUsed) {
  ir::Graph g;
  ir::Value* x = add_input(g, "x", DType::kFloat32, {2});
  ir::Value* y = g.add_value("y");
  ir::Value* mask = g.add_value("mask");
  g.add_node("Dropout", "drop", {x}, {y, mask});
  g.outputs().push_back(mask);
  EXPECT_EQ(eliminate_dead_nodes(g), 0);
  EXPECT_EQ(g.node_count(), 1u);
}

TEST(EliminateDeadNodes, UnusedGraphInputsStay) {
  ir::Graph g;
  add_input(g, "x", DType::kFloat32, {2});
  ir::Value* unused_input = add_input(g, "spare", DType::kFloat32, {2});
  ir::Value* y = g.add_value("y");
  g.add_node("Relu", "r", {g.inputs()[0]}, {y});
  g.outputs().push_back(y);
  EXPECT_EQ(eliminate_dead_nodes(g), 0);
  EXPECT_EQ(g.find_value("spare"), unused_input);
}

}  // namespace
}  // namespace trtutils::passes
