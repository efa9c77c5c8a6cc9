#include "op_keying.hpp"

#include <gtest/gtest.h>

namespace trtutils::conformance {
namespace {

const std::set<std::string> kCandidates = {"Cast",       "CastLike",  "Softmax",
                                           "LogSoftmax", "ReduceSum", "ReduceSumSquare",
                                           "Range",      "GatherND",  "LayerNormalization",
                                           "Loop",       "Sub",       "Mul",
                                           "Dropout"};

TEST(SnakeCase, SplitsWordsAndAcronyms) {
  EXPECT_EQ(snake_case("ReduceSumSquare"), "reduce_sum_square");
  EXPECT_EQ(snake_case("GatherND"), "gather_nd");
  EXPECT_EQ(snake_case("NMSBox"), "nms_box");
  EXPECT_EQ(snake_case("Relu"), "relu");
  EXPECT_EQ(snake_case("Conv3D"), "conv3_d");
}

TEST(KeyTest, SingleOpTypeModelIsKeyedToIt) {
  EXPECT_EQ(key_test("test_training_dropout_mask", {"Dropout"}, kCandidates), "Dropout");
  EXPECT_EQ(key_test("test_anything", {"Mul"}, kCandidates), "Mul");
}

TEST(KeyTest, MultiOpModelIsKeyedByTheLongestNameMatch) {
  EXPECT_EQ(key_test("test_reduce_sum_square_default_axes_keepdims_example_expanded",
                     {"Mul", "ReduceSum"}, kCandidates),
            "ReduceSumSquare");
  EXPECT_EQ(key_test("test_reduce_sum_keepdims_example", {"ReduceSum", "Sub"}, kCandidates),
            "ReduceSum");
  EXPECT_EQ(key_test("test_logsoftmax_axis_0_expanded", {"Sub", "Mul"}, kCandidates), "LogSoftmax");
  EXPECT_EQ(key_test("test_layer_normalization_2d_axis0_expanded", {"Sub", "Mul"}, kCandidates),
            "LayerNormalization");
}

TEST(KeyTest, ExpansionTestsAreKeyedByNameEvenWithOneOpType) {
  EXPECT_EQ(key_test("test_castlike_FLOAT_to_FLOAT16_expanded", {"Cast"}, kCandidates), "CastLike");
  EXPECT_EQ(key_test("test_range_float_type_positive_delta_expanded", {"Loop", "Sub"}, kCandidates),
            "Range");
}

TEST(KeyTest, MatchesWholeWordsOnly) {
  // "cast" is a prefix of "castlike" but not a word of it.
  EXPECT_EQ(key_test("test_castlike_x", {"Cast", "Sub"}, {"Cast"}), kUnkeyed);
  EXPECT_EQ(key_test("test_sce_mean_expanded", {"Sub", "Mul"}, kCandidates),
            "SoftmaxCrossEntropyLoss");
  EXPECT_EQ(key_test("test_something_else", {"Sub", "Mul"}, kCandidates), kUnkeyed);
}

}  // namespace
}  // namespace trtutils::conformance
