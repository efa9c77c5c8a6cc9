// Element-wise and generator GPU lowerings on the GPU: each op on random
// inputs (broadcasting shapes, scalars, empty tensors, a vector path with a
// tail, every dtype the op allows, fp16/bf16 storage) against the op's CPU
// reference (run_cpu): exact for integers and bool, f32 1e-6, f16 1e-3,
// bf16 1e-2 (relative, absolute below 1). Skipped without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gpu_lowering/lowering_harness.hpp"
#include "ops/support.hpp"

namespace trtutils::testing {
namespace {

constexpr plan::Precision kF32 = plan::Precision::kFloat32;
constexpr plan::Precision kF16 = plan::Precision::kFloat16;
constexpr plan::Precision kBF16 = plan::Precision::kBFloat16;

// How random values are drawn.
enum class Values {
  kWide,      // floats in [-3, 3], integers in [-20, 20] (u8 [0, 40])
  kNonZero,   // as kWide without zero (divisors)
  kSmall,     // integer-valued in [-3, 3] (equalities, Round halves / 2)
  kHalves,    // k / 2 for integer k in [-8, 8]: Round's ties
  kExponent,  // integers in [-2, 6], floats in [-3, 3]
  kPositive,  // floats in (0.05, 4]
};

HostTensor random_tensor(DType dtype, const Shape& shape, Values kind, std::mt19937& rng) {
  HostTensor t(shape, dtype);
  std::uniform_real_distribution<double> real(-3.0, 3.0);
  for (std::int64_t i = 0; i < t.element_count(); ++i) {
    double v = 0;
    if (dtype == DType::kBool) {
      v = static_cast<double>(rng() & 1u);
    } else if (kind == Values::kSmall) {
      v = static_cast<double>(static_cast<int>(rng() % 7) - 3);
    } else if (kind == Values::kHalves) {
      v = static_cast<double>(static_cast<int>(rng() % 17) - 8) / 2.0;
    } else if (kind == Values::kPositive) {
      v = 0.05 + std::fabs(real(rng)) * 1.3;
    } else if (is_floating_point(dtype)) {
      v = real(rng);
      if (kind == Values::kNonZero && std::fabs(v) < 0.1) v = 0.5;
    } else if (kind == Values::kExponent) {
      v = static_cast<double>(static_cast<int>(rng() % 9) - 2);
    } else {
      const int offset = dtype == DType::kUInt8 ? 0 : 20;
      v = static_cast<double>(static_cast<int>(rng() % 41u) - offset);
      if (kind == Values::kNonZero && v == 0) v = 3;
    }
    set_element_from_double(t.view(), i, v);
  }
  return t;
}

struct Operand {
  DType dtype;
  Shape shape;
  Values values = Values::kWide;
};

// Runs `op` on random inputs of the given operands and compares with the CPU.
void check(const std::string& op, const std::vector<Operand>& operands, plan::Precision precision,
           ir::Attributes attributes = {}, std::int64_t opset = 17) {
  std::mt19937 rng(1234);
  std::vector<HostTensor> inputs;
  std::string trace = op;
  for (const Operand& o : operands) {
    inputs.push_back(random_tensor(o.dtype, o.shape, o.values, rng));
    trace += std::string(" ") + std::string(dtype_name(o.dtype)) + shape_to_string(o.shape);
  }
  SCOPED_TRACE(trace + " " + std::string(plan::precision_name(precision)));
  NodeUnderTest t(op, std::move(inputs), std::move(attributes), opset);
  expect_matches_cpu(t, precision);
}

// Shapes of binary ops: same shape (vector path + tail), two-way broadcast,
// scalar against tensor, row broadcast, empty.
const std::vector<std::pair<Shape, Shape>> kBinaryShapes = {
    {{1027}, {1027}}, {{2, 1, 5}, {3, 1}}, {{}, {2, 3}}, {{4, 6, 7}, {7}}, {{0, 3}, {3}}};
const std::vector<Shape> kUnaryShapes = {{1027}, {}, {3, 5, 2}};

const std::vector<std::string> kFloatUnary = {
    "Relu", "Sigmoid", "HardSwish", "Tanh", "Softplus", "Softsign", "Erf", "Sqrt", "Reciprocal",
    "Exp",  "Log",     "Abs",       "Neg",  "Floor",    "Ceil",     "Sign", "Sin", "Cos",
    "Selu", "Elu",     "Celu",      "LeakyRelu", "HardSigmoid"};

TEST(ElementwiseGpu, FloatUnaryOpsInEveryPrecisionAndF64) {
  TRTUTILS_REQUIRE_GPU();
  for (const std::string& op : kFloatUnary) {
    for (const Shape& shape : kUnaryShapes) {
      for (const plan::Precision p : {kF32, kF16, kBF16}) check(op, {{DType::kFloat32, shape}}, p);
    }
    check(op, {{DType::kFloat64, {1027}}}, kF32);
    check(op, {{DType::kFloat16, {33}}}, kF32);
  }
}

TEST(ElementwiseGpu, ActivationAttributes) {
  TRTUTILS_REQUIRE_GPU();
  auto a = [](std::initializer_list<std::pair<std::string, ir::Attribute>> list) {
    ir::Attributes attributes;
    for (const auto& [name, value] : list) attributes.set(name, value);
    return attributes;
  };
  check("LeakyRelu", {{DType::kFloat32, {100}}}, kF32, a({{"alpha", 0.3f}}));
  check("Elu", {{DType::kFloat32, {100}}}, kF32, a({{"alpha", 0.7f}}));
  check("Celu", {{DType::kFloat64, {100}}}, kF32, a({{"alpha", 1.7f}}));
  check("Selu", {{DType::kFloat32, {100}}}, kF32, a({{"alpha", 1.5f}, {"gamma", 2.0f}}));
  check("HardSigmoid", {{DType::kFloat32, {100}}}, kF16, a({{"alpha", 0.3f}, {"beta", 0.1f}}));
  check("Mod", {{DType::kFloat32, {100}}, {DType::kFloat32, {100}, Values::kNonZero}}, kF32,
        a({{"fmod", std::int64_t{1}}}));
  check("Mod", {{DType::kInt32, {100}}, {DType::kInt32, {100}, Values::kNonZero}}, kF32,
        a({{"fmod", std::int64_t{1}}}));
  check("Clip", {{DType::kFloat32, {100}}}, kF32, a({{"min", -0.5f}, {"max", 1.25f}}), 6);
}

TEST(ElementwiseGpu, RoundIsHalfToEven) {
  TRTUTILS_REQUIRE_GPU();
  for (const plan::Precision p : {kF32, kF16}) check("Round", {{DType::kFloat32, {64}, Values::kHalves}}, p);
  check("Round", {{DType::kFloat64, {64}, Values::kHalves}}, kF32);
}

TEST(ElementwiseGpu, IntegerUnaryOps) {
  TRTUTILS_REQUIRE_GPU();
  for (const DType d : {DType::kInt8, DType::kInt32, DType::kInt64}) {
    for (const char* op : {"Relu", "Abs", "Neg", "Sign"}) check(op, {{d, {1027}}}, kF32);
  }
  check("Abs", {{DType::kUInt8, {50}}}, kF32);
  check("Sign", {{DType::kUInt8, {50}}}, kF32);
  check("Not", {{DType::kBool, {1027}}}, kF32);
}

TEST(ElementwiseGpu, ArithmeticWithBroadcastingInEveryDtype) {
  TRTUTILS_REQUIRE_GPU();
  for (const char* op : {"Add", "Sub", "Mul", "Div", "Mod", "Pow", "Min", "Max", "PRelu"}) {
    for (const auto& [a, b] : kBinaryShapes) {
      // PRelu's slope broadcasts to the input's shape (one way only).
      const Shape& x = a;
      const Shape& y = b;
      if (std::string(op) == "PRelu" && ops::broadcast_shapes(x, y) != x) continue;
      const bool divides = std::string(op) == "Div" || std::string(op) == "Mod";
      const Values second = divides ? Values::kNonZero
                                    : (std::string(op) == "Pow" ? Values::kExponent : Values::kWide);
      for (const DType d : {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64,
                            DType::kInt8, DType::kUInt8}) {
        if (std::string(op) == "Pow" && (d == DType::kInt8 || d == DType::kUInt8)) continue;
        check(op, {{d, x}, {d, y, second}}, kF32);
      }
      check(op, {{DType::kFloat32, x}, {DType::kFloat32, y, second}}, kF16);
      check(op, {{DType::kFloat32, x}, {DType::kFloat32, y, second}}, kBF16);
    }
  }
}

TEST(ElementwiseGpu, PowWithMixedTypes) {
  TRTUTILS_REQUIRE_GPU();
  check("Pow", {{DType::kFloat32, {40}}, {DType::kInt64, {40}, Values::kExponent}}, kF32);
  check("Pow", {{DType::kInt32, {40}}, {DType::kFloat32, {1}, Values::kPositive}}, kF32);
  check("Pow", {{DType::kInt64, {40}, Values::kSmall}, {DType::kInt32, {40}, Values::kExponent}},
        kF32);
}

TEST(ElementwiseGpu, VariadicOps) {
  TRTUTILS_REQUIRE_GPU();
  for (const char* op : {"Sum", "Mean", "Min", "Max"}) {
    check(op, {{DType::kFloat32, {2, 3, 4}}}, kF32);
    check(op, {{DType::kFloat32, {2, 1, 4}}, {DType::kFloat32, {3, 1}}, {DType::kFloat32, {}}},
          kF32);
    check(op, {{DType::kFloat32, {1027}}, {DType::kFloat32, {1027}}, {DType::kFloat32, {1027}}},
          kF16);
    check(op, {{DType::kFloat64, {5, 1}}, {DType::kFloat64, {4}}}, kF32);
  }
  check("Max", {{DType::kInt32, {5, 1}}, {DType::kInt32, {4}}, {DType::kInt32, {5, 4}}}, kF32);
}

TEST(ElementwiseGpu, ComparisonsAndLogicGiveBool) {
  TRTUTILS_REQUIRE_GPU();
  for (const char* op : {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"}) {
    for (const DType d : {DType::kFloat32, DType::kInt64, DType::kUInt8}) {
      check(op, {{d, {4, 5}, Values::kSmall}, {d, {5}, Values::kSmall}}, kF32);
    }
    check(op, {{DType::kFloat32, {1027}, Values::kSmall}, {DType::kFloat32, {1027}, Values::kSmall}},
          kF16);
  }
  for (const char* op : {"And", "Or", "Xor", "Equal"}) {
    check(op, {{DType::kBool, {3, 1}}, {DType::kBool, {1, 7}}}, kF32);
    check(op, {{DType::kBool, {1027}}, {DType::kBool, {1027}}}, kF32);
  }
}

TEST(ElementwiseGpu, WhereInEveryDtype) {
  TRTUTILS_REQUIRE_GPU();
  for (const DType d : {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt8,
                        DType::kBool, DType::kFloat16}) {
    check("Where", {{DType::kBool, {3, 1}}, {d, {4}}, {d, {2, 1, 1}}}, kF32);
    check("Where", {{DType::kBool, {1027}}, {d, {1027}}, {d, {1027}}}, kF32);
  }
  check("Where", {{DType::kBool, {3, 1}}, {DType::kFloat32, {4}}, {DType::kFloat32, {}}}, kF16);
}

TEST(ElementwiseGpu, ClipWithScalarInputBounds) {
  TRTUTILS_REQUIRE_GPU();
  std::mt19937 rng(7);
  for (const plan::Precision p : {kF32, kF16}) {
    NodeUnderTest both("Clip", {random_tensor(DType::kFloat32, {1027}, Values::kWide, rng),
                                HostTensor::from_values<float>({}, {-1.0f}),
                                HostTensor::from_values<float>({}, {0.5f})});
    expect_matches_cpu(both, p);
    NodeUnderTest high("Clip", {random_tensor(DType::kFloat32, {2, 7}, Values::kWide, rng),
                                HostTensor(), HostTensor::from_values<float>({}, {0.5f})});
    expect_matches_cpu(high, p);
  }
  NodeUnderTest ints("Clip", {random_tensor(DType::kInt64, {50}, Values::kWide, rng),
                              HostTensor::from_values<std::int64_t>({}, {-3}),
                              HostTensor::from_values<std::int64_t>({}, {4})});
  expect_matches_cpu(ints, kF32);
}

TEST(ElementwiseGpu, NanAndInfinityFollowTheCpuReference) {
  TRTUTILS_REQUIRE_GPU();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> special = {nan, inf, -inf, 0.0f, -0.0f, 1e30f, -1e30f, 2.5f, -2.5f, 3e9f,
                                      -3e9f, 300.7f, -1.5f, 255.5f, 1e20f, -129.0f};
  const HostTensor x = HostTensor::from_values<float>({16}, special);
  for (const char* op : {"Relu", "LeakyRelu", "Elu", "Selu", "Sign", "Celu", "HardSigmoid",
                         "HardSwish", "Sigmoid", "Softplus", "Softsign", "Abs", "Round", "Floor",
                         "Exp", "Tanh", "Erf"}) {
    NodeUnderTest t(op, {x});
    expect_matches_cpu(t, kF32);
  }
  for (const char* op : {"Min", "Max", "Add", "Less", "Equal"}) {
    NodeUnderTest t(op, {x, HostTensor::from_values<float>({}, {1.0f})});
    expect_matches_cpu(t, kF32);
    NodeUnderTest u(op, {HostTensor::from_values<float>({}, {1.0f}), x});
    expect_matches_cpu(u, kF32);
  }
  NodeUnderTest clip("Clip", {x, HostTensor::from_values<float>({}, {-1.0f}),
                              HostTensor::from_values<float>({}, {1.0f})});
  expect_matches_cpu(clip, kF32);
  // Constant [0, 1] bounds (opset 6 attributes): a clamp the compiler could
  // turn into a saturating instruction, which maps NaN to 0.
  ir::Attributes unit;
  unit.set("min", 0.0f);
  unit.set("max", 1.0f);
  NodeUnderTest clip_unit("Clip", {x}, unit, 6);
  expect_matches_cpu(clip_unit, kF32);
  NodeUnderTest clip_nan_bound("Clip", {x, HostTensor::from_values<float>({}, {nan})});
  expect_matches_cpu(clip_nan_bound, kF32);
  // Cast: NaN and out-of-range to integers, f32 -> f16/bf16, bool.
  for (const std::int64_t to : {1, 2, 3, 6, 7, 9, 10, 11, 16}) {
    ir::Attributes a;
    a.set("to", to);
    NodeUnderTest t("Cast", {x}, a);
    expect_matches_cpu(t, kF32);
    NodeUnderTest d("Cast", {x.cast(DType::kFloat64)}, a);
    expect_matches_cpu(d, kF32);
  }
}

TEST(ElementwiseGpu, CastBetweenEveryPairOfDtypes) {
  TRTUTILS_REQUIRE_GPU();
  const std::vector<std::pair<DType, std::int64_t>> types = {
      {DType::kFloat32, 1}, {DType::kUInt8, 2},  {DType::kInt8, 3},    {DType::kInt32, 6},
      {DType::kInt64, 7},   {DType::kBool, 9},   {DType::kFloat16, 10}, {DType::kFloat64, 11},
      {DType::kBFloat16, 16}};
  std::mt19937 rng(3);
  for (const auto& [from, from_number] : types) {
    const HostTensor x = random_tensor(from, {1027}, Values::kWide, rng);
    for (const auto& [to, number] : types) {
      ir::Attributes a;
      a.set("to", number);
      NodeUnderTest t("Cast", {x}, a);
      expect_matches_cpu(t, kF32);
      NodeUnderTest like("CastLike", {x, HostTensor({1}, to)});
      expect_matches_cpu(like, kF32);
    }
    (void)from_number;
  }
  // A double that needs the round-to-odd step to round correctly to f16:
  // 1 + 2^-11 + 2^-40 is above the f16 tie, but rounds to the tie in f32.
  const HostTensor tie = HostTensor::from_values<double>({1}, {1.0 + 0x1p-11 + 0x1p-40});
  ir::Attributes a;
  a.set("to", std::int64_t{10});
  NodeUnderTest t("Cast", {tie}, a);
  expect_matches_cpu(t, kF32);
}

TEST(GeneratorGpu, ConstantOfShapeRangeShapeSizeIdentityDropout) {
  TRTUTILS_REQUIRE_GPU();
  ir::Attributes fill;
  fill.set("value", HostTensor::from_values<std::int64_t>({1}, {-9000000000LL}));
  NodeUnderTest cos("ConstantOfShape", {HostTensor::from_values<std::int64_t>({2}, {3, 4})}, fill,
                    17, 1, {0});
  expect_matches_cpu(cos, kF32);
  NodeUnderTest zeros("ConstantOfShape", {HostTensor::from_values<std::int64_t>({1}, {1027})}, {},
                      17, 1, {0});
  expect_matches_cpu(zeros, kF16);
  NodeUnderTest range_f("Range",
                        {HostTensor::from_values<float>({}, {0.1f}),
                         HostTensor::from_values<float>({}, {7.3f}),
                         HostTensor::from_values<float>({}, {0.013f})},
                        {}, 17, 1, {0, 1, 2});
  expect_matches_cpu(range_f, kF32, 0.0);  // exact: no fused multiply-add
  NodeUnderTest range_i("Range",
                        {HostTensor::from_values<std::int32_t>({}, {10}),
                         HostTensor::from_values<std::int32_t>({}, {-7}),
                         HostTensor::from_values<std::int32_t>({}, {-3})},
                        {}, 17, 1, {0, 1, 2});
  expect_matches_cpu(range_i, kF32);
  std::mt19937 rng(5);
  const HostTensor x = random_tensor(DType::kFloat32, {3, 5}, Values::kWide, rng);
  ir::Attributes start;
  start.set("start", std::int64_t{-1});
  NodeUnderTest shape("Shape", {x}, start);
  expect_matches_cpu(shape, kF16);
  NodeUnderTest size("Size", {x});
  expect_matches_cpu(size, kF32);
  NodeUnderTest identity("Identity", {x});
  expect_matches_cpu(identity, kF16);
  NodeUnderTest dropout("Dropout", {x}, {}, 17, 2);
  expect_matches_cpu(dropout, kF16);
  NodeUnderTest dropout7("Dropout", {x}, {}, 7, 2);
  expect_matches_cpu(dropout7, kF32);
  ir::Attributes value;
  value.set("value", HostTensor::from_values<float>({2}, {1.5f, -2.25f}));
  NodeUnderTest constant("Constant", {}, value);
  expect_matches_cpu(constant, kF16);
}

}  // namespace
}  // namespace trtutils::testing
