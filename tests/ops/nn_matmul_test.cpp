// MatMul (numpy semantics) and Gemm.
#include "nn_harness.hpp"

namespace trtutils::ops {
namespace {
using namespace nn_testing;

TEST(MatMul, VectorTimesVectorIsAScalar) {
  auto y = run({"MatMul", {floats({3}, {1, 2, 3}), floats({3}, {4, 5, 6})}});
  expect_values(y[0], {}, {32});
}

TEST(MatMul, OneDimensionalOperandsDropTheirDim) {
  const HostTensor m = floats({2, 3}, {1, 2, 3, 4, 5, 6});
  expect_values(run({"MatMul", {floats({2}, {1, 1}), m}})[0], {3}, {5, 7, 9});
  expect_values(run({"MatMul", {m, floats({3}, {1, 0, 1})}})[0], {2}, {4, 10});
}

TEST(MatMul, BatchDimsBroadcast) {
  // A [2, 1, 1, 2] (two scalars' rows), B [3, 2, 1]: result [2, 3, 1, 1].
  auto y =
      run({"MatMul", {floats({2, 1, 1, 2}, {1, 2, 3, 4}), floats({3, 2, 1}, {1, 0, 0, 1, 1, 1})}});
  expect_values(y[0], {2, 3, 1, 1}, {1, 2, 3, 3, 4, 7});
}

TEST(MatMul, IntegersAreExact) {
  const std::int64_t big = std::int64_t{1} << 55;
  auto y = run(
      {"MatMul", {tensor<std::int64_t>({1, 2}, {big, 1}), tensor<std::int64_t>({2, 1}, {1, 3})}});
  EXPECT_EQ(y[0].dtype(), DType::kInt64);
  EXPECT_EQ(y[0].values<std::int64_t>()[0], big + 3);
  auto z = run({"MatMul", {tensor<std::int32_t>({2}, {-3, 4}), tensor<std::int32_t>({2}, {5, 6})}});
  EXPECT_EQ(z[0].values<std::int32_t>()[0], 9);
}

TEST(MatMul, ShapeRule) {
  EXPECT_EQ(infer("MatMul", {ir::DimList{sym("N"), 4, 8}, ir::DimList{8, 16}})[0], "[N, 4, 16]");
  EXPECT_EQ(infer("MatMul", {ir::DimList{8}, ir::DimList{sym("B"), 8, 16}})[0], "[B, 16]");
  EXPECT_EQ(infer("MatMul", {ir::DimList{2, 1, 4, 8}, ir::DimList{3, 8, 5}})[0], "[2, 3, 4, 5]");
  EXPECT_THROW(infer("MatMul", {ir::DimList{4, 8}, ir::DimList{7, 16}}), ModelError);
}

const HostTensor kA = floats({2, 3}, {1, 2, 3, 4, 5, 6});
const HostTensor kAT = floats({3, 2}, {1, 4, 2, 5, 3, 6});
const HostTensor kB = floats({3, 2}, {1, 0, 0, 1, 1, 1});
const HostTensor kBT = floats({2, 3}, {1, 0, 1, 0, 1, 1});

TEST(Gemm, AlphaBetaAndVectorBias) {
  // A * B = [[4, 5], [10, 11]]
  auto y =
      run({"Gemm", {kA, kB, floats({2}, {1, 2})}, attrs({{"alpha", 2.0f}, {"beta", 0.5f}}), 13});
  expect_values(y[0], {2, 2}, {8.5, 11, 20.5, 23});
}

TEST(Gemm, TransposedOperands) {
  auto y = run(
      {"Gemm", {kAT, kBT}, attrs({{"transA", std::int64_t{1}}, {"transB", std::int64_t{1}}}), 13});
  expect_values(y[0], {2, 2}, {4, 5, 10, 11});
}

TEST(Gemm, BiasBroadcastsAsColumnOrScalar) {
  expect_values(run({"Gemm", {kA, kB, floats({2, 1}, {10, 20})}, {}, 13})[0], {2, 2},
                {14, 15, 30, 31});
  expect_values(run({"Gemm", {kA, kB, floats({}, {1})}, {}, 13})[0], {2, 2}, {5, 6, 11, 12});
  EXPECT_THROW(run({"Gemm", {kA, kB, floats({3}, {1, 2, 3})}, {}, 13}), ModelError);
}

TEST(Gemm, ShapeRule) {
  EXPECT_EQ(infer("Gemm", {ir::DimList{sym("N"), 512}, ir::DimList{1000, 512}},
                  attrs({{"transB", std::int64_t{1}}}), 13)[0],
            "[N, 1000]");
}

}  // namespace
}  // namespace trtutils::ops
