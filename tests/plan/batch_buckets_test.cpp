// Dynamic-batch plans: bucket selection, merging per-batch plans with shared
// weights, the BTCH section round trip and validation of the bucket layout.
#include "trtutils/plan/batch_buckets.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "error_text.hpp"
#include "sample_plans.hpp"
#include "trtutils/core/error.hpp"
#include "trtutils/plan/plan_reader.hpp"
#include "trtutils/plan/plan_validation.hpp"
#include "trtutils/plan/plan_writer.hpp"

namespace trtutils::plan {
namespace {

template <typename T>
std::span<const std::byte> bytes_of(const std::vector<T>& values) {
  return std::as_bytes(std::span(values));
}

using testing::tensor;

/// What the builder makes for one batch size b: y[b, 4] = x[b, 4] + w[4],
/// plus a constant that depends on b (a shape tensor {b, 4}) and one input
/// without a batch axis.
Plan one_batch_plan(std::int64_t b) {
  Plan plan;
  plan.header.target_arch = "sm_90";
  plan.io = {{"x", DType::kFloat32, {b, 4}, std::nullopt, true},
             {"scale", DType::kFloat32, {1}, std::nullopt, true},
             {"y", DType::kFloat32, {b, 4}, std::nullopt, false}};
  PlanWeightsBuilder weights;
  plan.tensors = {tensor(0, "x", DType::kFloat32, {b, 4}, TensorKind::kInput),
                  tensor(1, "scale", DType::kFloat32, {1}, TensorKind::kInput),
                  tensor(2, "w", DType::kFloat32, {4}, TensorKind::kConstant),
                  tensor(3, "shape", DType::kInt64, {2}, TensorKind::kConstant),
                  tensor(4, "y", DType::kFloat32, {b, 4}, TensorKind::kOutput)};
  plan.tensors[2].weights = weights.append(bytes_of(std::vector<float>{1, 2, 3, 4}));
  plan.tensors[3].weights = weights.append(bytes_of(std::vector<std::int64_t>{b, 4}));
  plan.weights = weights.finish();
  plan.arena_bytes = static_cast<std::uint64_t>(b) * 64;
  plan.workspace_bytes = static_cast<std::uint64_t>(b);
  LayerDesc add{"add", "ref.Add", {0, 2, 3}, {4}, {}, Precision::kFloat32};
  add.params.set("batch", b);
  plan.layers = {add};
  return plan;
}

Plan dynamic_plan(std::vector<std::int64_t> batches, BatchRange range) {
  std::map<std::int64_t, Plan> plans;
  for (const std::int64_t b : batches) plans.emplace(b, one_batch_plan(b));
  return merge_batch_buckets(std::move(plans), range);
}

using test::expect_contains;
using test::message_of;

TEST(SelectBucket, PicksTheEqualBucketElseTheSmallestLargerOne) {
  const std::vector<std::int64_t> buckets{1, 2, 4, 8, 16};
  struct Case {
    std::int64_t batch;
    std::size_t bucket;
  };
  const Case cases[] = {{1, 0}, {2, 1}, {3, 2}, {4, 2},  {5, 3},
                        {7, 3}, {8, 3}, {9, 4}, {13, 4}, {16, 4}};
  for (const Case& c : cases) {
    EXPECT_EQ(select_bucket(buckets, c.batch), c.bucket) << "batch " << c.batch;
  }
}

TEST(SelectBucket, BucketsNeedNotStartAtOne) {
  const std::vector<std::int64_t> buckets{6, 10};
  EXPECT_EQ(select_bucket(buckets, 1), 0u);
  EXPECT_EQ(select_bucket(buckets, 6), 0u);
  EXPECT_EQ(select_bucket(buckets, 7), 1u);
}

TEST(SelectBucket, RefusesZeroAndBatchesAboveTheLargestBucket) {
  const std::vector<std::int64_t> buckets{1, 4};
  expect_contains(message_of<InvalidArgument>([&] { (void)select_bucket(buckets, 0); }),
                  "batch 0 is outside");
  expect_contains(message_of<InvalidArgument>([&] { (void)select_bucket(buckets, 5); }),
                  "batch 5 is outside the buckets' range 1..4");
  EXPECT_THROW((void)select_bucket(std::vector<std::int64_t>{}, 1), InvalidArgument);
}

TEST(MergeBatchBuckets, OptIsThePlanItselfAndTheOthersAreBucketsInOrder) {
  const Plan plan = dynamic_plan({1, 4, 16}, {1, 4, 16});
  ASSERT_TRUE(plan.batch_range.has_value());
  EXPECT_EQ(*plan.batch_range, (BatchRange{1, 4, 16}));
  EXPECT_EQ(plan.tensors[0].dims, (std::vector<std::int64_t>{4, 4}));
  EXPECT_EQ(plan.arena_bytes, 4u * 64);
  ASSERT_EQ(plan.batch_buckets.size(), 2u);
  EXPECT_EQ(plan.batch_buckets[0].batch, 1);
  EXPECT_EQ(plan.batch_buckets[1].batch, 16);
  EXPECT_EQ(plan.batch_buckets[1].arena_bytes, 16u * 64);
  EXPECT_EQ(plan.batch_buckets[1].layers[0].params.get_int("batch"), 16);
  EXPECT_EQ(bucket_batches(plan), (std::vector<std::int64_t>{1, 4, 16}));
  EXPECT_NO_THROW(validate_plan(plan));
}

TEST(MergeBatchBuckets, BatchedInputsAndOutputsGetADynamicAxisAndTheRangeAsProfile) {
  const Plan plan = dynamic_plan({2, 3, 8}, {2, 3, 8});
  ASSERT_EQ(plan.io.size(), 3u);
  EXPECT_EQ(plan.io[0].dims, (std::vector<std::int64_t>{kDynamicDim, 4}));
  ASSERT_TRUE(plan.io[0].profile.has_value());
  EXPECT_EQ(plan.io[0].profile->min, (std::vector<std::int64_t>{2, 4}));
  EXPECT_EQ(plan.io[0].profile->opt, (std::vector<std::int64_t>{3, 4}));
  EXPECT_EQ(plan.io[0].profile->max, (std::vector<std::int64_t>{8, 4}));
  EXPECT_TRUE(is_batched(plan.io[0]));
  EXPECT_EQ(plan.io[1].dims, (std::vector<std::int64_t>{1}));  // no batch axis: stays static
  EXPECT_FALSE(plan.io[1].profile.has_value());
  EXPECT_FALSE(is_batched(plan.io[1]));
  EXPECT_TRUE(is_batched(plan.io[2]));
}

TEST(MergeBatchBuckets, IdenticalConstantsAreStoredOnceAndEachBucketSeesItsOwnBytes) {
  const Plan plan = dynamic_plan({1, 4, 16}, {1, 4, 16});
  // w is the same in all three builds, the shape constant differs: 1 + 3 blobs.
  EXPECT_EQ(plan.tensors[2].weights, plan.batch_buckets[0].tensors[2].weights);
  EXPECT_EQ(plan.tensors[2].weights, plan.batch_buckets[1].tensors[2].weights);
  EXPECT_NE(plan.tensors[3].weights, plan.batch_buckets[0].tensors[3].weights);
  EXPECT_EQ(plan.weights.size(), 3 * kWeightsAlignment + 16);
  for (const std::int64_t b : {1, 4, 16}) {
    const Plan bucket = bucket_plan(plan, b);
    EXPECT_FALSE(bucket.batch_range.has_value());
    EXPECT_EQ(bucket.io[0].dims, (std::vector<std::int64_t>{b, 4}));
    const auto shape = bucket.weights_of(bucket.tensors[3]);
    std::int64_t values[2];
    ASSERT_EQ(shape.size(), sizeof values);
    std::memcpy(values, shape.data(), sizeof values);
    EXPECT_EQ(values[0], b);
    EXPECT_EQ(values[1], 4);
    const auto w = bucket.weights_of(bucket.tensors[2]);
    float wv[4];
    std::memcpy(wv, w.data(), sizeof wv);
    EXPECT_EQ(wv[3], 4.0f);
    EXPECT_NO_THROW(validate_plan(bucket));
  }
}

TEST(MergeBatchBuckets, RefusesAnOutputWhoseAxisZeroIsNotTheBatch) {
  std::map<std::int64_t, Plan> plans;
  for (const std::int64_t b : {1, 4}) {
    Plan p = one_batch_plan(b);
    // As if the model flattened the batch into the features: [1, 4b].
    p.io[2].dims = {1, 4 * b};
    p.tensors[4].dims = {1, 4 * b};
    plans.emplace(b, std::move(p));
  }
  const std::string message = message_of<ModelError>([&] {
    (void)merge_batch_buckets(std::move(plans), {1, 1, 4});
  });
  expect_contains(message, "output 'y' is [1, 4] at batch 1, [1, 16] at batch 4");
  expect_contains(message, "axis 0 is not the batch");
}

TEST(MergeBatchBuckets, KeysMustCoverOptAndMaxInsideTheRange) {
  expect_contains(message_of<InvalidArgument>([] {
                    (void)dynamic_plan({1, 8}, {1, 4, 8});
                  }),
                  "include opt (4) and max (8)");
  EXPECT_THROW((void)dynamic_plan({1, 4}, {1, 4, 8}), InvalidArgument);
  EXPECT_THROW((void)dynamic_plan({1, 4, 8}, {2, 4, 8}), InvalidArgument);
  EXPECT_THROW((void)dynamic_plan({4, 8}, {1, 8, 4}), InvalidArgument);
}

TEST(BatchPlanFile, RoundTripKeepsTheRangeAndEveryBucket) {
  const Plan plan = dynamic_plan({1, 2, 4, 8, 16}, {1, 4, 16});
  const std::vector<std::byte> bytes = write_plan_bytes(plan);
  const Plan back = read_plan_bytes(bytes);
  EXPECT_EQ(back, plan);
  EXPECT_EQ(bucket_batches(back), (std::vector<std::int64_t>{1, 2, 4, 8, 16}));
}

TEST(BatchPlanFile, StaticPlanRoundTripsWithoutARange) {
  const Plan plan = one_batch_plan(3);
  const Plan back = read_plan_bytes(write_plan_bytes(plan));
  EXPECT_EQ(back, plan);
  EXPECT_FALSE(back.batch_range.has_value());
  EXPECT_TRUE(bucket_batches(back).empty());
}

TEST(BatchPlanFile, AVersionOneFileAsksForARebuild) {
  std::vector<std::byte> bytes = write_plan_bytes(one_batch_plan(1));
  const std::uint32_t one = 1;
  std::memcpy(bytes.data() + 8, &one, sizeof one);
  expect_contains(message_of<FileError>([&] { (void)read_plan_bytes(bytes); }),
                  "engine format v1 (written by an older trtutils), this library reads v2: "
                  "rebuild it");
}

TEST(BatchPlanValidation, RefusesBucketsOutOfOrderOrOutsideTheRange) {
  Plan plan = dynamic_plan({1, 4, 8, 16}, {1, 4, 16});
  std::swap(plan.batch_buckets[0], plan.batch_buckets[1]);
  expect_contains(message_of<ModelError>([&] { validate_plan(plan); }),
                  "batch bucket 1 is out of order");
  plan = dynamic_plan({1, 4, 16}, {1, 4, 16});
  plan.batch_buckets[1].batch = 17;
  expect_contains(message_of<ModelError>([&] { validate_plan(plan); }),
                  "batch bucket 17 is out of order, repeats opt (4) or lies outside 1..16");
}

TEST(BatchPlanValidation, RefusesAPlanWhoseLargestBucketIsNotMax) {
  Plan plan = dynamic_plan({1, 4, 16}, {1, 4, 16});
  plan.batch_buckets.pop_back();
  expect_contains(message_of<ModelError>([&] { validate_plan(plan); }),
                  "the largest batch bucket is 4, not max (16)");
}

TEST(BatchPlanValidation, RefusesAProfileThatIsNotTheRange) {
  Plan plan = dynamic_plan({1, 4, 16}, {1, 4, 16});
  plan.io[0].profile->max[0] = 32;
  expect_contains(message_of<ModelError>([&] { validate_plan(plan); }),
                  "input 'x' has a dynamic batch axis whose profile is not the plan's batch "
                  "range 1/4/16");
}

TEST(BatchPlanValidation, NamesTheBucketWhoseTensorsAreInconsistent) {
  Plan plan = dynamic_plan({1, 4, 16}, {1, 4, 16});
  plan.batch_buckets[1].tensors[4].dims = {8, 4};
  const std::string message = message_of<ModelError>([&] { validate_plan(plan); });
  expect_contains(message, "output 'y'");
  expect_contains(message, "(in the bucket for batch 16)");
}

TEST(BatchPlanValidation, RefusesBucketsWithoutARange) {
  Plan plan = dynamic_plan({1, 4, 16}, {1, 4, 16});
  plan.batch_range.reset();
  expect_contains(message_of<ModelError>([&] { validate_plan(plan); }),
                  "batch buckets without a batch range");
}

}  // namespace
}  // namespace trtutils::plan
