// The checks Engine runs on a plan before it touches the GPU: they refuse a
// plan this runtime cannot run with a message that says what to do, on any
// machine (these tests need no GPU).
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "runtime/engine_impl.hpp"
#include "runtime_test_plans.hpp"
#include "trtutils/runtime/engine.hpp"

namespace trtutils::runtime {
namespace {

using testing::chain_plan;
using testing::positives_plan;

std::string model_error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const ModelError& e) {
    return e.what();
  }
  return "(no ModelError thrown)";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(PlanChecks, AHandMadeChainPlanIsRunnableOnItsArchitecture) {
  EXPECT_NO_THROW(check_plan_runnable(chain_plan("sm_90"), "sm_90"));
}

TEST(PlanChecks, KnownLayerKindsAreTheContractsFour) {
  EXPECT_EQ(known_layer_kinds(), (std::vector<std::string>{"copy", "cublaslt.matmul",
                                                           "cudnn.convolution", "nvrtc.kernel"}));
}

TEST(PlanChecks, UnknownLayerKindIsRefusedNamingLayerAndKernel) {
  plan::Plan plan = chain_plan("sm_90");
  plan.layers[1].kernel = "ref.Gather";
  const std::string message = model_error_of([&] { check_plan_runnable(plan, "sm_90"); });
  EXPECT_TRUE(contains(message,
                       "layer 'copy_sum' uses kernel 'ref.Gather' which this runtime "
                       "does not know: rebuild the engine with this version"))
      << message;
}

TEST(PlanChecks, EngineFromPlanRefusesAnUnknownKindBeforeAnyCudaCall) {
  // On a machine without a GPU a CUDA call would throw CudaError instead.
  plan::Plan plan = chain_plan("sm_90");
  plan.layers[0].kernel = "nvrtc.fused_elementwise";
  const std::string message = model_error_of([&] { (void)Engine::from_plan(plan); });
  EXPECT_TRUE(contains(message, "uses kernel 'nvrtc.fused_elementwise'")) << message;
}

TEST(PlanChecks, PlanForAnotherArchitectureIsRefusedWithWhatToDo) {
  const std::string message =
      model_error_of([&] { check_plan_runnable(chain_plan("sm_86"), "sm_90"); });
  EXPECT_TRUE(contains(message, "engine built for sm_86, this GPU is sm_90: rebuild it"))
      << message;
}

TEST(PlanChecks, PlanOfAnotherMinorVersionIsRefused) {
  plan::Plan plan = chain_plan("sm_90");
  plan.header.library_version = "0.0.1";
  const std::string message = model_error_of([&] { check_plan_runnable(plan, "sm_90", "0.1.0"); });
  EXPECT_TRUE(contains(message, "built by trtutils 0.0.1")) << message;
}

TEST(PlanChecks, InconsistentPlanIsRefusedByValidation) {
  plan::Plan plan = chain_plan("sm_90");
  plan.tensors[3].arena = {8000, 4000};  // beyond the 8192-byte arena
  EXPECT_TRUE(
      contains(model_error_of([&] { check_plan_runnable(plan, "sm_90"); }), "inconsistent plan"));
}

TEST(PlanChecks, DynamicShapesAreRefused) {
  plan::Plan plan = chain_plan("sm_90");
  plan.tensors[0].dims = {plan::kDynamicDim};
  plan.io[0].dims = {plan::kDynamicDim};
  plan.io[0].profile = plan::ShapeProfile{{1}, {1000}, {1000}};
  plan.tensors[2].dims = {plan::kDynamicDim};
  plan.tensors[3].dims = {plan::kDynamicDim};
  plan.tensors[4].dims = {plan::kDynamicDim};
  plan.io[1].dims = {plan::kDynamicDim};
  plan.io[1].profile = plan::ShapeProfile{{1}, {1000}, {1000}};
  const std::string message = model_error_of([&] { check_plan_runnable(plan, "sm_90"); });
  EXPECT_TRUE(contains(message, "static shapes")) << message;
}

TEST(DynamicExtents, FoundOnTheLayerForTheEngineOutput) {
  const auto found = detail::find_dynamic_extents(positives_plan("sm_90"));
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].layer, 0U);
  EXPECT_EQ(found[0].count, 2U);
  EXPECT_EQ(found[0].output, 0U);
  EXPECT_EQ(found[0].axis, 0U);
}

TEST(DynamicExtents, AxisParameterIsRead) {
  plan::Plan plan = positives_plan("sm_90");
  plan.layers[0].params.set("dynamic_extent_axis_of_output_0", std::int64_t{0});
  EXPECT_EQ(detail::find_dynamic_extents(plan).at(0).axis, 0U);
  plan.layers[0].params.set("dynamic_extent_axis_of_output_0", std::int64_t{1});
  EXPECT_TRUE(contains(model_error_of([&] { (void)detail::find_dynamic_extents(plan); }),
                       "outside the output's rank 1"));
}

TEST(DynamicExtents, CountMustBeAOneElementI64Tensor) {
  plan::Plan plan = positives_plan("sm_90");
  plan.layers[0].params.set("dynamic_extent_of_output_0", std::int64_t{0});  // x: f32 [16]
  EXPECT_TRUE(contains(model_error_of([&] { check_plan_runnable(plan, "sm_90"); }),
                       "is not a one-element i64 tensor"));
}

TEST(DynamicExtents, OutputIndexBeyondTheLayersOutputsIsRefused) {
  plan::Plan plan = positives_plan("sm_90");
  plan.layers[0].params.set("dynamic_extent_of_output_5", std::int64_t{2});
  EXPECT_TRUE(contains(model_error_of([&] { (void)detail::find_dynamic_extents(plan); }),
                       "names output 5; the layer has 2"));
}

}  // namespace
}  // namespace trtutils::runtime
