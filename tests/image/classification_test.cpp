// Softmax and top-k against hand-computed values.
#include "trtutils/image/classification.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "trtutils/core/error.hpp"

namespace {

using namespace trtutils::image;

TEST(Softmax, EqualLogitsAreUniformAndLargeLogitsDoNotOverflow) {
  const std::vector<float> equal = {3.0f, 3.0f, 3.0f, 3.0f};
  for (const float p : softmax(equal)) EXPECT_FLOAT_EQ(p, 0.25f);
  const std::vector<float> large = {1000.0f, 1000.0f + std::log(3.0f)};
  const auto p = softmax(large);
  // 1000 + ln 3 is stored to within 2^-15 (float spacing near 1000 is 2^-14),
  // which moves the probabilities by up to about 1e-5.
  EXPECT_NEAR(p[0], 0.25f, 2e-5f);
  EXPECT_NEAR(p[1], 0.75f, 2e-5f);
}

TEST(Classify, TopKIsByProbabilityWithTiesToTheLowerClass) {
  // Two images of 4 classes; image 0 logits ln(1), ln(4), ln(4), ln(1) -> .1 .4 .4 .1
  const std::vector<float> logits = {0.0f, std::log(4.0f), std::log(4.0f), 0.0f,  //
                                     5.0f, 1.0f,           9.0f,           2.0f};
  const auto out = classify(logits, 2, 4, 3);
  ASSERT_EQ(out[0].size(), 3u);
  EXPECT_EQ(out[0][0].class_id, 1);
  EXPECT_EQ(out[0][1].class_id, 2);
  EXPECT_EQ(out[0][2].class_id, 0);
  EXPECT_NEAR(out[0][0].probability, 0.4f, 1e-6f);
  EXPECT_NEAR(out[0][2].probability, 0.1f, 1e-6f);
  EXPECT_EQ(out[1][0].class_id, 2);
  EXPECT_EQ(out[1][1].class_id, 0);
  EXPECT_EQ(out[1][2].class_id, 3);
}

TEST(Classify, ProbabilitiesPassThroughWithoutSoftmaxAndKIsCapped) {
  const std::vector<float> probs = {0.2f, 0.7f, 0.1f};
  const auto out = classify(probs, 1, 3, 10, false);
  ASSERT_EQ(out[0].size(), 3u);
  EXPECT_EQ(out[0][0], (Classification{1, 0.7f}));
  EXPECT_EQ(out[0][2], (Classification{2, 0.1f}));
}

TEST(Classify, RefusesAMismatchedShape) {
  const std::vector<float> v(5, 0.0f);
  EXPECT_THROW(classify(v, 2, 3, 1), trtutils::InvalidArgument);
}

}  // namespace
