// GPU lowerings of the tensor family (Reshape..., Transpose, Slice, Concat,
// Split, Expand, Tile, Gather*, Scatter*). CPU: the strided-copy description,
// aliases, refusals of non-constant shape inputs, and NVRTC compilation of
// every generated source. GPU: each op on random inputs vs its CPU reference,
// exactly (data movement is bit-exact, in every dtype).
#include <gtest/gtest.h>

#include "gpu_lowering/lowering_harness.hpp"
#include "gpu_lowering/tensor_random_inputs.hpp"
#include "ops/tensor/gpu_index_map.hpp"

namespace trtutils::testing {
namespace {

using plan::Precision;
using Attrs = ir::Attributes;

// --- strided copy description (CPU) ------------------------------------------

TEST(StridedCopy, SimplifyMergesLinearDimsAndDropsOnes) {
  ops::tensor::StridedCopy copy;
  copy.domain = {2, 1, 3, 4};
  copy.src_strides = {12, 99, 4, 1};
  copy.dst_strides = {12, 7, 4, 1};
  const ops::tensor::StridedCopy s = ops::tensor::simplify(copy);
  EXPECT_EQ(s.domain, (Shape{24}));
  EXPECT_EQ(s.src_strides, (std::vector<std::int64_t>{1}));
  EXPECT_TRUE(ops::tensor::is_identity(copy, 24, 24));
}

TEST(StridedCopy, TransposeKeepsPermutedDims) {
  ops::tensor::StridedCopy copy;  // [2,3,4] -> perm (0, 2, 1)
  copy.domain = {2, 4, 3};
  copy.src_strides = {12, 1, 4};
  copy.dst_strides = {12, 3, 1};
  const ops::tensor::StridedCopy s = ops::tensor::simplify(copy);
  EXPECT_EQ(s.domain, (Shape{2, 4, 3}));
  EXPECT_FALSE(ops::tensor::is_identity(copy, 24, 24));
}

TEST(StridedCopy, WrapEqualToExtentIsDropped) {
  ops::tensor::StridedCopy copy;  // Tile [2,3] by (1, 2): only dim 1 wraps
  copy.domain = {2, 6};
  copy.src_strides = {3, 1};
  copy.dst_strides = {6, 1};
  copy.src_wrap = {2, 3};
  const ops::tensor::StridedCopy s = ops::tensor::simplify(copy);
  EXPECT_EQ(s.src_wrap, (std::vector<std::int64_t>{0, 3}));
}

TEST(StridedCopy, ContiguousRowsMoveInSixteenByteUnits) {
  ops::tensor::StridedCopy copy;  // f16 rows of 16 into a window of a wider output
  copy.domain = {3, 16};
  copy.src_strides = {16, 1};
  copy.dst_strides = {32, 1};
  copy.dst_offset = 16;
  const ops::GpuTensor src{0, DType::kFloat16, {3, 16}};
  const ops::GpuTensor dst{1, DType::kFloat16, {3, 32}};
  const ops::KernelLaunch launch = ops::tensor::strided_copy_launch(copy, src, dst);
  EXPECT_NE(launch.source.find("uint4"), std::string::npos) << launch.source;
  EXPECT_NO_THROW(core::compile_to_ptx(launch.source, launch.entry, {}, "sm_90"));
}

TEST(StridedCopy, DifferentDtypesConvert) {
  ops::tensor::StridedCopy copy;
  copy.domain = {5};
  copy.src_strides = {1};
  copy.dst_strides = {1};
  const ops::GpuTensor src{0, DType::kFloat32, {5}};
  const ops::GpuTensor dst{1, DType::kFloat16, {5}};
  const ops::KernelLaunch launch = ops::tensor::strided_copy_launch(copy, src, dst);
  EXPECT_NE(launch.source.find("__float2half_rn"), std::string::npos) << launch.source;
  EXPECT_NO_THROW(core::compile_to_ptx(launch.source, launch.entry, {}, "sm_90"));
}

// --- the ops' cases -------------------------------------------------------------

struct Case {
  std::string name;
  std::string op;
  std::vector<HostTensor> inputs;
  Attrs attributes;
  std::set<std::size_t> constant_inputs;
  std::size_t outputs = 1;
  std::int64_t opset = 18;
};

void add(std::vector<Case>& cases, std::string name, std::string op,
         std::vector<HostTensor> inputs, Attrs attributes = {},
         std::set<std::size_t> constant_inputs = {}, std::size_t outputs = 1) {
  Case c;
  c.name = std::move(name);
  c.op = std::move(op);
  c.inputs = std::move(inputs);
  c.attributes = std::move(attributes);
  c.constant_inputs = std::move(constant_inputs);
  c.outputs = outputs;
  cases.push_back(std::move(c));
}

Attrs attrs(std::initializer_list<std::pair<std::string, std::int64_t>> ints,
            std::initializer_list<std::pair<std::string, std::vector<std::int64_t>>> lists = {},
            std::initializer_list<std::pair<std::string, std::string>> strings = {}) {
  Attrs a;
  for (const auto& [k, v] : ints) a.set(k, v);
  for (const auto& [k, v] : lists) a.set(k, v);
  for (const auto& [k, v] : strings) a.set(k, std::string(v));
  return a;
}

std::vector<Case> cases(DType dtype, DType index_dtype) {
  std::uint32_t seed = 1;
  const auto data = [&](const Shape& s) { return random_tensor(s, dtype, seed++); };
  const auto idx = [&](const Shape& s, std::int64_t extent) {
    return random_indices(s, extent, index_dtype, seed++);
  };
  std::vector<Case> c;
  add(c, "reshape", "Reshape", {data({3, 5, 2}), ints({5, -1})}, {}, {1});
  add(c, "flatten", "Flatten", {data({3, 5, 2})}, attrs({{"axis", -1}}));
  add(c, "squeeze", "Squeeze", {data({3, 1, 5}), ints({-2})}, {}, {1});
  add(c, "unsqueeze", "Unsqueeze", {data({3, 5}), ints({0, -1})}, {}, {1});
  add(c, "transpose", "Transpose", {data({3, 5, 7, 2})}, attrs({}, {{"perm", {2, 0, 3, 1}}}));
  add(c, "transpose_default", "Transpose", {data({17, 33})});
  add(c, "slice", "Slice",
               {data({7, 9, 5}), ints({1, -2}), ints({100, 0}), ints({0, -2}), ints({2, -3})},
               {}, {1, 2, 3, 4});
  add(c, "slice_rows", "Slice", {data({6, 40}), ints({2}), ints({5})}, {}, {1, 2});
  add(c, "concat", "Concat", {data({3, 2, 5}), data({3, 7, 5}), data({3, 1, 5})},
               attrs({{"axis", -2}}));
  add(c, "concat_inner", "Concat", {data({4, 8}), data({4, 16})}, attrs({{"axis", 1}}));
  add(c, "split", "Split", {data({5, 9, 3}), ints({2, 0, 7})}, attrs({{"axis", 1}}), {1}, 3);
  add(c, "split_equal", "Split", {data({6, 32})}, attrs({{"axis", 0}, {"num_outputs", 3}}),
               {}, 3);
  add(c, "expand", "Expand", {data({3, 1, 5}), ints({2, 1, 4, 5})}, {}, {1});
  add(c, "tile", "Tile", {data({3, 5, 2}), ints({2, 1, 3})}, {}, {1});
  add(c, "gather", "Gather", {data({5, 7, 3}), idx({2, 4}, 7)}, attrs({{"axis", 1}}));
  add(c, "gather_rows", "Gather", {data({9, 16}), idx({11}, 9)}, attrs({{"axis", 0}}));
  add(c, "gather_elements", "GatherElements", {data({4, 6, 3}), idx({4, 9, 2}, 6)},
               attrs({{"axis", -2}}));
  add(c, "gather_nd", "GatherND", {data({3, 4, 5, 2}), idx({3, 6, 2}, 4)},
               attrs({{"batch_dims", 1}}));
  // ScatterND / ScatterElements with duplicate targets: last wins, as on the CPU.
  HostTensor nd_indices(Shape{6, 1}, index_dtype);
  const std::vector<double> nd_rows{1, -4, 3, 1, 0, -1};
  for (std::int64_t i = 0; i < 6; ++i) set_element_from_double(nd_indices.view(), i, nd_rows[static_cast<std::size_t>(i)]);
  add(c, "scatter_nd", "ScatterND", {data({5, 3, 2}), nd_indices, data({6, 3, 2})});
  add(c, "scatter_elements", "ScatterElements",
               {data({4, 5}), idx({4, 7}, 5), data({4, 7})}, attrs({{"axis", 1}}));
  return c;
}

std::vector<Case> reduction_scatter_cases(DType dtype, DType index_dtype) {
  std::vector<Case> c;
  std::uint32_t seed = 100;
  for (const char* reduction : {"add", "mul", "max", "min"}) {
    Attrs a = attrs({{"axis", 0}}, {}, {{"reduction", reduction}});
    add(c, std::string("scatter_elements_") + reduction, "ScatterElements",
                 {random_tensor({3, 4}, dtype, seed), random_indices({7, 4}, 3, index_dtype, seed + 1),
                  random_tensor({7, 4}, dtype, seed + 2)},
                 a);
    add(c, std::string("scatter_nd_") + reduction, "ScatterND",
                 {random_tensor({4, 3}, dtype, seed + 3), random_indices({9, 1}, 4, index_dtype, seed + 4),
                  random_tensor({9, 3}, dtype, seed + 5)},
                 attrs({}, {}, {{"reduction", reduction}}));
    seed += 10;
  }
  return c;
}

std::unique_ptr<NodeUnderTest> node_of(const Case& c) {
  return std::make_unique<NodeUnderTest>(c.op, c.inputs, c.attributes, c.opset, c.outputs,
                                         c.constant_inputs);
}

TEST(TensorLowering, EveryGeneratedSourceCompiles) {
  for (const DType dtype : {DType::kFloat32, DType::kInt64, DType::kBool, DType::kFloat16}) {
    for (const Case& c : cases(dtype, DType::kInt64)) {
      SCOPED_TRACE(c.name + " " + std::string(dtype_name(dtype)));
      const auto node = node_of(c);
      expect_compiles(*node, Precision::kFloat32);
      expect_compiles(*node, Precision::kFloat16);
    }
  }
  for (const Case& c : reduction_scatter_cases(DType::kFloat16, DType::kInt32)) {
    SCOPED_TRACE(c.name);
    expect_compiles(*node_of(c), Precision::kFloat32);
  }
  for (const Case& c : reduction_scatter_cases(DType::kBool, DType::kInt64)) {
    SCOPED_TRACE(c.name);
    expect_compiles(*node_of(c), Precision::kFloat32);
  }
}

TEST(TensorLowering, ShapeOnlyOpsAliasTheirInput) {
  for (const Case& c : cases(DType::kFloat32, DType::kInt64)) {
    if (c.op != "Reshape" && c.op != "Flatten" && c.op != "Squeeze" && c.op != "Unsqueeze") continue;
    SCOPED_TRACE(c.name);
    const auto ctx = node_of(c)->lower(Precision::kFloat32);
    EXPECT_TRUE(ctx->layers().empty());
    ASSERT_EQ(ctx->aliases().size(), 1u);
    EXPECT_EQ(ctx->aliases()[0], (std::pair<std::size_t, std::size_t>{0, 0}));
  }
}

TEST(TensorLowering, IdentitySliceAndSingleInputConcatAlias) {
  NodeUnderTest slice("Slice", {random_tensor({4, 5}, DType::kFloat32, 1), ints({0}), ints({9})},
                      {}, 18, 1, {1, 2});
  EXPECT_EQ(slice.lower(Precision::kFloat32)->aliases().size(), 1u);
  NodeUnderTest concat("Concat", {random_tensor({4, 5}, DType::kFloat32, 1)}, attrs({{"axis", 0}}));
  EXPECT_EQ(concat.lower(Precision::kFloat32)->aliases().size(), 1u);
}

TEST(TensorLowering, ScatterCopiesDataThenAppliesUpdates) {
  const Case c = cases(DType::kFloat32, DType::kInt64).at(18);
  ASSERT_EQ(c.op, "ScatterND");
  const auto ctx = node_of(c)->lower(Precision::kFloat32);
  ASSERT_EQ(ctx->layers().size(), 2u);
  EXPECT_EQ(ctx->layers()[0].kernel, plan::layer_kinds::kCopy);
  EXPECT_EQ(ctx->layers()[1].kernel, plan::layer_kinds::kNvrtcKernel);
}

/// Lowers `op` on non-constant inputs whose output shapes are given (as the
/// builder would know them), expecting the build-time refusal for `input_name`.
void expect_needs_constant(const std::string& op, const std::vector<HostTensor>& inputs,
                           const std::vector<Shape>& output_shapes, const std::string& input_name,
                           Attrs attributes = {}) {
  SCOPED_TRACE(op);
  ir::Graph graph;
  std::vector<ir::Value*> in_values;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    ir::Value* v = graph.add_value("in" + std::to_string(i));
    v->set_dtype(inputs[i].dtype());
    v->set_shape(ir::from_static(inputs[i].shape()));
    in_values.push_back(v);
  }
  std::vector<ir::Value*> out_values;
  for (std::size_t i = 0; i < output_shapes.size(); ++i) {
    ir::Value* v = graph.add_value("out" + std::to_string(i));
    v->set_dtype(inputs[0].dtype());
    v->set_shape(ir::from_static(output_shapes[i]));
    out_values.push_back(v);
  }
  ir::Node* node = graph.add_node(op, "n", in_values, out_values, std::move(attributes));
  FakeLoweringContext ctx(*node, 18);
  try {
    ops::OpRegistry::builtin().find(op)->lower_gpu(ctx);
    ADD_FAILURE() << "lowered without a constant " << input_name;
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("input '" + input_name + "' of " + op +
                                         " must be known at build time; pass it as a constant input"),
              std::string::npos)
        << e.what();
  }
}

TEST(TensorLowering, ShapeInputsMustBeKnownAtBuildTime) {
  const HostTensor x = random_tensor({4, 6}, DType::kFloat32, 3);
  expect_needs_constant("Reshape", {x, ints({6, 4})}, {{6, 4}}, "shape");
  expect_needs_constant("Squeeze", {random_tensor({4, 1}, DType::kFloat32, 3), ints({1})}, {{4}},
                        "axes");
  expect_needs_constant("Unsqueeze", {x, ints({0})}, {{1, 4, 6}}, "axes");
  expect_needs_constant("Slice", {x, ints({1}), ints({3})}, {{2, 6}}, "starts");
  expect_needs_constant("Expand", {x, ints({2, 4, 6})}, {{2, 4, 6}}, "shape");
  expect_needs_constant("Tile", {x, ints({2, 1})}, {{8, 6}}, "repeats");
  expect_needs_constant("Split", {x, ints({2, 4})}, {{4, 2}, {4, 4}}, "split", attrs({{"axis", 1}}));
}

// --- GPU: vs the CPU reference --------------------------------------------------

TEST(TensorLoweringGpu, MatchesCpuReferenceExactly) {
  TRTUTILS_REQUIRE_GPU();
  for (const DType dtype : {DType::kFloat32, DType::kFloat16, DType::kInt64, DType::kBool,
                            DType::kUInt8}) {
    for (const DType index_dtype : {DType::kInt64, DType::kInt32}) {
      for (const Case& c : cases(dtype, index_dtype)) {
        SCOPED_TRACE(c.name + " " + std::string(dtype_name(dtype)) + " indices " + std::string(dtype_name(index_dtype)));
        auto node = node_of(c);
        expect_matches_cpu(*node, Precision::kFloat32, 0.0);
        if (dtype == DType::kFloat32) expect_matches_cpu(*node, Precision::kFloat16, 0.0);
      }
    }
  }
}

TEST(TensorLoweringGpu, ScatterReductionsMatchCpuInIndexOrder) {
  TRTUTILS_REQUIRE_GPU();
  for (const DType dtype : {DType::kFloat32, DType::kFloat16, DType::kInt32, DType::kBool}) {
    for (const Case& c : reduction_scatter_cases(dtype, DType::kInt64)) {
      SCOPED_TRACE(c.name + " " + std::string(dtype_name(dtype)));
      auto node = node_of(c);
      // Same order of operations as the CPU: exact, also for floats.
      expect_matches_cpu(*node, Precision::kFloat32, 0.0);
    }
  }
}

TEST(TensorLoweringGpu, LargeOddTransposeAndConcat) {
  TRTUTILS_REQUIRE_GPU();
  NodeUnderTest transpose("Transpose", {random_tensor({3, 67, 129, 5}, DType::kFloat32, 7)},
                          attrs({}, {{"perm", {0, 3, 1, 2}}}));
  expect_matches_cpu(transpose, Precision::kFloat32, 0.0);
  NodeUnderTest concat("Concat", {random_tensor({2, 33, 257}, DType::kFloat16, 8),
                                  random_tensor({2, 1, 257}, DType::kFloat16, 9)},
                       attrs({{"axis", 1}}));
  expect_matches_cpu(concat, Precision::kFloat32, 0.0);
}

}  // namespace
}  // namespace trtutils::testing
