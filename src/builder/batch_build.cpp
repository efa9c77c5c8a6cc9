#include "builder/batch_build.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <utility>

#include "builder/batch_independence.hpp"
#include "builder/graph_copy.hpp"
#include "builder/graph_preparation.hpp"
#include "trtutils/builder/builder.hpp"
#include "trtutils/plan/batch_buckets.hpp"
#include "trtutils/plan/plan_validation.hpp"

namespace trtutils::builder {

namespace {

BuildOptions for_batch(const BuildOptions& options, std::int64_t batch) {
  BuildOptions one = options;
  one.batch = BatchProfile{batch, batch, batch, {}};
  return one;
}

/// Progress of the build for bucket `index` of `count`, as a share of the
/// whole. `reported` keeps the fractions non-decreasing across the buckets
/// (a stage's last fraction may exceed the next stage's first by rounding).
ProgressCallback bucket_progress(const ProgressCallback& progress, std::size_t index,
                                 std::size_t count, std::shared_ptr<double> reported) {
  if (!progress) return {};
  return [progress, index, count, reported](std::string_view stage, double fraction) {
    const double overall = (static_cast<double>(index) + fraction) / static_cast<double>(count);
    *reported = std::max(*reported, std::min(overall, 0.999));
    // "done" comes once, after merging.
    progress(stage == "done" ? std::string_view("validate") : stage, *reported);
  };
}

void check_profile_is_per_sample(const ir::Graph& graph, const BuildOptions& options,
                                 const std::set<std::string>& batched, std::int64_t batch,
                                 const ops::OpRegistry& registry) {
  ir::Graph probe = copy_graph(graph);
  prepare_graph(probe, for_batch(options, batch), registry);
  check_batch_independent(probe, batched, batch);
}

}  // namespace

std::set<std::string> batched_graph_inputs(const ir::Graph& graph, const BuildOptions& options) {
  std::set<std::string> names;
  for (const ir::Value* in : graph.inputs()) {
    if (options.constant_inputs.count(in->name()) != 0) continue;
    if (in->shape() && !in->shape()->empty() && !(*in->shape())[0].is_static()) {
      names.insert(in->name());
    }
  }
  return names;
}

plan::Plan build(ir::Graph graph, const BuildOptions& options, const ops::OpRegistry& registry,
                 BuildReport* report) {
  validate_options(options);
  const std::set<std::string> batched = batched_graph_inputs(graph, options);
  if (!options.batch || options.batch->min == options.batch->max || batched.empty()) {
    return build_for_one_batch(std::move(graph), options, registry, report);
  }
  const BatchProfile& profile = *options.batch;
  const std::vector<std::int64_t> buckets = batch_buckets(profile);
  // Checked on the largest batch: max > min >= 1, so axis 0 cannot be 1 by chance.
  check_profile_is_per_sample(graph, options, batched, profile.max, registry);

  std::map<std::int64_t, plan::Plan> plans;
  const auto reported = std::make_shared<double>(0.0);
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    BuildOptions one = for_batch(options, buckets[i]);
    one.progress = bucket_progress(options.progress, i, buckets.size(), reported);
    const bool last = i + 1 == buckets.size();
    plans.emplace(buckets[i],
                  build_for_one_batch(last ? std::move(graph) : copy_graph(graph), one, registry,
                                      last ? report : nullptr));  // every bucket fuses alike
  }
  plan::Plan merged =
      plan::merge_batch_buckets(std::move(plans), {profile.min, profile.opt, profile.max});
  merged.header.builder_options = describe_options(options);
  plan::validate_plan(merged);
  if (options.progress) options.progress("done", 1.0);
  return merged;
}

}  // namespace trtutils::builder
