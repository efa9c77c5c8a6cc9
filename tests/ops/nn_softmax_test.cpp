// Softmax and LogSoftmax: the axis semantics changed in opset 13.
#include "nn_harness.hpp"

namespace trtutils::ops {
namespace {
using namespace nn_testing;

// x[0, 0, :] = [0, 0], x[0, 1, :] = [ln 3, 0]
HostTensor sample() { return floats({1, 2, 2}, {0, 0, static_cast<float>(std::log(3.0)), 0}); }

TEST(Softmax, BeforeOpset13TheInputIsCoercedTo2D) {
  // axis 1 -> rows of 4 elements: exp = 1, 1, 3, 1.
  auto y = run({"Softmax", {sample()}, attrs({{"axis", std::int64_t{1}}}), 11});
  expect_values(y[0], {1, 2, 2}, {1.0 / 6, 1.0 / 6, 0.5, 1.0 / 6});
  // The default axis was 1.
  expect_values(run({"Softmax", {sample()}, {}, 11})[0], {1, 2, 2},
                {1.0 / 6, 1.0 / 6, 0.5, 1.0 / 6});
}

TEST(Softmax, FromOpset13AlongOneAxis) {
  auto y = run({"Softmax", {sample()}, attrs({{"axis", std::int64_t{1}}}), 13});
  expect_values(y[0], {1, 2, 2}, {0.25, 0.5, 0.75, 0.5});
  // The default axis is -1.
  expect_values(run({"Softmax", {sample()}, {}, 13})[0], {1, 2, 2}, {0.5, 0.5, 0.75, 0.25});
}

TEST(Softmax, LargeNumbersDoNotOverflow) {
  auto y = run({"Softmax", {floats({2}, {10000, 10000})}, {}, 13});
  expect_values(y[0], {2}, {0.5, 0.5});
}

TEST(LogSoftmax, IsTheLogOfSoftmax) {
  auto y = run({"LogSoftmax", {sample()}, attrs({{"axis", std::int64_t{1}}}), 13});
  expect_values(y[0], {1, 2, 2}, {std::log(0.25), std::log(0.5), std::log(0.75), std::log(0.5)});
  auto old = run({"LogSoftmax", {sample()}, {}, 11});
  expect_values(old[0], {1, 2, 2},
                {std::log(1.0 / 6), std::log(1.0 / 6), std::log(0.5), std::log(1.0 / 6)});
}

TEST(Softmax, AxisOutOfRangeIsAModelError) {
  EXPECT_THROW(infer("Softmax", {ir::DimList{2, 3}}, attrs({{"axis", std::int64_t{2}}}), 13),
               ModelError);
}

}  // namespace
}  // namespace trtutils::ops
