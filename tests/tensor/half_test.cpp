#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "trtutils/tensor/half.hpp"

namespace trtutils {
namespace {

TEST(Half, ExactValuesRoundTrip) {
  // Values that binary16 represents exactly survive the round trip bit for bit.
  for (float v : {0.0f, 1.0f, -2.0f, 0.5f, 65504.0f, -65504.0f, 6.103515625e-05f /*min normal*/,
                  5.960464477539063e-08f /*min subnormal*/}) {
    EXPECT_EQ(static_cast<float>(Half(v)), v) << v;
  }
}

TEST(Half, KnownBitPatterns) {
  EXPECT_EQ(Half(1.0f).bits, 0x3c00);
  EXPECT_EQ(Half(-2.0f).bits, 0xc000);
  EXPECT_EQ(Half(65504.0f).bits, 0x7bff);
  EXPECT_EQ(Half(5.960464477539063e-08f).bits, 0x0001);
  EXPECT_EQ(Half(0.333251953125f).bits, 0x3555);
}

TEST(Half, RoundsToNearestEven) {
  // 1 + 2^-11 is exactly half-way between 1 and 1 + 2^-10: ties go to even (1).
  EXPECT_EQ(Half(1.0f + std::ldexp(1.0f, -11)).bits, 0x3c00);
  // 1 + 3*2^-11 is half-way between 1+2^-10 (odd) and 1+2^-9 (even).
  EXPECT_EQ(Half(1.0f + 3 * std::ldexp(1.0f, -11)).bits, 0x3c02);
}

TEST(Half, OverflowAndSpecials) {
  EXPECT_EQ(Half(65520.0f).bits, 0x7c00);  // rounds past the largest finite
  EXPECT_EQ(Half(1e10f).bits, 0x7c00);
  EXPECT_EQ(Half(-std::numeric_limits<float>::infinity()).bits, 0xfc00);
  EXPECT_TRUE(std::isnan(static_cast<float>(Half(std::nanf("")))));
  EXPECT_EQ(Half(1e-10f).bits, 0x0000);
}

TEST(Half, EveryHalfRoundTripsThroughFloat) {
  for (std::uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const Half h = Half::from_bits(static_cast<std::uint16_t>(bits));
    const float f = static_cast<float>(h);
    if (std::isnan(f)) continue;
    ASSERT_EQ(Half(f).bits, bits) << std::hex << bits;
  }
}

TEST(BFloat16, TruncatesWithRoundToNearestEven) {
  EXPECT_EQ(BFloat16(1.0f).bits, 0x3f80);
  EXPECT_EQ(static_cast<float>(BFloat16(3.140625f)), 3.140625f);
  // 1 + 2^-8 is half-way between 1 and 1 + 2^-7: ties to even (1).
  EXPECT_EQ(BFloat16(1.0f + std::ldexp(1.0f, -8)).bits, 0x3f80);
  EXPECT_EQ(BFloat16(1.0f + 3 * std::ldexp(1.0f, -8)).bits, 0x3f82);
  EXPECT_TRUE(std::isnan(static_cast<float>(BFloat16(std::nanf("")))));
}

TEST(BFloat16, EveryValueRoundTripsThroughFloat) {
  for (std::uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const float f = static_cast<float>(BFloat16::from_bits(static_cast<std::uint16_t>(bits)));
    if (std::isnan(f)) continue;
    ASSERT_EQ(BFloat16(f).bits, bits) << std::hex << bits;
  }
}

}  // namespace
}  // namespace trtutils
