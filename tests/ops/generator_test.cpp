// Generator ops: Constant, ConstantOfShape, Shape, Size, Range, Identity,
// Dropout.
#include <gtest/gtest.h>

#include "nn_harness.hpp"

namespace trtutils::ops {
namespace {

using nn_testing::attrs;
using nn_testing::expect_values;
using nn_testing::floats;
using nn_testing::NodeSpec;
using nn_testing::run;
using nn_testing::sym;
using nn_testing::tensor;
using nn_testing::values_of;
using Ints = std::vector<std::int64_t>;

HostTensor run1(const std::string& op, std::vector<HostTensor> inputs, ir::Attributes a = {},
                std::int64_t opset = 17) {
  return run(NodeSpec{op, std::move(inputs), std::move(a), opset, 1}).at(0);
}

// For ops whose output shape depends on input data: the inputs are graph
// constants, so the shape rule must predict the CPU reference's shape exactly.
HostTensor run_constant_inputs(const std::string& op, const std::vector<HostTensor>& inputs,
                               ir::Attributes a = {}) {
  ir::Graph graph;
  std::vector<ir::Value*> values;
  std::vector<const HostTensor*> tensors;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    values.push_back(graph.add_value("in" + std::to_string(i)));
    values.back()->set_constant(inputs[i]);
    tensors.push_back(&inputs[i]);
  }
  ir::Value* out = graph.add_value("out");
  ir::Node* node = graph.add_node(op, "node", values, {out}, std::move(a));
  const OpSchema& schema = nn_testing::schema_of(op);
  InferContext infer(*node, 17);
  schema.infer(infer);
  HostTensor result = schema.run_cpu(CpuContext(*node, 17, tensors)).at(0);
  EXPECT_EQ(out->dtype(), result.dtype());
  EXPECT_EQ(ir::to_string(out->shape()), shape_to_string(result.shape()));
  return result;
}

// Runs a shape rule on inputs that are either constants or (dtype, shape).
struct Inferred {
  DType dtype;
  std::string shape;
  const HostTensor* constant;  // valid while the graph lives
};
class InferHarness {
 public:
  ir::Value* constant(HostTensor t) {
    ir::Value* v = graph_.add_value("in" + std::to_string(inputs_.size()));
    v->set_constant(std::move(t));
    inputs_.push_back(v);
    return v;
  }
  ir::Value* shaped(DType dtype, ir::MaybeShape shape) {
    ir::Value* v = graph_.add_value("in" + std::to_string(inputs_.size()));
    v->set_dtype(dtype);
    v->set_shape(std::move(shape));
    inputs_.push_back(v);
    return v;
  }
  Inferred infer(const std::string& op, ir::Attributes a = {}, std::int64_t opset = 17) {
    ir::Value* out = graph_.add_value("out");
    ir::Node* node = graph_.add_node(op, "node", inputs_, {out}, std::move(a));
    InferContext ctx(*node, opset);
    nn_testing::schema_of(op).infer(ctx);
    return {out->dtype(), ir::to_string(out->shape()),
            out->is_constant() ? &out->constant() : nullptr};
  }

 private:
  ir::Graph graph_;
  std::vector<ir::Value*> inputs_;
};

TEST(Constant, ScalarAndListAttributes) {
  const HostTensor f = run1("Constant", {}, attrs({{"value_float", 2.5f}}));
  EXPECT_EQ(f.dtype(), DType::kFloat32);
  EXPECT_EQ(f.shape(), Shape{});
  EXPECT_EQ(values_of(f), (std::vector<double>{2.5}));
  const HostTensor i = run1("Constant", {}, attrs({{"value_ints", Ints{1, 2, 3}}}));
  EXPECT_EQ(i.dtype(), DType::kInt64);
  EXPECT_EQ(values_of(i), (std::vector<double>{1, 2, 3}));
  const HostTensor t =
      run1("Constant", {}, attrs({{"value", tensor<std::int32_t>({2, 1}, {7, 8})}}));
  EXPECT_EQ(t.shape(), (Shape{2, 1}));
  EXPECT_EQ(t.dtype(), DType::kInt32);
}

TEST(Constant, ShapeRuleMakesTheOutputConstant) {
  InferHarness h;
  const Inferred r = h.infer("Constant", attrs({{"value_floats", std::vector<float>{1, 2}}}));
  ASSERT_NE(r.constant, nullptr);
  EXPECT_EQ(r.shape, "[2]");
}

TEST(Constant, StringsAndSparseAreUnsupported) {
  EXPECT_THROW(run1("Constant", {}, attrs({{"value_string", std::string("x")}})), UnsupportedError);
  EXPECT_THROW(run1("Constant", {}), ModelError);
}

TEST(Shape, StartAndEndCountFromTheBackAndClamp) {
  const HostTensor x(Shape{2, 3, 4, 5}, DType::kFloat32);
  EXPECT_EQ(values_of(run1("Shape", {x})), (std::vector<double>{2, 3, 4, 5}));
  EXPECT_EQ(
      values_of(run1("Shape", {x}, attrs({{"start", std::int64_t{1}}, {"end", std::int64_t{-1}}}))),
      (std::vector<double>{3, 4}));
  EXPECT_EQ(values_of(run1("Shape", {x},
                           attrs({{"start", std::int64_t{-10}}, {"end", std::int64_t{2}}}))),
            (std::vector<double>{2, 3}));
  EXPECT_EQ(values_of(run1("Shape", {x}, attrs({{"end", std::int64_t{10}}}))),
            (std::vector<double>{2, 3, 4, 5}));
  EXPECT_EQ(
      run1("Shape", {x}, attrs({{"start", std::int64_t{3}}, {"end", std::int64_t{1}}})).shape(),
      (Shape{0}));
}

TEST(Shape, KnownDimsBecomeConstantEvenWithSymbolsElsewhere) {
  InferHarness h;
  h.shaped(DType::kFloat32, ir::DimList{sym("N"), 3, 4});
  const Inferred sliced = h.infer("Shape", attrs({{"start", std::int64_t{1}}}));
  ASSERT_NE(sliced.constant, nullptr);
  EXPECT_EQ(values_of(*sliced.constant), (std::vector<double>{3, 4}));

  InferHarness whole;
  whole.shaped(DType::kFloat32, ir::DimList{sym("N"), 3, 4});
  const Inferred r = whole.infer("Shape");
  EXPECT_EQ(r.constant, nullptr);
  EXPECT_EQ(r.shape, "[3]");
  EXPECT_EQ(r.dtype, DType::kInt64);

  InferHarness unknown;
  unknown.shaped(DType::kFloat32, std::nullopt);
  EXPECT_EQ(unknown.infer("Shape").shape, "[?]");
}

TEST(Size, CountsElements) {
  const HostTensor y = run1("Size", {HostTensor(Shape{2, 3, 4}, DType::kInt8)});
  EXPECT_EQ(y.shape(), Shape{});
  EXPECT_EQ(values_of(y), (std::vector<double>{24}));
}

TEST(ConstantOfShape, DefaultsToFloatZero) {
  const HostTensor y = run_constant_inputs("ConstantOfShape", {tensor<std::int64_t>({2}, {2, 3})});
  EXPECT_EQ(y.dtype(), DType::kFloat32);
  expect_values(y, {2, 3}, {0, 0, 0, 0, 0, 0});
}

TEST(ConstantOfShape, FillsWithTheValueAttribute) {
  const HostTensor y = run_constant_inputs("ConstantOfShape", {tensor<std::int64_t>({1}, {3})},
                                           attrs({{"value", tensor<std::int32_t>({1}, {7})}}));
  EXPECT_EQ(y.dtype(), DType::kInt32);
  EXPECT_EQ(values_of(y), (std::vector<double>{7, 7, 7}));
  EXPECT_EQ(run_constant_inputs("ConstantOfShape", {tensor<std::int64_t>({0}, {})}).shape(),
            Shape{});
}

TEST(ConstantOfShape, ShapeRuleUsesConstantOrLengthOfShapeInput) {
  InferHarness known;
  known.constant(tensor<std::int64_t>({3}, {4, 0, 2}));
  EXPECT_EQ(known.infer("ConstantOfShape").shape, "[4, 0, 2]");
  InferHarness rank_only;
  rank_only.shaped(DType::kInt64, ir::DimList{2});
  EXPECT_EQ(rank_only.infer("ConstantOfShape").shape, "[?, ?]");
}

TEST(Range, IntegerWithNegativeDelta) {
  const HostTensor y =
      run_constant_inputs("Range", {tensor<std::int32_t>({}, {10}), tensor<std::int32_t>({}, {4}),
                                    tensor<std::int32_t>({}, {-3})});
  EXPECT_EQ(y.dtype(), DType::kInt32);
  EXPECT_EQ(values_of(y), (std::vector<double>{10, 7}));
}

TEST(Range, FloatAndEmpty) {
  expect_values(
      run_constant_inputs("Range", {floats({}, {1}), floats({}, {2.5f}), floats({}, {0.5f})}), {3},
      {1, 1.5, 2});
  EXPECT_EQ(
      run_constant_inputs("Range", {floats({}, {1}), floats({}, {0}), floats({}, {1})}).shape(),
      (Shape{0}));
  EXPECT_THROW(run_constant_inputs("Range", {floats({}, {1}), floats({}, {2}), floats({}, {0})}),
               ModelError);
}

TEST(Range, ShapeRuleKnowsTheLengthOnlyForConstants) {
  InferHarness known;
  known.constant(tensor<std::int64_t>({}, {0}));
  known.constant(tensor<std::int64_t>({}, {10}));
  known.constant(tensor<std::int64_t>({}, {3}));
  EXPECT_EQ(known.infer("Range").shape, "[4]");
  InferHarness unknown;
  unknown.shaped(DType::kInt64, ir::DimList{});
  unknown.shaped(DType::kInt64, ir::DimList{});
  unknown.shaped(DType::kInt64, ir::DimList{});
  EXPECT_EQ(unknown.infer("Range").shape, "[?]");
}

TEST(Identity, CopiesItsInput) {
  EXPECT_EQ(values_of(run1("Identity", {tensor<std::int8_t>({2}, {-1, 2})})),
            (std::vector<double>{-1, 2}));
}

TEST(Dropout, InferenceCopiesAndMaskIsAllTrue) {
  const std::vector<HostTensor> out = run(NodeSpec{"Dropout", {floats({3}, {1, 2, 3})}, {}, 13, 2});
  expect_values(out[0], {3}, {1, 2, 3});
  EXPECT_EQ(out[1].dtype(), DType::kBool);
  EXPECT_EQ(values_of(out[1]), (std::vector<double>{1, 1, 1}));
}

TEST(Dropout, BeforeOpsetTenTheMaskHasTheDataType) {
  const std::vector<HostTensor> out =
      run(NodeSpec{"Dropout", {floats({2}, {1, 2})}, attrs({{"ratio", 0.3f}}), 7, 2});
  EXPECT_EQ(out[1].dtype(), DType::kFloat32);
  EXPECT_EQ(values_of(out[1]), (std::vector<double>{1, 1}));
}

TEST(Dropout, TrainingModeIsUnsupportedUnlessRatioIsZero) {
  const HostTensor x = floats({2}, {1, 2});
  const HostTensor on = tensor<bool>({}, {true});
  EXPECT_THROW(run1("Dropout", {x, floats({}, {0.5f}), on}), UnsupportedError);
  EXPECT_THROW(run1("Dropout", {x, HostTensor(), on}), UnsupportedError);  // default ratio 0.5
  expect_values(run1("Dropout", {x, floats({}, {0.0f}), on}), {2}, {1, 2});
  expect_values(run1("Dropout", {x, floats({}, {0.5f}), tensor<bool>({}, {false})}), {2}, {1, 2});
}

}  // namespace
}  // namespace trtutils::ops
