#include "trtutils/ops/reference_executor.hpp"

#include <gtest/gtest.h>

#include "tiny_ops.hpp"

namespace trtutils::ops {
namespace {

using test::add_constant;
using test::add_input;
using test::f32;

std::string message_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "<no exception>";
}

/// y = Relu(x + b), with x: f32[N, 2] and b a constant f32[2].
struct AddRelu {
  ir::Graph g;
  AddRelu() {
    ir::Value* x = add_input(g, "x", DType::kFloat32, {ir::Dim::symbolic("N"), 2});
    ir::Value* b = add_constant(g, "b", f32({2}, {1, -10}));
    ir::Value* sum = g.add_value("sum");
    ir::Value* y = g.add_value("y");
    g.add_node("Add", "add", {x, b}, {sum});
    g.add_node("Relu", "relu", {sum}, {y});
    g.outputs().push_back(y);
  }
};

TEST(ReferenceExecutor, ComputesGraphOutputsByName) {
  const OpRegistry registry = test::tiny_registry();
  AddRelu model;
  const ReferenceExecutor executor(model.g, registry);
  const TensorMap out = executor.run({{"x", f32({2, 2}, {1, 2, 3, 20})}});
  ASSERT_EQ(out.size(), 1u);
  const HostTensor& y = out.at("y");
  EXPECT_EQ(y.shape(), (Shape{2, 2}));
  const std::vector<float> expected{2, 0, 4, 10};
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(y.values<float>()[i], expected[i]);
}

TEST(ReferenceExecutor, ConstructorListsEveryMissingOp) {
  const OpRegistry registry = test::tiny_registry();
  ir::Graph g;
  ir::Value* x = add_input(g, "x", DType::kFloat32, {2});
  ir::Value* a = g.add_value("a");
  ir::Value* b = g.add_value("b");
  ir::Value* c = g.add_value("c");
  g.add_node("Frobnicate", "f1", {x}, {a});
  g.add_node("Relu", "ok", {a}, {b});
  g.add_node("Twiddle", "t1", {b}, {c}, {}, "com.example");
  g.outputs().push_back(c);
  const std::string what = message_of([&] { ReferenceExecutor executor(g, registry); });
  EXPECT_NE(what.find("Frobnicate"), std::string::npos) << what;
  EXPECT_NE(what.find("com.example::Twiddle"), std::string::npos) << what;
  EXPECT_NE(what.find("'t1'"), std::string::npos) << what;
  EXPECT_EQ(what.find("Relu"), std::string::npos) << what;
  EXPECT_THROW(ReferenceExecutor(g, registry), UnsupportedError);
}

TEST(ReferenceExecutor, MissingInputIsNamed) {
  const OpRegistry registry = test::tiny_registry();
  AddRelu model;
  const ReferenceExecutor executor(model.g, registry);
  EXPECT_THROW(executor.run({}), InvalidArgument);
  const std::string what = message_of([&] { executor.run({}); });
  EXPECT_NE(what.find("missing input 'x'"), std::string::npos) << what;
  EXPECT_NE(what.find("f32[N, 2]"), std::string::npos) << what;
}

TEST(ReferenceExecutor, UnknownInputIsRefused) {
  const OpRegistry registry = test::tiny_registry();
  AddRelu model;
  const ReferenceExecutor executor(model.g, registry);
  const TensorMap inputs{{"x", f32({1, 2}, {0, 0})}, {"typo", f32({1}, {0})}};
  EXPECT_THROW(executor.run(inputs), InvalidArgument);
  const std::string what = message_of([&] { executor.run(inputs); });
  EXPECT_NE(what.find("'typo'"), std::string::npos) << what;
  EXPECT_NE(what.find("'x'"), std::string::npos) << what;
}

TEST(ReferenceExecutor, DTypeMismatchSaysExpectedAndGot) {
  const OpRegistry registry = test::tiny_registry();
  AddRelu model;
  const ReferenceExecutor executor(model.g, registry);
  const TensorMap inputs{{"x", HostTensor(Shape{1, 2}, DType::kInt64)}};
  EXPECT_THROW(executor.run(inputs), InvalidArgument);
  const std::string what = message_of([&] { executor.run(inputs); });
  EXPECT_NE(what.find("input 'x': expected dtype f32, got i64"), std::string::npos) << what;
}

TEST(ReferenceExecutor, ShapeMismatchSaysExpectedAndGot) {
  const OpRegistry registry = test::tiny_registry();
  AddRelu model;
  const ReferenceExecutor executor(model.g, registry);
  for (const Shape& bad : {Shape{4}, Shape{1, 3}, Shape{1, 2, 1}}) {
    const TensorMap inputs{{"x", HostTensor(bad, DType::kFloat32)}};
    EXPECT_THROW(executor.run(inputs), InvalidArgument) << shape_to_string(bad);
    const std::string what = message_of([&] { executor.run(inputs); });
    EXPECT_NE(what.find("expected shape [N, 2], got " + shape_to_string(bad)), std::string::npos)
        << what;
  }
}

TEST(ReferenceExecutor, InitializerInputsMayBeOverridden) {
  const OpRegistry registry = test::tiny_registry();
  AddRelu model;
  model.g.inputs().push_back(model.g.find_value("b"));
  const ReferenceExecutor executor(model.g, registry);
  const TensorMap x{{"x", f32({1, 2}, {1, 1})}};
  EXPECT_EQ(executor.run(x).at("y").values<float>()[1], 0.0f);
  TensorMap overridden = x;
  overridden["b"] = f32({2}, {0, 5});
  EXPECT_EQ(executor.run(overridden).at("y").values<float>()[1], 6.0f);
}

TEST(ReferenceExecutor, WrongOutputCountIsABugInTheOp) {
  OpRegistry registry;
  registry.add({"TwoOut", "", [](InferContext&) {},
                [](const CpuContext&) {
                  return std::vector<HostTensor>{HostTensor(Shape{1}, DType::kFloat32)};
                }});
  ir::Graph g;
  ir::Value* x = add_input(g, "x", DType::kFloat32, {1});
  ir::Value* a = g.add_value("a");
  ir::Value* b = g.add_value("b");
  g.add_node("TwoOut", "two", {x}, {a, b});
  g.outputs() = {a, b};
  const ReferenceExecutor executor(g, registry);
  const TensorMap inputs{{"x", f32({1}, {0})}};
  EXPECT_THROW(executor.run(inputs), ModelError);
  const std::string what = message_of([&] { executor.run(inputs); });
  EXPECT_NE(what.find("TwoOut 'two'"), std::string::npos) << what;
  EXPECT_NE(what.find("returned 1"), std::string::npos) << what;
}

TEST(ReferenceExecutor, OmittedTrailingOptionalOutputsNeedNoTensor) {
  OpRegistry registry;
  registry.add({"TwoOut", "", [](InferContext&) {},
                [](const CpuContext&) { return std::vector<HostTensor>{f32({1}, {4})}; }});
  ir::Graph g;
  ir::Value* x = add_input(g, "x", DType::kFloat32, {1});
  ir::Value* a = g.add_value("a");
  g.add_node("TwoOut", "two", {x}, {a, nullptr});
  g.outputs() = {a};
  const TensorMap out = ReferenceExecutor(g, registry).run({{"x", f32({1}, {0})}});
  EXPECT_EQ(out.at("a").values<float>()[0], 4.0f);
}

TEST(ReferenceExecutor, CpuResultDisagreeingWithTheShapeRuleIsCaught) {
  const OpRegistry registry = test::tiny_registry();
  AddRelu model;
  model.g.find_value("y")->set_shape(ir::DimList{ir::Dim::symbolic("N"), 3});
  const ReferenceExecutor executor(model.g, registry);
  EXPECT_THROW(executor.run({{"x", f32({1, 2}, {0, 0})}}), ModelError);
}

TEST(ReferenceExecutor, GraphInputThatIsAlsoAnOutputIsReturned) {
  const OpRegistry registry = test::tiny_registry();
  AddRelu model;
  model.g.outputs().push_back(model.g.find_value("x"));
  model.g.outputs().push_back(model.g.find_value("b"));
  const TensorMap out = ReferenceExecutor(model.g, registry).run({{"x", f32({1, 2}, {3, 4})}});
  EXPECT_EQ(out.at("x").values<float>()[1], 4.0f);
  EXPECT_EQ(out.at("b").values<float>()[1], -10.0f);
}

TEST(ReferenceExecutor, ExceptionsFromOpsNameTheNode) {
  OpRegistry registry;
  registry.add({"Oops", "", [](InferContext&) {},
                [](const CpuContext&) -> std::vector<HostTensor> {
                  throw std::out_of_range("vector::at");
                }});
  ir::Graph g;
  ir::Value* x = add_input(g, "x", DType::kFloat32, {1});
  ir::Value* a = g.add_value("a");
  g.add_node("Oops", "oops1", {x}, {a});
  g.outputs() = {a};
  const ReferenceExecutor executor(g, registry);
  const std::string what = message_of([&] { executor.run({{"x", f32({1}, {0})}}); });
  EXPECT_NE(what.find("Oops 'oops1'"), std::string::npos) << what;
  EXPECT_NE(what.find("vector::at"), std::string::npos) << what;
}

}  // namespace
}  // namespace trtutils::ops
