// Element-wise and generator GPU lowerings, without a GPU: every op lowers,
// its generated source compiles with NVRTC for sm_90, broadcasting collapses
// to the right strides, launch shapes and literals are right, and the
// generator ops emit the constant/alias/fill layers they should.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "gpu_lowering/lowering_harness.hpp"
#include "ops/elementwise/gpu_elementwise.hpp"
#include "ops/gpu_codegen.hpp"

namespace trtutils::testing {
namespace {

using ops::gpu::collapse_iteration;
using Ints = std::vector<std::int64_t>;

template <typename T>
HostTensor filled(Shape shape, T value) {
  std::vector<T> v(static_cast<std::size_t>(element_count(shape)), value);
  return HostTensor::from_values(std::move(shape), v);
}
HostTensor f32(Shape shape, float value = 0.5f) { return filled<float>(std::move(shape), value); }

ir::Attributes attrs(std::initializer_list<std::pair<std::string, ir::Attribute>> list) {
  ir::Attributes a;
  for (const auto& [name, value] : list) a.set(name, value);
  return a;
}

// --- Broadcast collapsing ----------------------------------------------------

TEST(CollapseIteration, SameShapesBecomeOneLinearDimension) {
  const auto it = collapse_iteration({{2, 3, 4}, {2, 3, 4}}, {2, 3, 4});
  EXPECT_EQ(it.sizes, (Ints{24}));
  EXPECT_EQ(it.strides[0], (Ints{1}));
  EXPECT_TRUE(it.linear[0] && it.linear[1]);
}

TEST(CollapseIteration, TwoWayBroadcastKeepsEveryDimension) {
  // [2,1,3] and [4,1] against [2,4,3]: a = (3, 0, 1), b = (0, 1, 0).
  const auto it = collapse_iteration({{2, 1, 3}, {4, 1}}, {2, 4, 3});
  EXPECT_EQ(it.sizes, (Ints{2, 4, 3}));
  EXPECT_EQ(it.strides[0], (Ints{3, 0, 1}));
  EXPECT_EQ(it.strides[1], (Ints{0, 1, 0}));
  EXPECT_FALSE(it.linear[0]);
  EXPECT_FALSE(it.linear[1]);
}

TEST(CollapseIteration, PerChannelBiasMergesSpatialDims) {
  // x [N,C,H,W] + bias [C,1,1]: H and W merge, N alone (bias repeats).
  const auto it = collapse_iteration({{2, 8, 5, 7}, {8, 1, 1}}, {2, 8, 5, 7});
  EXPECT_EQ(it.sizes, (Ints{2, 8, 35}));
  EXPECT_EQ(it.strides[0], (Ints{280, 35, 1}));
  EXPECT_EQ(it.strides[1], (Ints{0, 1, 0}));
  EXPECT_TRUE(it.linear[0]);
  EXPECT_FALSE(it.linear[1]);
}

TEST(CollapseIteration, ScalarsAndSizeOneDimsAreDropped) {
  const auto it = collapse_iteration({{}, {1, 6, 1}, {1}}, {1, 6, 1});
  EXPECT_EQ(it.sizes, (Ints{6}));
  EXPECT_EQ(it.strides[0], (Ints{0}));
  EXPECT_TRUE(it.linear[1]);
  EXPECT_EQ(it.strides[2], (Ints{0}));
}

TEST(CollapseIteration, RowBroadcastMergesLeadingDims) {
  // [4] against [2,3,4]: the leading dims merge with stride 0.
  const auto it = collapse_iteration({{4}}, {2, 3, 4});
  EXPECT_EQ(it.sizes, (Ints{6, 4}));
  EXPECT_EQ(it.strides[0], (Ints{0, 1}));
}

TEST(CollapseIteration, RefusesShapesThatDoNotBroadcast) {
  EXPECT_THROW(collapse_iteration({{3}}, {2, 4}), InvalidArgument);
  EXPECT_THROW(collapse_iteration({{2, 2, 4}}, {2, 4}), InvalidArgument);
}

// --- Literals ----------------------------------------------------------------

TEST(Literals, FloatsAreExactHexAndSpecialValuesUseBitPatterns) {
  EXPECT_EQ(ops::gpu::literal(0.1, DType::kFloat32), "(0x1.99999ap-4f)");
  EXPECT_EQ(ops::gpu::literal(0.1, DType::kFloat16), "(0x1.99999ap-4f)");
  EXPECT_EQ(ops::gpu::literal(0.1, DType::kFloat64), "(0x1.999999999999ap-4)");
  EXPECT_EQ(ops::gpu::literal(-std::numeric_limits<double>::infinity(), DType::kFloat32),
            "__int_as_float(0xff800000)");
  EXPECT_EQ(ops::gpu::literal(1.0, DType::kBool), "true");
  EXPECT_EQ(ops::gpu::integer_literal(std::numeric_limits<std::int64_t>::min(), DType::kInt64),
            "((long long)(-9223372036854775807LL - 1))");
  EXPECT_EQ(ops::gpu::integer_literal(-3, DType::kInt8), "((signed char)-3LL)");
}

// --- Launch shapes -----------------------------------------------------------

TEST(Launch, SameShapeInputsGetTheVectorPathAndAQuarterOfTheThreads) {
  NodeUnderTest t("Add", {f32({1000}), f32({1000})});
  const auto ctx = t.lower(plan::Precision::kFloat32);
  ASSERT_EQ(ctx->launches().size(), 1u);
  const ops::KernelLaunch launch = ctx->launches()[0];
  EXPECT_NE(launch.source.find("trt_vec4"), std::string::npos);
  EXPECT_EQ(launch.block[0], 256u);
  EXPECT_EQ(launch.grid[0], 1u);  // 250 vectors
  ASSERT_EQ(launch.arguments.size(), 3u);
  EXPECT_EQ(launch.arguments[0].tensor, ctx->inputs()[0].id);
  EXPECT_EQ(launch.arguments[1].tensor, ctx->inputs()[1].id);
  EXPECT_EQ(launch.arguments[2].tensor, ctx->outputs()[0].id);
}

TEST(Launch, BroadcastInputsIndexWithCoordinatesAndOneThreadPerElement) {
  NodeUnderTest t("Mul", {f32({4, 1000}), f32({1000})});
  const ops::KernelLaunch launch = t.lower(plan::Precision::kFloat32)->launches().at(0);
  EXPECT_EQ(launch.source.find("trt_vec4"), std::string::npos);
  EXPECT_NE(launch.source.find("c1 * 1LL"), std::string::npos);
  EXPECT_EQ(launch.grid[0], 16u);  // ceil(4000 / 256)
}

TEST(Launch, HugeTensorsCapTheGridAndUseInt64Sizes) {
  ops::gpu::ElementwiseProgram program;
  ops::GpuTensor big{0, DType::kFloat32, {5'000'000'000}};
  ops::GpuTensor out{1, DType::kFloat16, {5'000'000'000}};
  program.inputs = {big};
  program.outputs = {{0, out}};
  const ops::KernelLaunch launch = ops::gpu::generate_elementwise_kernel(program, "convert");
  EXPECT_EQ(launch.grid[0], 65535u * 16);
  EXPECT_NE(launch.source.find("5000000000LL"), std::string::npos);
}

// --- Every op compiles -------------------------------------------------------

struct Case {
  std::string op;
  std::vector<HostTensor> inputs;
  ir::Attributes attributes = {};
  std::int64_t opset = 17;
  std::set<std::size_t> constants = {};
  std::size_t outputs = 1;
};

std::vector<Case> float_cases() {
  const HostTensor x = f32({2, 3, 4});
  const HostTensor row = f32({4});
  std::vector<Case> cases;
  for (const char* op : {"Relu", "Sigmoid", "HardSwish", "Tanh", "Softplus", "Softsign", "Erf",
                         "Sqrt", "Reciprocal", "Exp", "Log", "Abs", "Neg", "Floor", "Ceil",
                         "Round", "Sign", "Sin", "Cos", "Selu"}) {
    cases.push_back({op, {x}});
  }
  cases.push_back({"LeakyRelu", {x}, attrs({{"alpha", 0.2f}})});
  cases.push_back({"Elu", {x}, attrs({{"alpha", 0.7f}})});
  cases.push_back({"Celu", {x}, attrs({{"alpha", 1.5f}})});
  cases.push_back({"HardSigmoid", {x}, attrs({{"alpha", 0.3f}, {"beta", 0.4f}})});
  cases.push_back({"PRelu", {x, row}});
  for (const char* op : {"Add", "Sub", "Mul", "Div", "Pow", "Min", "Max", "Sum", "Mean", "Equal",
                         "Less", "Greater", "LessOrEqual", "GreaterOrEqual"}) {
    cases.push_back({op, {x, row}});
  }
  cases.push_back({"Mod", {x, row}, attrs({{"fmod", std::int64_t{1}}})});
  cases.push_back({"Max", {x, row, f32({3, 1})}});
  cases.push_back({"Clip", {x, f32({}, -1.0f), f32({}, 1.0f)}});
  cases.push_back({"Clip", {x, HostTensor(), f32({}, 1.0f)}});
  cases.push_back({"Clip", {x}, attrs({{"min", -0.5f}, {"max", 0.5f}}), 6});
  cases.push_back({"Where", {filled<bool>({3, 1}, true), x, row}});
  cases.push_back({"Cast", {x}, attrs({{"to", std::int64_t{7}}})});   // -> i64
  cases.push_back({"Cast", {x}, attrs({{"to", std::int64_t{3}}})});   // -> i8
  cases.push_back({"Cast", {x}, attrs({{"to", std::int64_t{10}}})});  // -> f16
  cases.push_back({"Cast", {x}, attrs({{"to", std::int64_t{9}}})});   // -> bool
  cases.push_back({"CastLike", {x, filled<double>({1}, 0.0)}});
  cases.push_back({"Identity", {x}});
  cases.push_back({"Dropout", {x}, {}, 17, {}, 2});
  return cases;
}

std::vector<Case> other_cases() {
  std::vector<Case> cases;
  const HostTensor i32 = filled<std::int32_t>({5, 3}, 7);
  const HostTensor i64 = filled<std::int64_t>({3}, 2);
  const HostTensor u8 = filled<std::uint8_t>({5, 3}, 9);
  const HostTensor d = filled<double>({2, 2}, 0.25);
  const HostTensor b = filled<bool>({4}, true);
  for (const char* op : {"Add", "Div", "Mod", "Pow", "Min", "Equal", "Less"}) {
    cases.push_back({op, {i32, filled<std::int32_t>({3}, 2)}});
  }
  cases.push_back({"Pow", {i32, i64}});
  cases.push_back({"Pow", {d, filled<std::int64_t>({1, 2}, 3)}});
  cases.push_back({"Mod", {u8, filled<std::uint8_t>({1}, 4)}});
  cases.push_back({"Relu", {filled<std::int8_t>({6}, -3)}});
  cases.push_back({"Abs", {u8}});
  cases.push_back({"Sign", {i64}});
  cases.push_back({"PRelu", {i32, filled<std::int32_t>({1}, 2)}});
  cases.push_back({"Clip", {i64, filled<std::int64_t>({}, 0), filled<std::int64_t>({}, 3)}});
  for (const char* op : {"Exp", "Sigmoid", "Softplus", "Celu", "Round", "Sum", "Mean"}) {
    cases.push_back({op, {d}});
  }
  for (const char* op : {"And", "Or", "Xor", "Equal"}) cases.push_back({op, {b, b}});
  cases.push_back({"Not", {b}});
  cases.push_back({"Where", {b, i64.reshaped({3, 1}), filled<std::int64_t>({1, 4}, 5)}});
  cases.push_back({"Cast", {d}, attrs({{"to", std::int64_t{10}}})});  // f64 -> f16 (round to odd)
  cases.push_back({"Cast", {d}, attrs({{"to", std::int64_t{16}}})});  // f64 -> bf16
  cases.push_back({"Cast", {d}, attrs({{"to", std::int64_t{6}}})});   // f64 -> i32
  cases.push_back({"Cast", {i64}, attrs({{"to", std::int64_t{2}}})});  // i64 -> u8
  cases.push_back({"Cast", {b}, attrs({{"to", std::int64_t{1}}})});    // bool -> f32
  cases.push_back({"ConstantOfShape", {filled<std::int64_t>({2}, 3)},
                   attrs({{"value", filled<std::int32_t>({1}, -4)}}), 17, {0}});
  cases.push_back({"ConstantOfShape", {filled<std::int64_t>({1}, 5)}, {}, 17, {0}});
  cases.push_back({"Range",
                   {filled<float>({}, 1.0f), filled<float>({}, 2.0f), filled<float>({}, 0.25f)},
                   {}, 17, {0, 1, 2}});
  cases.push_back({"Range",
                   {filled<std::int64_t>({}, 10), filled<std::int64_t>({}, -2),
                    filled<std::int64_t>({}, -3)},
                   {}, 17, {0, 1, 2}});
  cases.push_back({"Dropout", {d}, {}, 7, {}, 2});  // mask has the data's type
  return cases;
}

TEST(Compile, EveryFloatOpCompilesInEveryPrecision) {
  for (const plan::Precision precision :
       {plan::Precision::kFloat32, plan::Precision::kFloat16, plan::Precision::kBFloat16}) {
    for (const Case& c : float_cases()) {
      SCOPED_TRACE(c.op);
      const NodeUnderTest t(c.op, c.inputs, c.attributes, c.opset, c.outputs, c.constants);
      const auto launches = expect_compiles(t, precision);
      if (c.op != "Identity" && c.op != "Dropout") {
        EXPECT_EQ(launches.size(), 1u);
      }
    }
  }
}

TEST(Compile, IntegerBoolAndDoubleCasesCompile) {
  for (const Case& c : other_cases()) {
    SCOPED_TRACE(c.op);
    const NodeUnderTest t(c.op, c.inputs, c.attributes, c.opset, c.outputs, c.constants);
    EXPECT_EQ(expect_compiles(t, plan::Precision::kFloat32).size(), 1u);
  }
}

TEST(Registry, EveryElementwiseAndGeneratorOpHasALowering) {
  for (const char* op :
       {"Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu", "Sigmoid", "HardSigmoid",
        "HardSwish", "Tanh", "Softplus", "Softsign", "Erf", "Sqrt", "Reciprocal", "Exp", "Log",
        "Abs", "Neg", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Not", "Clip", "Add", "Sub",
        "Mul", "Div", "Pow", "Mod", "Min", "Max", "Sum", "Mean", "Equal", "Less", "Greater",
        "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Where", "Cast", "CastLike"}) {
    const ops::OpSchema* schema = ops::OpRegistry::builtin().find(op);
    ASSERT_NE(schema, nullptr) << op;
    EXPECT_TRUE(schema->lower_gpu) << op;
    EXPECT_NE(ops::gpu::find_elementwise_expression(op), nullptr) << op;
  }
  for (const char* op : {"Constant", "ConstantOfShape", "Identity", "Dropout", "Shape", "Size",
                         "Range"}) {
    EXPECT_TRUE(ops::OpRegistry::builtin().find(op)->lower_gpu) << op;
  }
}

// --- Expressions used by the fusion pass -------------------------------------

TEST(Expressions, ChainOfTwoNodesIsOneKernel) {
  // y = Relu(a + b) with b broadcast; intermediate value stays in registers.
  ir::Graph g;
  ir::Value* a = g.add_value("a");
  ir::Value* b = g.add_value("b");
  ir::Value* s = g.add_value("s");
  ir::Value* y = g.add_value("y");
  const ir::Node* add = g.add_node("Add", "add", {a, b}, {s});
  const ir::Node* relu = g.add_node("Relu", "relu", {s}, {y});
  ops::gpu::ElementwiseProgram program;
  program.inputs = {{0, DType::kFloat16, {8, 16}}, {1, DType::kFloat16, {16}}};
  program.steps.push_back({add, {0, 1}, {DType::kFloat32, DType::kFloat32}, DType::kFloat32});
  program.steps.push_back({relu, {2}, {DType::kFloat32}, DType::kFloat32});
  program.outputs = {{3, {2, DType::kFloat16, {8, 16}}}};
  const ops::KernelLaunch launch = ops::gpu::generate_elementwise_kernel(program, "fused");
  EXPECT_NE(launch.source.find("const float v3 = trt_relu(v2);"), std::string::npos)
      << launch.source;
  EXPECT_NO_THROW(core::compile_to_ptx(launch.source, launch.entry, {}, "sm_90"));
}

TEST(Expressions, RefuseTypesTheOpDoesNotAccept) {
  ir::Graph g;
  ir::Value* a = g.add_value("a");
  ir::Value* y = g.add_value("y");
  const ir::Node* node = g.add_node("Sqrt", "sqrt", {a}, {y});
  const auto* sqrt = ops::gpu::find_elementwise_expression("Sqrt");
  ASSERT_NE(sqrt, nullptr);
  EXPECT_FALSE((*sqrt)({*node, {"v0"}, {DType::kInt32}, DType::kInt32}).has_value());
  EXPECT_TRUE((*sqrt)({*node, {"v0"}, {DType::kFloat32}, DType::kFloat32}).has_value());
  EXPECT_EQ(ops::gpu::find_elementwise_expression("Conv"), nullptr);
}

// --- Refusals ----------------------------------------------------------------

TEST(Refusals, ClipBoundsMustBeScalars) {
  const NodeUnderTest t("Clip", {f32({2, 3}), f32({3}, 0.0f)});
  EXPECT_THROW(t.lower(plan::Precision::kFloat32), ModelError);
}

TEST(Refusals, DropoutTrainingModeMustBeKnownAtBuildTime) {
  // training_mode is a run-time input here: the GPU engine runs inference only.
  const NodeUnderTest t("Dropout",
                        {f32({4}), filled<float>({}, 0.5f), filled<bool>({}, false)}, {}, 17, 1,
                        {1});
  EXPECT_THROW(t.lower(plan::Precision::kFloat32), UnsupportedError);
}

// --- Generator layers --------------------------------------------------------

TEST(Generators, IdentityAndDropoutAliasTheirInput) {
  const NodeUnderTest identity("Identity", {f32({3})});
  const auto ctx = identity.lower(plan::Precision::kFloat32);
  EXPECT_TRUE(ctx->layers().empty());
  ASSERT_EQ(ctx->aliases().size(), 1u);
  const NodeUnderTest dropout("Dropout", {f32({3})}, {}, 17, 2);
  const auto d = dropout.lower(plan::Precision::kFloat16);
  EXPECT_EQ(d->aliases().size(), 1u);
  ASSERT_EQ(d->launches().size(), 1u);  // the all-true mask
  EXPECT_NE(d->launches()[0].source.find("= true;"), std::string::npos);
}

TEST(Generators, ShapeAndSizeBecomeConstantsCopiedIntoPlace) {
  const NodeUnderTest shape("Shape", {f32({2, 5, 7})}, attrs({{"start", std::int64_t{1}}}));
  const auto ctx = shape.lower(plan::Precision::kFloat32);
  ASSERT_EQ(ctx->constants().size(), 1u);
  EXPECT_EQ(ctx->constants()[0].second.values<std::int64_t>()[0], 5);
  EXPECT_EQ(ctx->constants()[0].second.values<std::int64_t>()[1], 7);
  ASSERT_EQ(ctx->layers().size(), 1u);
  EXPECT_EQ(ctx->layers()[0].kernel, plan::layer_kinds::kCopy);
  EXPECT_EQ(ctx->layers()[0].inputs, (std::vector<plan::TensorId>{ctx->constants()[0].first.id}));
  EXPECT_EQ(ctx->layers()[0].outputs, (std::vector<plan::TensorId>{ctx->outputs()[0].id}));
  const NodeUnderTest size("Size", {f32({2, 5, 7})});
  EXPECT_EQ(size.lower(plan::Precision::kFloat32)->constants()[0].second.values<std::int64_t>()[0],
            70);
}

TEST(Generators, ConstantIsCopiedFromAnEngineConstantInTheStorageDtype) {
  const NodeUnderTest t("Constant", {}, attrs({{"value", f32({2}, 1.5f)}}));
  const auto ctx = t.lower(plan::Precision::kFloat16);
  ASSERT_EQ(ctx->constants().size(), 1u);
  EXPECT_EQ(ctx->constants()[0].second.dtype(), DType::kFloat16);
  EXPECT_EQ(ctx->layers().at(0).kernel, plan::layer_kinds::kCopy);
}

TEST(Generators, RangeFillsWithoutFusedMultiplyAdd) {
  const NodeUnderTest t("Range",
                        {filled<float>({}, 1.0f), filled<float>({}, 2.0f), filled<float>({}, 0.25f)},
                        {}, 17, 1, {0, 1, 2});
  const auto launches = t.lower(plan::Precision::kFloat32)->launches();
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_NE(launches[0].source.find("__fadd_rn((0x1p+0f), __fmul_rn((float)i, (0x1p-2f)))"),
            std::string::npos)
      << launches[0].source;
  EXPECT_NE(launches[0].source.find("n = 4LL"), std::string::npos);
}

}  // namespace
}  // namespace trtutils::testing
