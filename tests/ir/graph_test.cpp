#include <gtest/gtest.h>

#include "trtutils/ir/graph.hpp"

namespace trtutils::ir {
namespace {

TEST(Graph, TopologicalSortOrdersProducersFirst) {
  Graph g;
  Value* x = g.add_value("x");
  Value* a = g.add_value("a");
  Value* b = g.add_value("b");
  g.inputs().push_back(x);
  g.add_node("Relu", "second", {a}, {b});
  g.add_node("Relu", "first", {x}, {a});
  g.outputs().push_back(b);
  EXPECT_THROW(g.validate(), ModelError);
  g.topological_sort();
  EXPECT_EQ(g.nodes()[0]->name(), "first");
  EXPECT_NO_THROW(g.validate());
}

TEST(Graph, CycleIsReportedWithNodeNames) {
  Graph g;
  Value* a = g.add_value("a");
  Value* b = g.add_value("b");
  g.add_node("Relu", "n1", {a}, {b});
  g.add_node("Relu", "n2", {b}, {a});
  try {
    g.topological_sort();
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("n1"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("n2"), std::string::npos);
  }
  EXPECT_EQ(g.node_count(), 2u);
}

TEST(Graph, DuplicateValueNameIsRefused) {
  Graph g;
  g.add_value("x");
  EXPECT_THROW(g.add_value("x"), ModelError);
}

TEST(Graph, ReplaceAllUsesRewiresConsumersAndOutputs) {
  Graph g;
  Value* x = g.add_value("x");
  Value* y = g.add_value("y");
  Value* z = g.add_value("z");
  g.inputs() = {x};
  Node* id = g.add_node("Identity", "id", {x}, {y});
  Node* relu = g.add_node("Relu", "relu", {y}, {z});
  g.outputs() = {y, z};
  g.replace_all_uses(y, x);
  g.remove_node(id);
  EXPECT_EQ(relu->input(0), x);
  EXPECT_EQ(g.outputs()[0], x);
  EXPECT_TRUE(y->consumers().empty());
  g.remove_unused_values();
  EXPECT_EQ(g.find_value("y"), nullptr);
}

TEST(Graph, ValidateListsEveryProblem) {
  Graph g;
  Value* missing1 = g.add_value("m1");
  Value* missing2 = g.add_value("m2");
  Value* out = g.add_value("out");
  g.add_node("Add", "add", {missing1, missing2}, {out});
  g.outputs() = {out};
  try {
    g.validate();
    FAIL();
  } catch (const ModelError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'m1'"), std::string::npos);
    EXPECT_NE(what.find("'m2'"), std::string::npos);
    EXPECT_NE(what.find("2 problems"), std::string::npos);
  }
}

TEST(Graph, DumpShowsShapesAndTypes) {
  Graph g;
  Value* x = g.add_value("x");
  x->set_dtype(DType::kFloat32);
  x->set_shape(DimList{Dim::symbolic("batch"), 3});
  g.inputs() = {x};
  const std::string text = g.dump();
  EXPECT_NE(text.find("x: f32[batch, 3]"), std::string::npos) << text;
}

TEST(Attributes, TypedAccessWithDefaultsAndErrors) {
  Attributes a;
  a.set("axis", std::int64_t{2});
  a.set("alpha", 0.5f);
  EXPECT_EQ(a.get_int("axis"), 2);
  EXPECT_EQ(a.get_int("missing", 7), 7);
  EXPECT_FLOAT_EQ(a.get_float("alpha"), 0.5f);
  EXPECT_THROW(a.get_float("axis"), ModelError);
  EXPECT_THROW(a.get_int("missing"), ModelError);
}

}  // namespace
}  // namespace trtutils::ir

namespace trtutils::ir {
namespace {

TEST(Graph, SortingALongReversedChainIsFast) {
  // 20000 nodes listed last-to-first: a quadratic sort would take seconds.
  Graph g;
  constexpr int kLength = 20000;
  std::vector<Value*> chain;
  for (int i = 0; i <= kLength; ++i) chain.push_back(g.add_value("v" + std::to_string(i)));
  g.inputs() = {chain[0]};
  for (int i = kLength; i > 0; --i) g.add_node("Relu", "n" + std::to_string(i), {chain[i - 1]}, {chain[i]});
  g.outputs() = {chain[kLength]};
  g.topological_sort();
  EXPECT_EQ(g.nodes().front()->name(), "n1");
  EXPECT_EQ(g.nodes().back()->name(), "n" + std::to_string(kLength));
  EXPECT_NO_THROW(g.validate());
}

TEST(Graph, NodeReadingOneValueTwiceIsOrderedOnce) {
  Graph g;
  Value* x = g.add_value("x");
  Value* a = g.add_value("a");
  Value* b = g.add_value("b");
  g.inputs() = {x};
  g.add_node("Add", "square", {a, a}, {b});
  g.add_node("Relu", "first", {x}, {a});
  g.topological_sort();
  EXPECT_EQ(g.nodes()[0]->name(), "first");
  EXPECT_EQ(g.nodes()[1]->name(), "square");
}

}  // namespace
}  // namespace trtutils::ir
