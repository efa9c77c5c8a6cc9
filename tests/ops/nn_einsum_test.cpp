// Einsum: explicit and implicit outputs, diagonals, ellipsis broadcasting.
#include "nn_harness.hpp"

namespace trtutils::ops {
namespace {
using namespace nn_testing;

HostTensor einsum(const std::string& equation, std::vector<HostTensor> inputs) {
  return run({"Einsum", std::move(inputs), attrs({{"equation", equation}}), 12})[0];
}

const HostTensor kM = floats({2, 3}, {1, 2, 3, 4, 5, 6});
const HostTensor kSquare = floats({2, 2}, {1, 2, 3, 4});

TEST(Einsum, Transpose) { expect_values(einsum("ij->ji", {kM}), {3, 2}, {1, 4, 2, 5, 3, 6}); }

TEST(Einsum, ImplicitOutputIsAlphabetical) {
  // "ba" means output "ab": a transpose.
  expect_values(einsum("ba", {kM}), {3, 2}, {1, 4, 2, 5, 3, 6});
  expect_values(einsum("ij", {kM}), {2, 3}, {1, 2, 3, 4, 5, 6});
}

TEST(Einsum, RowSumsAndInnerProduct) {
  expect_values(einsum("ij->i", {kM}), {2}, {6, 15});
  expect_values(einsum("i,i", {floats({3}, {1, 2, 3}), floats({3}, {4, 5, 6})}), {}, {32});
}

TEST(Einsum, RepeatedLabelTakesTheDiagonal) {
  expect_values(einsum("ii->i", {kSquare}), {2}, {1, 4});
  expect_values(einsum("ii", {kSquare}), {}, {5});  // implicit: trace
}

TEST(Einsum, BatchDiagonalWithEllipsis) {
  auto x = iota({2, 2, 2});
  expect_values(einsum("...ii ->...i", {x}), {2, 2}, {0, 3, 4, 7});
}

TEST(Einsum, BatchMatMulWithSpaces) {
  auto y =
      einsum("bij, bjk -> bik", {floats({2, 1, 2}, {1, 2, 3, 4}), floats({2, 2, 1}, {1, 1, 1, 2})});
  expect_values(y, {2, 1, 1}, {3, 11});
}

TEST(Einsum, EllipsisBroadcastsAcrossOperands) {
  expect_values(einsum("...i,...i->...", {kM, floats({3}, {1, 0, 1})}), {2}, {4, 10});
}

TEST(Einsum, IntegersStayIntegers) {
  auto y =
      einsum("ij,jk", {tensor<std::int32_t>({1, 2}, {2, 3}), tensor<std::int32_t>({2, 1}, {4, 5})});
  EXPECT_EQ(y.dtype(), DType::kInt32);
  EXPECT_EQ(y.values<std::int32_t>()[0], 23);
}

TEST(Einsum, ShapeRule) {
  EXPECT_EQ(infer("Einsum", {ir::DimList{sym("B"), 4, 8}, ir::DimList{sym("B"), 8, 5}},
                  attrs({{"equation", std::string("bij,bjk->bik")}}), 12)[0],
            "[B, 4, 5]");
  EXPECT_EQ(
      infer("Einsum", {ir::DimList{7, 3, 3}}, attrs({{"equation", std::string("...ii")}}), 12)[0],
      "[7]");
  EXPECT_THROW(
      infer("Einsum", {ir::DimList{2, 3}}, attrs({{"equation", std::string("ij->k")}}), 12),
      ModelError);
}

}  // namespace
}  // namespace trtutils::ops
