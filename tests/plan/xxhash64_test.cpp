#include "plan/xxhash64.hpp"

#include <gtest/gtest.h>

#include <string_view>

namespace trtutils::plan {
namespace {

std::uint64_t hash(std::string_view text, std::uint64_t seed = 0) {
  return xxhash64(std::as_bytes(std::span(text)), seed);
}

// Reference values published with xxHash and python-xxhash.
TEST(XxHash64, MatchesPublishedVectorsForShortInputs) {
  EXPECT_EQ(hash(""), 0xEF46DB3751D8E999ull);
  EXPECT_EQ(hash("a"), 0xD24EC4F1A98C6E5Bull);
  EXPECT_EQ(hash("abc"), 0x44BC2CF5AD770999ull);
  EXPECT_EQ(hash("xxhash"), 0x32DD38952C4BC720ull);
}

TEST(XxHash64, MatchesPublishedVectorsForInputsOfAtLeast32Bytes) {
  EXPECT_EQ(hash("Nobody inspects the spammish repetition"), 0xFBCEA83C8A378BF1ull);
  EXPECT_EQ(hash("The quick brown fox jumps over the lazy dog"), 0x0B242D361FDA71BCull);
}

TEST(XxHash64, UsesTheSeed) { EXPECT_EQ(hash("xxhash", 20141025), 0xB559B98D844E0635ull); }

}  // namespace
}  // namespace trtutils::plan
