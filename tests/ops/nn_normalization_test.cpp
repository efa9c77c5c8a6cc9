// BatchNormalization, InstanceNormalization, LayerNormalization.
#include "nn_harness.hpp"

namespace trtutils::ops {
namespace {
using namespace nn_testing;

TEST(BatchNormalization, InferenceUsesTheGivenStatistics) {
  auto y = run({"BatchNormalization",
                {floats({1, 2, 1, 2}, {1, 3, 2, 6}), floats({2}, {1, 2}), floats({2}, {0, 1}),
                 floats({2}, {2, 4}), floats({2}, {1, 4})},
                attrs({{"epsilon", 0.0f}}),
                15});
  expect_values(y[0], {1, 2, 1, 2}, {-1, 1, -1, 3});
}

TEST(BatchNormalization, TrainingModeNormalisesWithBatchStatsAndBlendsRunningOnes) {
  // Batch mean 2, population variance 1; momentum 0.9.
  auto y = run({"BatchNormalization",
                {floats({2, 1}, {1, 3}), floats({1}, {1}), floats({1}, {0}), floats({1}, {0}),
                 floats({1}, {3})},
                attrs({{"epsilon", 0.0f}, {"training_mode", std::int64_t{1}}}),
                15,
                3});
  expect_values(y[0], {2, 1}, {-1, 1});
  expect_values(y[1], {1}, {0.2});
  expect_values(y[2], {1}, {2.8});
}

TEST(BatchNormalization, OldTrainingOutputsAreUnsupported) {
  EXPECT_THROW(run({"BatchNormalization",
                    {floats({2, 1}, {1, 3}), floats({1}, {1}), floats({1}, {0}), floats({1}, {0}),
                     floats({1}, {3})},
                    {},
                    9,
                    5}),
               UnsupportedError);
}

TEST(InstanceNormalization, PerSampleAndChannel) {
  auto y = run({"InstanceNormalization",
                {floats({1, 2, 2}, {1, 3, 0, 4}), floats({2}, {1, 2}), floats({2}, {0, 5})},
                attrs({{"epsilon", 0.0f}})});
  expect_values(y[0], {1, 2, 2}, {-1, 1, 3, 7});
}

TEST(LayerNormalization, LastAxisWithStatistics) {
  auto y = run({"LayerNormalization",
                {floats({2, 2}, {1, 3, 2, 6}), floats({2}, {1, 2}), floats({2}, {0, 1})},
                attrs({{"epsilon", 0.0f}}),
                17,
                3});
  expect_values(y[0], {2, 2}, {-1, 3, -1, 3});
  expect_values(y[1], {2, 1}, {2, 4});
  expect_values(y[2], {2, 1}, {1, 0.5});
}

TEST(LayerNormalization, AxisZeroNormalisesEverythingAndBiasIsOptional) {
  // mean 2.5, variance 1.25
  auto y = run({"LayerNormalization",
                {floats({2, 2}, {1, 2, 3, 4}), floats({2, 2}, {1, 1, 1, 1})},
                attrs({{"epsilon", 0.0f}, {"axis", std::int64_t{0}}})});
  const double s = std::sqrt(1.25);
  expect_values(y[0], {2, 2}, {-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s});
}

TEST(LayerNormalization, ShapeRule) {
  const ir::DimList x = {sym("B"), sym("T"), 64};
  EXPECT_EQ(
      infer("LayerNormalization", {x, ir::DimList{64}}, attrs({{"axis", std::int64_t{-1}}}), 17, 3),
      (std::vector<std::string>{"[B, T, 64]", "[B, T, 1]", "[B, T, 1]"}));
  EXPECT_EQ(infer("LayerNormalization", {x, ir::DimList{64}}, attrs({{"axis", std::int64_t{1}}}),
                  17, 2)[1],
            "[B, 1, 1]");
}

}  // namespace
}  // namespace trtutils::ops
