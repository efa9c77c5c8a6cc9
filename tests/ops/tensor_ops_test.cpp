// Tensor-family ops (src/ops/tensor/): CPU references against hand-computed
// values from the ONNX operator spec, and shape rules on partly known shapes.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "op_harness_tensor_reduction.hpp"

namespace trtutils::ops {
namespace {

using namespace testing;  // NOLINT
using F = std::vector<float>;
using I = std::vector<std::int64_t>;
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

HostTensor iota1(std::int64_t n) { return iota_f({n}); }

// --- Slice -----------------------------------------------------------------------

TEST(Slice, NegativeStepClampsEndToMinusOne) {
  // start -1 -> 9; end -1000 -> -990 -> clamped to -1; 9, 6, 3, 0.
  const auto out = run_op("Slice", {iota1(10), ints({-1}), ints({-1000}), ints({0}), ints({-3})});
  EXPECT_EQ(values_of<float>(out[0]), (F{9, 6, 3, 0}));
}

TEST(Slice, NegativeStepToInt64Min) {
  const auto out = run_op("Slice", {iota1(10), ints({5}), ints({kMin}), absent(), ints({-2})});
  EXPECT_EQ(values_of<float>(out[0]), (F{5, 3, 1}));
}

TEST(Slice, OutOfBoundsStartsAndEndsClamp) {
  EXPECT_EQ(values_of<float>(run_op("Slice", {iota1(5), ints({2}), ints({1000})})[0]), (F{2, 3, 4}));
  EXPECT_EQ(values_of<float>(run_op("Slice", {iota1(5), ints({-100}), ints({2})})[0]), (F{0, 1}));
  const auto empty = run_op("Slice", {iota1(5), ints({20}), ints({kMax})});
  EXPECT_EQ(empty[0].shape(), (Shape{0}));
  const auto reversed_empty = run_op("Slice", {iota1(5), ints({1}), ints({3}), absent(), ints({-1})});
  EXPECT_EQ(reversed_empty[0].shape(), (Shape{0}));
}

TEST(Slice, AxesInAnyOrderWithSteps) {
  // cols 0, 2 (end -1 -> 3, step 2) of rows 1, 2 of [[0..3],[4..7],[8..11]].
  const auto out = run_op("Slice", {iota_f({3, 4}), ints({0, 1}), ints({-1, 1000}), ints({1, -2}),
                                    ints({2, 1})});
  EXPECT_EQ(out[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(values_of<float>(out[0]), (F{4, 6, 8, 10}));
}

TEST(Slice, AttributesBeforeOpset10) {
  const auto out = run_op("Slice", {iota1(6)},
                          attrs({{"starts", I{1}}, {"ends", I{-2}}, {"axes", I{0}}}), 9);
  EXPECT_EQ(values_of<float>(out[0]), (F{1, 2, 3}));
}

TEST(Slice, ZeroStepIsMalformed) {
  EXPECT_THROW(run_op("Slice", {iota1(4), ints({0}), ints({2}), ints({0}), ints({0})}), ModelError);
}

TEST(Slice, ShapeRuleKeepsSymbolsOfUntouchedAndWholeAxes) {
  const auto r = infer_op("Slice", {InferInput(DType::kFloat32, ir::DimList{ir::Dim::symbolic("N"), 10, ir::Dim::symbolic("W")}),
                                    ints({0, 1}), ints({kMax, -1}), ints({0, 1})});
  EXPECT_EQ(r[0].text(), "[N, 8, W]");
  const auto unknown_starts = infer_op("Slice", {InferInput(DType::kFloat32, ir::DimList{4, 5}),
                                                 InferInput(DType::kInt64, ir::DimList{1}), ints({3}), ints({1})});
  EXPECT_EQ(unknown_starts[0].text(), "[4, ?]");
}

// --- Reshape / Flatten / Squeeze / Unsqueeze ---------------------------------

TEST(Reshape, ZeroCopiesAndMinusOneInfers) {
  EXPECT_EQ(run_op("Reshape", {iota_f({2, 3, 4}), ints({0, -1})})[0].shape(), (Shape{2, 12}));
  EXPECT_EQ(run_op("Reshape", {iota_f({2, 3, 4}), ints({-1, 0})})[0].shape(), (Shape{8, 3}));
}

TEST(Reshape, AllowZeroMakesZeroLiteral) {
  const HostTensor empty(Shape{0, 3, 4}, DType::kFloat32);
  const auto out = run_op("Reshape", {empty, ints({3, 4, 0})}, attrs({{"allowzero", std::int64_t{1}}}), 14);
  EXPECT_EQ(out[0].shape(), (Shape{3, 4, 0}));
  // Without allowzero the trailing 0 copies dim 2 (4): 48 elements, not 0.
  EXPECT_THROW(run_op("Reshape", {empty, ints({3, 4, 0})}, {}, 14), ModelError);
}

TEST(Reshape, BadTargetsAreMalformed) {
  EXPECT_THROW(run_op("Reshape", {iota_f({2, 3}), ints({-1, -1})}), ModelError);
  EXPECT_THROW(run_op("Reshape", {iota_f({2, 3}), ints({4, -1})}), ModelError);
}

TEST(Reshape, ShapeRuleResolvesAgainstSymbolicInput) {
  const auto r = infer_op("Reshape", {InferInput(DType::kFloat32, ir::DimList{ir::Dim::symbolic("N"), 3, 4}),
                                      ints({0, -1})});
  EXPECT_EQ(r[0].text(), "[N, 12]");
  const auto unknown = infer_op("Reshape", {InferInput(DType::kFloat32, ir::DimList{2, 3}),
                                            InferInput(DType::kInt64, ir::DimList{3})});
  EXPECT_EQ(unknown[0].text(), "[?, ?, ?]");
}

TEST(Flatten, AxisZeroAndNegative) {
  EXPECT_EQ(run_op("Flatten", {iota_f({2, 3, 4})}, attrs({{"axis", std::int64_t{0}}}))[0].shape(),
            (Shape{1, 24}));
  EXPECT_EQ(run_op("Flatten", {iota_f({2, 3, 4})}, attrs({{"axis", std::int64_t{-1}}}))[0].shape(),
            (Shape{6, 4}));
  EXPECT_EQ(run_op("Flatten", {iota_f({2, 3, 4})}, attrs({{"axis", std::int64_t{3}}}))[0].shape(),
            (Shape{24, 1}));
  const auto r = infer_op("Flatten", {InferInput(DType::kFloat32, ir::DimList{ir::Dim::symbolic("N"), 3, 4})});
  EXPECT_EQ(r[0].text(), "[N, 12]");
}

TEST(Squeeze, AxesInputAndAttribute) {
  const HostTensor x = iota_f({1, 3, 1, 2});
  EXPECT_EQ(run_op("Squeeze", {x, ints({-2})})[0].shape(), (Shape{1, 3, 2}));
  EXPECT_EQ(run_op("Squeeze", {x})[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(run_op("Squeeze", {x}, attrs({{"axes", I{0}}}), 11)[0].shape(), (Shape{3, 1, 2}));
  EXPECT_THROW(run_op("Squeeze", {x, ints({1})}), ModelError);
}

TEST(Unsqueeze, AxesRefertoOutputRank) {
  EXPECT_EQ(run_op("Unsqueeze", {iota_f({3, 4}), ints({-1, 0})})[0].shape(), (Shape{1, 3, 4, 1}));
  EXPECT_EQ(run_op("Unsqueeze", {iota_f({3, 4}), ints({3, 1})})[0].shape(), (Shape{3, 1, 4, 1}));
  EXPECT_EQ(run_op("Unsqueeze", {iota_f({3})}, attrs({{"axes", I{0}}}), 11)[0].shape(), (Shape{1, 3}));
  EXPECT_THROW(run_op("Unsqueeze", {iota_f({3}), ints({0, 0})}), ModelError);
}

// --- Concat / Split -------------------------------------------------------------

TEST(Concat, NegativeAxis) {
  const auto out = run_op("Concat", {tensor<float>({2, 1}, {1, 2}), tensor<float>({2, 2}, {3, 4, 5, 6})},
                          attrs({{"axis", std::int64_t{-1}}}));
  EXPECT_EQ(out[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(values_of<float>(out[0]), (F{1, 3, 4, 2, 5, 6}));
}

TEST(Concat, ShapeRuleSumsStaticDims) {
  const ir::Dim n = ir::Dim::symbolic("N");
  auto r = infer_op("Concat", {InferInput(DType::kFloat32, ir::DimList{n, 2}), InferInput(DType::kFloat32, ir::DimList{n, 3})},
                    attrs({{"axis", std::int64_t{1}}}));
  EXPECT_EQ(r[0].text(), "[N, 5]");
  r = infer_op("Concat", {InferInput(DType::kFloat32, ir::DimList{n, 2}), InferInput(DType::kFloat32, ir::DimList{3, 2})},
               attrs({{"axis", std::int64_t{0}}}));
  EXPECT_EQ(r[0].text(), "[?, 2]");
}

TEST(Split, Opset18NumOutputsLastChunkSmaller) {
  const auto out = run_op("Split", {iota1(7)}, attrs({{"num_outputs", std::int64_t{3}}}), 18, 3);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(values_of<float>(out[0]), (F{0, 1, 2}));
  EXPECT_EQ(values_of<float>(out[1]), (F{3, 4, 5}));
  EXPECT_EQ(values_of<float>(out[2]), (F{6}));
}

TEST(Split, SizesFromInputAt13AndAttributeBefore) {
  auto out = run_op("Split", {iota_f({2, 3}), ints({1, 2})}, attrs({{"axis", std::int64_t{1}}}), 13, 2);
  EXPECT_EQ(values_of<float>(out[0]), (F{0, 3}));
  EXPECT_EQ(values_of<float>(out[1]), (F{1, 2, 4, 5}));
  out = run_op("Split", {iota1(7)}, attrs({{"split", I{1, 6}}}), 11, 2);
  EXPECT_EQ(out[0].shape(), (Shape{1}));
  EXPECT_EQ(out[1].shape(), (Shape{6}));
}

TEST(Split, UnevenEqualSplitBefore18IsMalformed) {
  EXPECT_THROW(run_op("Split", {iota1(7)}, {}, 13, 2), ModelError);
  EXPECT_THROW(run_op("Split", {iota1(7), ints({3, 3})}, {}, 13, 2), ModelError);
}

// --- Gather family -------------------------------------------------------------------

TEST(Gather, NegativeIndicesCountFromEnd) {
  const HostTensor data = tensor<float>({3, 2}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(values_of<float>(run_op("Gather", {data, ints({-1, 0})})[0]), (F{5, 6, 1, 2}));
  const auto cols = run_op("Gather", {data, tensor<std::int32_t>({1, 1}, {-1})}, attrs({{"axis", std::int64_t{1}}}));
  EXPECT_EQ(cols[0].shape(), (Shape{3, 1, 1}));
  EXPECT_EQ(values_of<float>(cols[0]), (F{2, 4, 6}));
}

TEST(Gather, OutOfRangeIndexIsAClearError) {
  const HostTensor data = tensor<float>({3, 2}, {1, 2, 3, 4, 5, 6});
  try {
    run_op("Gather", {data, ints({3})});
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("index 3 is out of range"), std::string::npos) << e.what();
  }
  EXPECT_THROW(run_op("Gather", {data, ints({-4})}), ModelError);
}

TEST(GatherElements, AlongAxisWithNegativeIndices) {
  const HostTensor data = tensor<float>({2, 2}, {1, 2, 3, 4});
  const auto out = run_op("GatherElements", {data, tensor<std::int64_t>({2, 2}, {0, 0, -1, 0})},
                          attrs({{"axis", std::int64_t{1}}}));
  EXPECT_EQ(values_of<float>(out[0]), (F{1, 1, 4, 3}));
}

TEST(GatherND, BatchDimsAndNegativeIndices) {
  const HostTensor data = iota_f({2, 2, 2});
  const auto batched = run_op("GatherND", {data, tensor<std::int64_t>({2, 1}, {1, 0})},
                              attrs({{"batch_dims", std::int64_t{1}}}));
  EXPECT_EQ(batched[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(values_of<float>(batched[0]), (F{2, 3, 4, 5}));
  const auto negative = run_op("GatherND", {iota_f({2, 2}), tensor<std::int64_t>({1, 2}, {-1, -2})});
  EXPECT_EQ(values_of<float>(negative[0]), (F{2}));
}

// --- Scatter family ------------------------------------------------------------------

TEST(ScatterND, ReplaceAndReductions) {
  const HostTensor data = tensor<float>({8}, {1, 2, 3, 4, 5, 6, 7, 8});
  const auto none = run_op("ScatterND", {data, tensor<std::int64_t>({4, 1}, {4, 3, 1, 7}),
                                         tensor<float>({4}, {9, 10, 11, 12})});
  EXPECT_EQ(values_of<float>(none[0]), (F{1, 11, 3, 10, 9, 6, 7, 12}));
  const HostTensor twice = tensor<std::int64_t>({2, 1}, {1, 1});
  const auto reduce = [&](const char* mode, std::vector<float> updates) {
    return values_of<float>(run_op("ScatterND", {data, twice, tensor<float>({2}, updates)},
                                   attrs({{"reduction", std::string(mode)}}), 18)[0])[1];
  };
  EXPECT_EQ(reduce("add", {10, 20}), 32.0f);  // 2 + 10 + 20
  EXPECT_EQ(reduce("mul", {3, 4}), 24.0f);    // 2 * 3 * 4
  EXPECT_EQ(reduce("max", {5, -1}), 5.0f);
  EXPECT_EQ(reduce("min", {5, -1}), -1.0f);
  EXPECT_THROW(reduce("mean", {1, 1}), ModelError);
}

TEST(ScatterND, SlicesOfHigherRankData) {
  const auto out = run_op("ScatterND", {HostTensor(Shape{2, 2}, DType::kInt32), tensor<std::int64_t>({1, 1}, {-1}),
                                        tensor<std::int32_t>({1, 2}, {7, 8})});
  EXPECT_EQ(values_of<std::int32_t>(out[0]), (std::vector<std::int32_t>{0, 0, 7, 8}));
}

TEST(ScatterElements, SpecExampleAndReductions) {
  const auto out = run_op("ScatterElements", {HostTensor(Shape{3, 3}, DType::kFloat32),
                                              tensor<std::int64_t>({2, 3}, {1, 0, 2, 0, 2, 1}),
                                              tensor<float>({2, 3}, {1, 1.1f, 1.2f, 2, 2.1f, 2.2f})});
  EXPECT_EQ(values_of<float>(out[0]), (F{2, 1.1f, 0, 1, 0, 2.2f, 0, 2.1f, 1.2f}));
  const HostTensor data = tensor<float>({1, 5}, {1, 2, 3, 4, 5});
  const HostTensor dup = tensor<std::int64_t>({1, 2}, {1, 1});
  const HostTensor updates = tensor<float>({1, 2}, {1.1f, 2.1f});
  auto add = run_op("ScatterElements", {data, dup, updates},
                    attrs({{"axis", std::int64_t{1}}, {"reduction", std::string("add")}}), 16);
  EXPECT_FLOAT_EQ(values_of<float>(add[0])[1], 2 + 1.1f + 2.1f);
  auto mul = run_op("ScatterElements", {data, dup, updates},
                    attrs({{"axis", std::int64_t{1}}, {"reduction", std::string("mul")}}), 16);
  EXPECT_FLOAT_EQ(values_of<float>(mul[0])[1], 2 * 1.1f * 2.1f);
  auto negative = run_op("ScatterElements", {data, tensor<std::int64_t>({1, 2}, {1, -3}), updates},
                         attrs({{"axis", std::int64_t{1}}}));
  EXPECT_EQ(values_of<float>(negative[0]), (F{1, 1.1f, 2.1f, 4, 5}));
}

// --- Transpose / Expand / Tile --------------------------------------------------

TEST(Transpose, DefaultReversesAndWorksForEveryDtype) {
  EXPECT_EQ(values_of<float>(run_op("Transpose", {iota_f({2, 3})})[0]), (F{0, 3, 1, 4, 2, 5}));
  const auto h = run_op("Transpose", {tensor<Half>({1, 2}, {Half(1.5f), Half(-2.f)})}, attrs({{"perm", I{1, 0}}}));
  EXPECT_EQ(h[0].shape(), (Shape{2, 1}));
  EXPECT_EQ(static_cast<float>(h[0].values<Half>()[1]), -2.f);
  const auto b = run_op("Transpose", {tensor<bool>({2, 2}, {true, false, false, false})}, attrs({{"perm", I{1, 0}}}));
  EXPECT_EQ(values_of<bool>(b[0]), (std::vector<bool>{true, false, false, false}));
  const auto r = infer_op("Transpose", {InferInput(DType::kInt8, ir::DimList{ir::Dim::symbolic("N"), 3, 4})},
                          attrs({{"perm", I{2, 0, 1}}}));
  EXPECT_EQ(r[0].text(), "[4, N, 3]");
  EXPECT_EQ(r[0].dtype, DType::kInt8);
}

TEST(Expand, BroadcastsBothWays) {
  const HostTensor x = tensor<float>({3, 1}, {1, 2, 3});
  const auto up = run_op("Expand", {x, ints({2, 1, 2})});
  EXPECT_EQ(up[0].shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(values_of<float>(up[0]), (F{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}));
  // A 1 (or a shorter shape) in `shape` keeps the input's larger dim.
  EXPECT_EQ(run_op("Expand", {x, ints({1})})[0].shape(), (Shape{3, 1}));
  EXPECT_EQ(run_op("Expand", {x, ints({1, 4})})[0].shape(), (Shape{3, 4}));
  EXPECT_THROW(run_op("Expand", {x, ints({2, 1})}), ModelError);
  const auto r = infer_op("Expand", {InferInput(DType::kFloat32, ir::DimList{ir::Dim::symbolic("N"), 1}), ints({1, 5})});
  EXPECT_EQ(r[0].text(), "[N, 5]");
}

TEST(Tile, RepeatsEachDim) {
  const auto out = run_op("Tile", {tensor<std::int32_t>({2, 2}, {1, 2, 3, 4}), ints({1, 2})});
  EXPECT_EQ(out[0].shape(), (Shape{2, 4}));
  EXPECT_EQ(values_of<std::int32_t>(out[0]), (std::vector<std::int32_t>{1, 2, 1, 2, 3, 4, 3, 4}));
  EXPECT_THROW(run_op("Tile", {iota_f({2}), ints({1, 2})}), ModelError);
}

// --- every dtype, malformed ranks ---------------------------------------------------

HostTensor byte_pattern(Shape shape, DType dtype, int seed) {
  HostTensor t(std::move(shape), dtype);
  auto* bytes = static_cast<unsigned char*>(t.data());
  for (std::size_t i = 0; i < t.byte_size(); ++i) {
    bytes[i] = static_cast<unsigned char>(dtype == DType::kBool ? (i + static_cast<std::size_t>(seed)) % 2
                                                                : i * 7 + static_cast<std::size_t>(seed));
  }
  return t;
}

TEST(DataMovement, ConcatAndGatherCopyEveryDtypeBytewise) {
  for (const DType dtype : {DType::kUInt8, DType::kInt8, DType::kInt32, DType::kInt64, DType::kFloat16,
                            DType::kBFloat16, DType::kFloat32, DType::kFloat64, DType::kBool}) {
    SCOPED_TRACE(std::string(dtype_name(dtype)));
    const HostTensor a = byte_pattern({2}, dtype, 1);
    const HostTensor b = byte_pattern({1}, dtype, 3);
    const HostTensor joined = run_op("Concat", {a, b}, attrs({{"axis", std::int64_t{0}}}))[0];
    const std::size_t size = dtype_size(dtype);
    ASSERT_EQ(joined.byte_size(), 3 * size);
    EXPECT_EQ(std::memcmp(joined.data(), a.data(), 2 * size), 0);
    EXPECT_EQ(std::memcmp(static_cast<const char*>(joined.data()) + 2 * size, b.data(), size), 0);
    const HostTensor picked = run_op("Gather", {a, ints({1})})[0];
    EXPECT_EQ(std::memcmp(picked.data(), static_cast<const char*>(a.data()) + size, size), 0);
  }
}

TEST(DataMovement, AxisOpsRefuseScalars) {
  const HostTensor scalar = tensor<float>({}, {1});
  EXPECT_THROW(run_op("Concat", {scalar, scalar}, attrs({{"axis", std::int64_t{0}}})), ModelError);
  EXPECT_THROW(run_op("Gather", {scalar, ints({0})}), ModelError);
  EXPECT_THROW(run_op("Split", {scalar}, {}, 13, 1), ModelError);
  EXPECT_THROW(run_op("GatherElements", {scalar, tensor<std::int64_t>({}, {0})}), ModelError);
}

}  // namespace
}  // namespace trtutils::ops
