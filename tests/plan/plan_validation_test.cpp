// validate_plan refuses plans whose parts disagree, naming the problem; the
// writer runs it, so an inconsistent plan is never written.
#include "trtutils/plan/plan_validation.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "sample_plans.hpp"
#include "trtutils/plan/plan_writer.hpp"

namespace trtutils::plan {
namespace {

// Applies `edit` to the rich plan and returns validate_plan's message.
std::string problem_after(const std::function<void(Plan&)>& edit) {
  Plan plan = testing::rich_plan();
  edit(plan);
  try {
    validate_plan(plan);
  } catch (const ModelError& e) {
    EXPECT_THROW((void)write_plan_bytes(plan), ModelError);
    return e.what();
  }
  ADD_FAILURE() << "validate_plan accepted the edited plan";
  return {};
}

void expect_problem(const std::function<void(Plan&)>& edit, const std::string& part) {
  const std::string message = problem_after(edit);
  EXPECT_NE(message.find(part), std::string::npos) << "expected \"" << part << "\" in: " << message;
}

TEST(PlanValidation, TheSamplePlansAreValid) {
  EXPECT_NO_THROW(validate_plan(testing::rich_plan()));
  EXPECT_NO_THROW(validate_plan(testing::small_plan()));
}

TEST(PlanValidation, TargetArchMustLookLikeSmDigits) {
  expect_problem([](Plan& p) { p.header.target_arch = "90"; },
                 "target arch \"90\" is not of the form sm_<digits>");
  expect_problem([](Plan& p) { p.header.target_arch = "sm_"; }, "is not of the form");
  Plan plan = testing::rich_plan();
  plan.header.target_arch = "sm_90a";
  EXPECT_NO_THROW(validate_plan(plan));
}

TEST(PlanValidation, TensorIdsMustEqualTheirPositions) {
  expect_problem([](Plan& p) { p.tensors[3].id = 7; }, "tensor #3 ('conv.bias') has id 7");
}

TEST(PlanValidation, DuplicateNamesAreRefused) {
  expect_problem([](Plan& p) { p.tensors[6].name = "conv_out"; },
                 "two tensors are named 'conv_out'");
  expect_problem([](Plan& p) { p.layers[1].name = "conv"; }, "two layers are named 'conv'");
}

TEST(PlanValidation, LayersMustReferToExistingTensors) {
  expect_problem([](Plan& p) { p.layers[1].inputs[1] = 8; },
                 "layer 'head' input #1 refers to tensor 8, but the plan has 8 tensors");
  expect_problem([](Plan& p) { p.layers[0].outputs[0] = kAbsentTensor; },
                 "layer 'conv' output #0 refers to tensor");
}

TEST(PlanValidation, LayersMustNotReadATensorBeforeItIsWritten) {
  expect_problem([](Plan& p) { std::swap(p.layers[0], p.layers[1]); },
                 "layer 'head' reads tensor 'conv_out' before any layer writes it");
}

TEST(PlanValidation, ATensorIsWrittenOnceAndNeverAConstantOrInput) {
  expect_problem([](Plan& p) { p.layers[1].outputs[0] = 5; },
                 "writes tensor 'conv_out', which is already written");
  expect_problem([](Plan& p) { p.layers[1].outputs[0] = 2; },
                 "writes constant tensor 'conv.weight'");
}

TEST(PlanValidation, EveryOutputIsWritten) {
  expect_problem([](Plan& p) { p.layers.pop_back(); },
                 "output 'boxes' is never written by any layer");
}

TEST(PlanValidation, ArenaRangesStayInsideTheArena) {
  expect_problem([](Plan& p) { p.arena_bytes -= 1; },
                 "activation tensor 'feat' occupies arena bytes");
  expect_problem([](Plan& p) { p.tensors[6].arena.offset = ~std::uint64_t{0}; }, "beyond the");
}

TEST(PlanValidation, ActivationsOfStaticDimsGetEnoughArena) {
  expect_problem([](Plan& p) { p.tensors[6].arena.size = 100; },
                 "needs 12800 bytes but has 100 in the arena");
}

TEST(PlanValidation, ConstantsLieInsideTheWeightsAlignedAndOfTheirSize) {
  expect_problem([](Plan& p) { p.tensors[4].weights.offset = 1536; },
                 "outside the 1304-byte weights section");
  expect_problem([](Plan& p) { p.tensors[3].weights.offset = 1040; },
                 "starts at weights offset 1040, not a multiple of 256");
  expect_problem([](Plan& p) { p.tensors[3].weights.size = 60; }, "needs 64 bytes but has 60");
  expect_problem(
      [](Plan& p) {
        p.tensors[5].weights = {0, 8};
      },
      "has a weights range; only constants do");
  expect_problem([](Plan& p) { p.tensors[2].arena = {0, 8}; }, "has an arena range");
}

TEST(PlanValidation, DynamicIoNeedsAProfileThatCoversTheStaticDims) {
  expect_problem([](Plan& p) { p.io[0].profile.reset(); },
                 "input 'images' has dynamic dims [?, 3, 64, 64] but no min/opt/max profile");
  expect_problem([](Plan& p) { p.io[0].profile->opt[0] = 9; },
                 "dim 0 has profile min/opt/max 1/9/8");
  expect_problem([](Plan& p) { p.io[0].profile->max[1] = 4; },
                 "dim 1 is static (3) but its profile spans 3..4");
  expect_problem([](Plan& p) { p.io[0].profile->min.pop_back(); }, "has a profile of ranks 3/4/4");
}

TEST(PlanValidation, IoSpecsMatchTheirTensors) {
  expect_problem([](Plan& p) { p.io[1].dtype = DType::kFloat16; },
                 "input 'scale' is f16 [1] but its tensor is f32 [1]");
  expect_problem([](Plan& p) { p.io[2].is_input = true; },
                 "input 'boxes' names a tensor of kind output");
  expect_problem([](Plan& p) { p.io[1].name = "nothing"; },
                 "input 'nothing' has no tensor of that name");
  expect_problem([](Plan& p) { p.io.pop_back(); },
                 "output tensor 'boxes' has no input/output spec");
}

TEST(PlanValidation, WriterRefusesAnotherFormatVersion) {
  Plan plan = testing::rich_plan();
  plan.header.format_version = kPlanFormatVersion + 1;
  EXPECT_THROW((void)write_plan_bytes(plan), InvalidArgument);
}

}  // namespace
}  // namespace trtutils::plan
