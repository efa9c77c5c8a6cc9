// The load-time checks on dynamic-batch plans (no GPU): every bucket is
// checked, not only the opt one, and a plan Engine cannot pad is refused
// before any CUDA call.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>

#include "runtime/engine_impl.hpp"
#include "trtutils/plan/batch_buckets.hpp"
#include "trtutils/plan/plan_weights.hpp"
#include "trtutils/runtime/engine.hpp"

namespace trtutils::runtime {
namespace {

/// y[b, 4] = copy of x[b, 4]: the smallest plan the runtime knows how to run.
plan::Plan copy_plan(std::int64_t b) {
  plan::Plan p;
  p.header.target_arch = "sm_90";
  p.io = {{"x", DType::kFloat32, {b, 4}, std::nullopt, true},
          {"y", DType::kFloat32, {b, 4}, std::nullopt, false}};
  plan::TensorDesc x;
  x.id = 0;
  x.name = "x";
  x.dtype = DType::kFloat32;
  x.dims = {b, 4};
  x.kind = plan::TensorKind::kInput;
  plan::TensorDesc y = x;
  y.id = 1;
  y.name = "y";
  y.kind = plan::TensorKind::kOutput;
  p.tensors = {x, y};
  p.layers = {{"copy_x", "copy", {0}, {1}, {}, plan::Precision::kFloat32}};
  return p;
}

plan::Plan dynamic_copy_plan() {
  std::map<std::int64_t, plan::Plan> plans;
  for (const std::int64_t b : {1, 4, 16}) plans.emplace(b, copy_plan(b));
  return plan::merge_batch_buckets(std::move(plans), {1, 4, 16});
}

std::string model_error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const ModelError& e) {
    return e.what();
  }
  return "(no ModelError thrown)";
}

TEST(BatchPlanChecks, ADynamicCopyPlanIsRunnable) {
  EXPECT_NO_THROW(check_plan_runnable(dynamic_copy_plan(), "sm_90"));
}

TEST(BatchPlanChecks, AnUnknownKindInABucketOtherThanOptIsRefused) {
  plan::Plan p = dynamic_copy_plan();
  p.batch_buckets.back().layers[0].kernel = "ref.Copy";
  const std::string message = model_error_of([&] { check_plan_runnable(p, "sm_90"); });
  EXPECT_NE(message.find("layer 'copy_x' uses kernel 'ref.Copy' which this runtime does not know"),
            std::string::npos)
      << message;
  // Refused before any CUDA call (none is made on a machine without a GPU).
  EXPECT_NE(model_error_of([&] { (void)Engine::from_plan(p); }).find("ref.Copy"),
            std::string::npos);
}

TEST(BatchPlanChecks, ADataDependentExtentCannotBePaddedAndIsRefused) {
  std::map<std::int64_t, plan::Plan> plans;
  for (const std::int64_t b : {1, 4}) {
    plan::Plan p = copy_plan(b);
    plan::TensorDesc count;
    count.id = 2;
    count.name = "count";
    count.dtype = DType::kInt64;
    count.dims = {1};
    count.kind = plan::TensorKind::kActivation;
    count.arena = {0, 8};
    p.arena_bytes = 8;
    p.tensors.push_back(count);
    p.layers[0].outputs.push_back(2);
    p.layers[0].params.set("dynamic_extent_of_output_0", std::int64_t{2});
    plans.emplace(b, std::move(p));
  }
  const plan::Plan p = plan::merge_batch_buckets(std::move(plans), {1, 4, 4});
  const std::string message = model_error_of([&] { check_plan_runnable(p, "sm_90"); });
  EXPECT_NE(message.find("has an output with a data-dependent extent, which a dynamic batch "
                         "cannot pad"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace trtutils::runtime
