// Element-wise ops: hand-computed expectations for the subtle cases
// (broadcasting, integer division/modulo signs, Round half-to-even, Clip's
// missing bounds, Cast edge cases, Where broadcasting, dtype coverage).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

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

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

HostTensor run1(const std::string& op, std::vector<HostTensor> inputs, ir::Attributes a = {},
                std::int64_t opset = 17) {
  return run(NodeSpec{op, std::move(inputs), std::move(a), opset, 1}).at(0);
}

TEST(Broadcast, AddBroadcastsBothWays) {
  // [2,1,3] + [4,1] -> [2,4,3]: out[i][j][k] = a[i][0][k] + b[j][0].
  const HostTensor a = floats({2, 1, 3}, {0, 1, 2, 10, 20, 30});
  const HostTensor b = floats({4, 1}, {100, 200, 300, 400});
  const HostTensor y = run1("Add", {a, b});
  ASSERT_EQ(y.shape(), (Shape{2, 4, 3}));
  EXPECT_EQ(y.values<float>()[0], 100);
  EXPECT_EQ(y.values<float>()[5], 202);   // [0][1][2]
  EXPECT_EQ(y.values<float>()[23], 430);  // [1][3][2]
}

TEST(Broadcast, ScalarAgainstTensorAndEmptyTensor) {
  expect_values(run1("Sub", {floats({3}, {1, 2, 3}), floats({}, {1})}), {3}, {0, 1, 2});
  EXPECT_EQ(run1("Mul", {floats({0, 3}, {}), floats({3}, {1, 2, 3})}).shape(), (Shape{0, 3}));
}

TEST(Broadcast, ShapeRuleKeepsSymbolsAndRejectsMismatch) {
  EXPECT_EQ(nn_testing::infer("Add", {ir::DimList{sym("N"), 1}, ir::DimList{1, 8}})[0], "[N, 8]");
  EXPECT_EQ(nn_testing::infer("Add", {std::nullopt, ir::DimList{8}})[0], "<unknown rank>");
  EXPECT_THROW(nn_testing::infer("Add", {ir::DimList{2}, ir::DimList{3}}), ModelError);
}

TEST(ShapeRules, UnknownRankAndSymbolsPassThrough) {
  EXPECT_EQ(nn_testing::infer("Relu", {std::nullopt})[0], "<unknown rank>");
  EXPECT_EQ(nn_testing::infer("Clip", {ir::DimList{sym("B"), 3}})[0], "[B, 3]");
  EXPECT_EQ(nn_testing::infer("Cast", {ir::DimList{sym("B")}}, attrs({{"to", std::int64_t{7}}}))[0],
            "[B]");
  EXPECT_EQ(nn_testing::infer("Max", {ir::DimList{sym("B"), 1}, ir::DimList{4}, std::nullopt})[0],
            "<unknown rank>");
  EXPECT_EQ(nn_testing::infer("Sum", {ir::DimList{sym("B"), 1}, ir::DimList{4}})[0], "[B, 4]");
}

TEST(Binary, MismatchedElementTypesAreRefused) {
  EXPECT_THROW(run1("Add", {floats({1}, {1}), tensor<std::int64_t>({1}, {1})}), ModelError);
}

TEST(Binary, Uint8ArithmeticWrapsLikeC) {
  const HostTensor y =
      run1("Add", {tensor<std::uint8_t>({2}, {250, 1}), tensor<std::uint8_t>({2}, {10, 2})});
  EXPECT_EQ(values_of(y), (std::vector<double>{4, 3}));  // 260 mod 256
}

TEST(Div, IntegerDivisionTruncatesTowardZero) {
  const HostTensor y = run1("Div", {tensor<std::int32_t>({4}, {7, -7, 7, -7}),
                                    tensor<std::int32_t>({4}, {2, 2, -2, -2})});
  EXPECT_EQ(values_of(y), (std::vector<double>{3, -3, -3, 3}));
}

TEST(Div, IntegerDivisionByZeroIsAnError) {
  EXPECT_THROW(run1("Div", {tensor<std::int64_t>({1}, {1}), tensor<std::int64_t>({1}, {0})}),
               ModelError);
}

TEST(Mod, IntegerResultTakesDivisorSignByDefault) {
  const HostTensor x = tensor<std::int32_t>({4}, {7, -7, 7, -7});
  const HostTensor d = tensor<std::int32_t>({4}, {3, 3, -3, -3});
  EXPECT_EQ(values_of(run1("Mod", {x, d})), (std::vector<double>{1, 2, -2, -1}));
  EXPECT_EQ(values_of(run1("Mod", {x, d}, attrs({{"fmod", std::int64_t{1}}}))),
            (std::vector<double>{1, -1, 1, -1}));
}

TEST(Mod, FloatFmodTakesDividendSign) {
  const HostTensor y = run1("Mod", {floats({2}, {-4.5f, 4.5f}), floats({2}, {2, -2})},
                            attrs({{"fmod", std::int64_t{1}}}));
  expect_values(y, {2}, {-0.5, 0.5});
}

TEST(Pow, IntegerPowerIsExactAndKeepsBaseType) {
  const HostTensor y =
      run1("Pow", {tensor<std::int64_t>({3}, {2, 3, -2}), tensor<std::int64_t>({3}, {40, 2, 3})});
  EXPECT_EQ(y.dtype(), DType::kInt64);
  EXPECT_EQ(y.values<std::int64_t>()[0], std::int64_t{1} << 40);
  EXPECT_EQ(y.values<std::int64_t>()[1], 9);
  EXPECT_EQ(y.values<std::int64_t>()[2], -8);
}

TEST(Pow, MixedTypesTakeTheBaseType) {
  const HostTensor f = run1("Pow", {floats({2}, {4, 2}), tensor<std::int32_t>({2}, {-1, 3})});
  EXPECT_EQ(f.dtype(), DType::kFloat32);
  expect_values(f, {2}, {0.25, 8});
  const HostTensor i = run1("Pow", {tensor<std::int32_t>({2}, {4, 2}), floats({2}, {0.5f, 3})});
  EXPECT_EQ(i.dtype(), DType::kInt32);
  EXPECT_EQ(values_of(i), (std::vector<double>{2, 8}));
}

TEST(Unary, RoundHalvesGoToEven) {
  const HostTensor y = run1("Round", {floats({7}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, -2.6f})});
  expect_values(y, {7}, {0, 2, 2, 0, -2, 2, -3});
  EXPECT_TRUE(std::signbit(y.values<float>()[3]));  // -0.5 rounds to -0
}

TEST(Unary, SignOfIntegersAndNaN) {
  EXPECT_EQ(values_of(run1("Sign", {tensor<std::int8_t>({3}, {-5, 0, 7})})),
            (std::vector<double>{-1, 0, 1}));
  const HostTensor y = run1("Sign", {floats({2}, {std::nanf(""), -0.25f})});
  EXPECT_TRUE(std::isnan(y.values<float>()[0]));
  EXPECT_EQ(y.values<float>()[1], -1.0f);
}

TEST(Unary, AbsAndNegOnIntegers) {
  EXPECT_EQ(values_of(run1("Abs", {tensor<std::int32_t>({2}, {-3, 4})})),
            (std::vector<double>{3, 4}));
  EXPECT_EQ(values_of(run1("Abs", {tensor<std::uint8_t>({1}, {200})})), (std::vector<double>{200}));
  EXPECT_EQ(values_of(run1("Neg", {tensor<std::int64_t>({2}, {-3, 4})})),
            (std::vector<double>{3, -4}));
}

TEST(Unary, FloatOnlyOpRefusesIntegers) {
  EXPECT_THROW(run1("Exp", {tensor<std::int64_t>({1}, {1})}), ModelError);
}

TEST(Unary, HalfComputesInFloatAndKeepsItsType) {
  HostTensor x(Shape{2}, DType::kFloat16);
  x.values<Half>()[0] = Half(4.0f);
  x.values<Half>()[1] = Half(0.25f);
  const HostTensor y = run1("Sqrt", {x});
  EXPECT_EQ(y.dtype(), DType::kFloat16);
  expect_values(y, {2}, {2, 0.5});
}

TEST(Unary, NotFlipsBooleans) {
  EXPECT_EQ(values_of(run1("Not", {tensor<bool>({2}, {true, false})})),
            (std::vector<double>{0, 1}));
}

TEST(Activations, ValuesAtHandPickedPoints) {
  const HostTensor x = floats({3}, {-3, 0, 1});
  expect_values(run1("Relu", {x}), {3}, {0, 0, 1});
  expect_values(run1("LeakyRelu", {x}, attrs({{"alpha", 0.1f}})), {3}, {-0.3, 0, 1});
  expect_values(run1("Elu", {x}), {3}, {std::exp(-3.0) - 1, 0, 1});
  expect_values(run1("HardSigmoid", {x}), {3}, {0, 0.5, 0.7});
  expect_values(run1("HardSwish", {x}), {3}, {0, 0, 1.0 * (1.0 / 6 + 0.5)});
  expect_values(run1("Softsign", {x}), {3}, {-0.75, 0, 0.5});
  expect_values(run1("Softplus", {floats({2}, {0, 100})}), {2}, {std::log(2.0), 100}, 1e-4);
  expect_values(run1("Sigmoid", {floats({2}, {0, -100})}), {2}, {0.5, 0});
  const double alpha = 1.67326319217681884765625, gamma = 1.05070102214813232421875;
  expect_values(run1("Selu", {x}), {3}, {gamma * alpha * (std::exp(-3.0) - 1), 0, gamma});
  expect_values(run1("Celu", {x}, attrs({{"alpha", 2.0f}})), {3}, {2 * (std::exp(-1.5) - 1), 0, 1});
}

// NaN in, NaN out, as NumPy evaluates the ONNX formulas (np.maximum and
// np.minimum propagate NaN; std::max(0, min(1, NaN)) would give 1).
TEST(Activations, NaNPropagatesThroughEveryActivation) {
  const HostTensor x = floats({1}, {std::nanf("")});
  for (const char* op : {"Relu", "LeakyRelu", "Elu", "Selu", "Celu", "HardSigmoid", "HardSwish",
                         "Softplus", "Softsign"}) {
    const HostTensor y = run1(op, {x});
    EXPECT_TRUE(std::isnan(y.values<float>()[0])) << op;
  }
  const HostTensor d = run1("HardSigmoid", {tensor<double>({1}, {kNaN})});
  EXPECT_TRUE(std::isnan(d.values<double>()[0]));
}

TEST(Activations, ReluAcceptsIntegers) {
  EXPECT_EQ(values_of(run1("Relu", {tensor<std::int32_t>({2}, {-2, 5})})),
            (std::vector<double>{0, 5}));
}

TEST(Activations, PReluBroadcastsSlopeOverChannels) {
  const HostTensor y =
      run1("PRelu", {floats({2, 3}, {-1, -1, -1, 2, -2, 2}), floats({3}, {0.1f, 0.2f, 0.3f})});
  expect_values(y, {2, 3}, {-0.1, -0.2, -0.3, 2, -0.4, 2});
}

TEST(Comparison, ResultsAreBoolAndBroadcast) {
  const HostTensor y =
      run1("Less", {tensor<std::int64_t>({2, 1}, {1, 5}), tensor<std::int64_t>({3}, {0, 2, 5})});
  EXPECT_EQ(y.dtype(), DType::kBool);
  EXPECT_EQ(values_of(y), (std::vector<double>{0, 1, 1, 0, 0, 0}));
  EXPECT_EQ(values_of(run1("GreaterOrEqual", {floats({2}, {1, 2}), floats({}, {2})})),
            (std::vector<double>{0, 1}));
  EXPECT_EQ(values_of(run1("Equal", {tensor<bool>({2}, {true, false}), tensor<bool>({}, {true})})),
            (std::vector<double>{1, 0}));
  EXPECT_EQ(values_of(run1("Equal", {floats({1}, {std::nanf("")}), floats({1}, {std::nanf("")})})),
            (std::vector<double>{0}));
}

TEST(Logic, TruthTables) {
  const HostTensor a = tensor<bool>({4}, {false, false, true, true});
  const HostTensor b = tensor<bool>({4}, {false, true, false, true});
  EXPECT_EQ(values_of(run1("And", {a, b})), (std::vector<double>{0, 0, 0, 1}));
  EXPECT_EQ(values_of(run1("Or", {a, b})), (std::vector<double>{0, 1, 1, 1}));
  EXPECT_EQ(values_of(run1("Xor", {a, b})), (std::vector<double>{0, 1, 1, 0}));
  EXPECT_THROW(run1("And", {floats({1}, {1}), floats({1}, {1})}), ModelError);
}

TEST(Variadic, MinMaxOverThreeBroadcastInputs) {
  const HostTensor a = floats({2, 1}, {1, 5});
  const HostTensor b = floats({3}, {3, 0, 4});
  const HostTensor c = floats({}, {2});
  expect_values(run1("Max", {a, b, c}), {2, 3}, {3, 2, 4, 5, 5, 5});
  expect_values(run1("Min", {a, b, c}), {2, 3}, {1, 0, 1, 2, 0, 2});
}

TEST(Variadic, MinPropagatesNaNAndWorksOnIntegers) {
  const HostTensor y =
      run1("Min", {floats({2}, {std::nanf(""), 1}), floats({2}, {0, std::nanf("")})});
  EXPECT_TRUE(std::isnan(y.values<float>()[0]));
  EXPECT_TRUE(std::isnan(y.values<float>()[1]));
  EXPECT_EQ(values_of(run1("Max",
                           {tensor<std::int8_t>({2}, {-3, 4}), tensor<std::int8_t>({2}, {-4, 9})})),
            (std::vector<double>{-3, 9}));
}

TEST(Variadic, SumAndMeanAndSingleInput) {
  expect_values(run1("Sum", {floats({2}, {1, 2}), floats({2}, {3, 4}), floats({}, {10})}), {2},
                {14, 16});
  expect_values(run1("Mean", {floats({2}, {1, 2}), floats({2}, {3, 7})}), {2}, {2, 4.5});
  expect_values(run1("Max", {floats({2}, {1, 2})}), {2}, {1, 2});
}

TEST(Clip, OpsetSixTakesAttributes) {
  expect_values(run1("Clip", {floats({3}, {-2, 0, 2})}, attrs({{"min", -1.0f}, {"max", 1.0f}}), 6),
                {3}, {-1, 0, 1});
  expect_values(run1("Clip", {floats({3}, {-2, 0, 2})}, attrs({{"max", 1.0f}}), 6), {3},
                {-2, 0, 1});
}

TEST(Clip, NaNInputOrBoundGivesNaNAsNumpyClip) {
  const HostTensor x = floats({3}, {std::nanf(""), -2, 2});
  const HostTensor y = run1("Clip", {x, floats({}, {-1}), floats({}, {1})});
  EXPECT_TRUE(std::isnan(y.values<float>()[0]));
  EXPECT_EQ(y.values<float>()[1], -1);
  EXPECT_EQ(y.values<float>()[2], 1);
  const HostTensor legacy = run1("Clip", {x}, attrs({{"min", 0.0f}, {"max", 1.0f}}), 6);
  EXPECT_TRUE(std::isnan(legacy.values<float>()[0]));
  for (const HostTensor& nan_bound :
       {run1("Clip", {x, floats({}, {std::nanf("")})}),
        run1("Clip", {x, HostTensor(), floats({}, {std::nanf("")})})}) {
    for (float v : nan_bound.values<float>()) EXPECT_TRUE(std::isnan(v));
  }
  // min > max: every value becomes max.
  expect_values(run1("Clip", {floats({3}, {-5, 0, 5}), floats({}, {2}), floats({}, {1})}), {3},
                {1, 1, 1});
}

TEST(Clip, MissingBoundsDoNotClip) {
  const HostTensor x = floats({3}, {-2, 0, 2});
  expect_values(run1("Clip", {x}), {3}, {-2, 0, 2});
  expect_values(run1("Clip", {x, floats({}, {-1})}), {3}, {-1, 0, 2});
  expect_values(run1("Clip", {x, HostTensor(), floats({}, {1})}), {3}, {-2, 0, 1});
}

TEST(Clip, IntegersAndMinAboveMax) {
  const HostTensor x = tensor<std::int8_t>({3}, {-128, 0, 127});
  EXPECT_EQ(values_of(run1("Clip", {x, tensor<std::int8_t>({}, {-5})})),
            (std::vector<double>{-5, 0, 127}));
  // min > max: everything becomes max.
  expect_values(run1("Clip", {floats({3}, {-2, 0, 2}), floats({}, {1}), floats({}, {-1})}), {3},
                {-1, -1, -1});
}

HostTensor cast_to(const HostTensor& x, std::int64_t onnx_type) {
  return run1("Cast", {x}, attrs({{"to", onnx_type}}));
}

TEST(Cast, FloatToIntegerTruncatesTowardZero) {
  const HostTensor y = cast_to(floats({4}, {-1.7f, 1.7f, -0.5f, 2.0f}), 6);
  EXPECT_EQ(y.dtype(), DType::kInt32);
  EXPECT_EQ(values_of(y), (std::vector<double>{-1, 1, 0, 2}));
}

TEST(Cast, NaNAndOutOfRangeToIntegerFollowNumpyOnX86) {
  const HostTensor x = floats({3}, {std::nanf(""), 1e20f, -1e20f});
  const double i64_min = static_cast<double>(std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(values_of(cast_to(x, 7)), (std::vector<double>{i64_min, i64_min, i64_min}));
  EXPECT_EQ(values_of(cast_to(x, 6)),
            (std::vector<double>{-2147483648.0, -2147483648.0, -2147483648.0}));
  EXPECT_EQ(values_of(cast_to(x, 3)), (std::vector<double>{0, 0, 0}));  // low byte of INT_MIN
}

TEST(Cast, ToAndFromBool) {
  const HostTensor b = cast_to(floats({4}, {0.0f, -0.0f, 0.1f, std::nanf("")}), 9);
  EXPECT_EQ(values_of(b), (std::vector<double>{0, 0, 1, 1}));
  EXPECT_EQ(values_of(cast_to(tensor<bool>({2}, {true, false}), 1)), (std::vector<double>{1, 0}));
}

TEST(Cast, NarrowingIntegersWraps) {
  EXPECT_EQ(values_of(cast_to(tensor<std::int64_t>({2}, {300, -129}), 3)),
            (std::vector<double>{44, 127}));
}

TEST(Cast, DoubleToHalfRoundsOnce) {
  // 1 + 2^-11 + 2^-40 lies just above the midpoint between the f16 values 1
  // and 1 + 2^-10. Through f32 it would first round to the midpoint exactly,
  // then to even (1.0); rounded once it is 1 + 2^-10.
  const double x = 1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40);
  const HostTensor y = cast_to(tensor<double>({1}, {x}), 10);
  EXPECT_EQ(values_of(y), (std::vector<double>{1.0 + std::ldexp(1.0, -10)}));
}

TEST(Cast, UnsupportedTargetTypesAreUnsupportedNotErrors) {
  EXPECT_THROW(cast_to(floats({1}, {1}), 8), UnsupportedError);  // STRING
  EXPECT_THROW(cast_to(floats({1}, {1}), 4), UnsupportedError);  // UINT16
}

TEST(Cast, CastLikeTakesTheSecondInputsType) {
  const HostTensor y =
      run1("CastLike", {floats({2}, {2.9f, -2.9f}), tensor<std::int64_t>({0}, {})});
  EXPECT_EQ(y.dtype(), DType::kInt64);
  EXPECT_EQ(values_of(y), (std::vector<double>{2, -2}));
}

TEST(Where, BroadcastsAllThreeInputs) {
  const HostTensor cond = tensor<bool>({2, 1}, {true, false});
  const HostTensor x = tensor<std::int64_t>({1, 3}, {1, 2, 3});
  const HostTensor y = tensor<std::int64_t>({}, {-1});
  const HostTensor out = run1("Where", {cond, x, y});
  EXPECT_EQ(out.dtype(), DType::kInt64);
  ASSERT_EQ(out.shape(), (Shape{2, 3}));
  EXPECT_EQ(values_of(out), (std::vector<double>{1, 2, 3, -1, -1, -1}));
}

TEST(Where, ConditionMustBeBool) {
  EXPECT_THROW(run1("Where", {floats({1}, {1}), floats({1}, {1}), floats({1}, {2})}), ModelError);
}

}  // namespace
}  // namespace trtutils::ops
