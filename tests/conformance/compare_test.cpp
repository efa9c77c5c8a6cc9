#include "compare.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace trtutils::conformance {
namespace {

HostTensor f32(std::vector<float> v) {
  return HostTensor::from_values<float>({static_cast<std::int64_t>(v.size())}, v);
}

TEST(Compare, FloatsUseOnnxBackendTolerance) {
  // |a - e| <= 1e-7 + 1e-3 * |e|
  EXPECT_FALSE(compare(f32({1000.9f}), f32({1000.0f})).has_value());
  EXPECT_TRUE(compare(f32({1001.1f}), f32({1000.0f})).has_value());
  EXPECT_FALSE(compare(f32({0.0f}), f32({5e-8f})).has_value());
  EXPECT_TRUE(compare(f32({0.0f}), f32({1e-6f})).has_value());
}

TEST(Compare, NanMatchesNanAndInfinitiesMustBeEqual) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(compare(f32({nan, inf, -inf}), f32({nan, inf, -inf})).has_value());
  EXPECT_TRUE(compare(f32({1.0f}), f32({nan})).has_value());
  EXPECT_TRUE(compare(f32({nan}), f32({1.0f})).has_value());
  EXPECT_TRUE(compare(f32({inf}), f32({-inf})).has_value());
  EXPECT_TRUE(compare(f32({3e38f}), f32({inf})).has_value());
}

TEST(Compare, DTypeAndShapeMustMatch) {
  const auto dtype = compare(HostTensor::from_values<double>({1}, {1.0}), f32({1.0f}));
  ASSERT_TRUE(dtype.has_value());
  EXPECT_NE(dtype->find("dtype f64, expected f32"), std::string::npos) << *dtype;
  const auto shape = compare(f32({1, 2}), HostTensor::from_values<float>({2, 1}, {1, 2}));
  ASSERT_TRUE(shape.has_value());
  EXPECT_NE(shape->find("shape [2], expected [2, 1]"), std::string::npos) << *shape;
}

TEST(Compare, IntegersAreExactEvenBeyondDoublePrecision) {
  const std::int64_t big = (std::int64_t{1} << 60) + 1;
  const auto a = HostTensor::from_values<std::int64_t>({1}, {big});
  const auto b = HostTensor::from_values<std::int64_t>({1}, {big - 1});
  EXPECT_TRUE(compare(a, b).has_value());
  EXPECT_FALSE(compare(a, a).has_value());
  const auto x = HostTensor::from_values<bool>({2}, {true, false});
  const auto y = HostTensor::from_values<bool>({2}, {true, true});
  EXPECT_TRUE(compare(x, y).has_value());
}

TEST(Compare, HalfUsesLooserTolerance) {
  const auto a = HostTensor::from_values<Half>({1}, {Half(1.0f)});
  const auto b = HostTensor::from_values<Half>({1}, {Half(1.0009765625f)});  // one f16 ulp
  EXPECT_FALSE(compare(a, b).has_value());
  const auto c = HostTensor::from_values<Half>({1}, {Half(1.00390625f)});  // four ulps
  EXPECT_TRUE(compare(a, c).has_value());
}

TEST(Compare, MessageLocatesTheFirstDifference) {
  const auto actual = HostTensor::from_values<float>({2, 2}, {1, 2, 3, 4});
  const auto expected = HostTensor::from_values<float>({2, 2}, {1, 2, 30, 40});
  const auto message = compare(actual, expected);
  ASSERT_TRUE(message.has_value());
  EXPECT_NE(message->find("2 of 4 values differ"), std::string::npos) << *message;
  EXPECT_NE(message->find("first at [1, 0]: got 3, expected 30"), std::string::npos) << *message;
}

}  // namespace
}  // namespace trtutils::conformance
