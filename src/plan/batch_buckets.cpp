#include "trtutils/plan/batch_buckets.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "plan/xxhash64.hpp"
#include "trtutils/core/error.hpp"

namespace trtutils::plan {

std::vector<std::int64_t> bucket_batches(const Plan& plan) {
  if (!plan.batch_range) return {};
  std::vector<std::int64_t> batches{plan.batch_range->opt};
  for (const BatchBucket& bucket : plan.batch_buckets) batches.push_back(bucket.batch);
  std::sort(batches.begin(), batches.end());
  return batches;
}

std::size_t select_bucket(std::span<const std::int64_t> batches, std::int64_t batch) {
  TRTUTILS_CHECK(!batches.empty(), "select_bucket: there are no batch buckets");
  TRTUTILS_CHECK(batch >= 1 && batch <= batches.back(), "batch ", batch,
                 " is outside the buckets' range 1..", batches.back());
  const auto at = std::lower_bound(batches.begin(), batches.end(), batch);
  return static_cast<std::size_t>(at - batches.begin());
}

bool is_batched(const TensorSpec& spec) noexcept {
  return !spec.dims.empty() && spec.dims[0] == kDynamicDim;
}

Plan bucket_plan(const Plan& plan, std::int64_t batch) {
  if (!plan.batch_range) {
    Plan copy = plan;
    return copy;
  }
  Plan out;
  out.header = plan.header;
  out.weights = plan.weights;
  for (TensorSpec spec : plan.io) {
    if (is_batched(spec)) spec.dims[0] = batch;
    spec.profile.reset();
    out.io.push_back(std::move(spec));
  }
  if (batch == plan.batch_range->opt) {
    out.tensors = plan.tensors;
    out.layers = plan.layers;
    out.arena_bytes = plan.arena_bytes;
    out.workspace_bytes = plan.workspace_bytes;
    return out;
  }
  for (const BatchBucket& bucket : plan.batch_buckets) {
    if (bucket.batch != batch) continue;
    out.tensors = bucket.tensors;
    out.layers = bucket.layers;
    out.arena_bytes = bucket.arena_bytes;
    out.workspace_bytes = bucket.workspace_bytes;
    return out;
  }
  TRTUTILS_CHECK(false, "the plan has no bucket for batch ", batch);
  return out;
}

namespace {

/// One weights section for every bucket: a constant whose bytes are already
/// stored (in any bucket) points at that copy.
class SharedWeights {
 public:
  ByteRange place(std::span<const std::byte> data) {
    const std::uint64_t key = xxhash64(data) ^ data.size();
    for (const ByteRange& range : by_hash_[key]) {
      if (std::memcmp(stored_.data() + range.offset, data.data(), data.size()) == 0) return range;
    }
    const ByteRange range = builder_.append(data);
    // builder_ keeps its bytes private until finish(); keep a copy to compare.
    stored_.resize(range.offset);
    stored_.insert(stored_.end(), data.begin(), data.end());
    by_hash_[key].push_back(range);
    return range;
  }
  PlanWeights finish() { return builder_.finish(); }

 private:
  PlanWeightsBuilder builder_;
  std::vector<std::byte> stored_;
  std::map<std::uint64_t, std::vector<ByteRange>> by_hash_;
};

void repoint_constants(std::vector<TensorDesc>& tensors, const PlanWeights& from,
                       SharedWeights& to) {
  for (TensorDesc& t : tensors) {
    if (t.kind == TensorKind::kConstant) t.weights = to.place(from.slice(t.weights));
  }
}

std::string dims_text(const std::vector<std::int64_t>& dims) {
  std::string text = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) text += detail::concat(i ? ", " : "", dims[i]);
  return text + "]";
}

/// The merged spec of one input/output: static where every bucket agrees,
/// kDynamicDim at axis 0 where it is each bucket's batch.
TensorSpec merge_spec(const std::map<std::int64_t, Plan>& plans, std::size_t index,
                      const BatchRange& range) {
  const TensorSpec& first = plans.begin()->second.io[index];
  const std::string what = detail::concat(first.is_input ? "input '" : "output '", first.name, "'");
  bool same = true, follows_batch = !first.dims.empty();
  for (const auto& [batch, plan] : plans) {
    const TensorSpec& spec = plan.io[index];
    if (spec.name != first.name || spec.dtype != first.dtype || spec.is_input != first.is_input ||
        spec.dims.size() != first.dims.size() || spec.profile) {
      throw ModelError(detail::concat("batch buckets disagree on ", what,
                                      ": rebuild; the builds of one graph must have the same "
                                      "inputs and outputs"));
    }
    same = same && spec.dims == first.dims;
    follows_batch = follows_batch && spec.dims[0] == batch &&
                    std::equal(spec.dims.begin() + 1, spec.dims.end(), first.dims.begin() + 1);
  }
  if (same && !(follows_batch && plans.size() == 1)) return first;
  if (!follows_batch) {
    std::string shapes;
    for (const auto& [batch, plan] : plans) {
      shapes += detail::concat(shapes.empty() ? "" : ", ", dims_text(plan.io[index].dims),
                               " at batch ", batch);
    }
    throw ModelError(detail::concat(what, " is ", shapes,
                                    ": its axis 0 is not the batch, so the model cannot take a "
                                    "dynamic batch; build it with a fixed batch size"));
  }
  TensorSpec spec = first;
  ShapeProfile profile{spec.dims, spec.dims, spec.dims};
  profile.min[0] = range.min;
  profile.opt[0] = range.opt;
  profile.max[0] = range.max;
  spec.dims[0] = kDynamicDim;
  spec.profile = std::move(profile);
  return spec;
}

}  // namespace

Plan merge_batch_buckets(std::map<std::int64_t, Plan> plans, const BatchRange& range) {
  TRTUTILS_CHECK(1 <= range.min && range.min <= range.opt && range.opt <= range.max, "batch range ",
                 range.min, "/", range.opt, "/", range.max,
                 " (min/opt/max) needs 1 <= min <= opt <= max");
  TRTUTILS_CHECK(!plans.empty() && plans.begin()->first >= range.min &&
                     plans.rbegin()->first == range.max && plans.count(range.opt) == 1,
                 "batch buckets must lie in ", range.min, "..", range.max, " and include opt (",
                 range.opt, ") and max (", range.max, ")");
  const std::size_t io_count = plans.begin()->second.io.size();
  for (const auto& [batch, plan] : plans) {
    TRTUTILS_CHECK(!plan.batch_range, "the plan for batch ", batch, " already has batch buckets");
    if (plan.io.size() != io_count) {
      throw ModelError(
          detail::concat("batch buckets disagree on the number of inputs and "
                         "outputs (",
                         io_count, " vs ", plan.io.size(), ")"));
    }
  }
  std::vector<TensorSpec> io;
  for (std::size_t i = 0; i < io_count; ++i) io.push_back(merge_spec(plans, i, range));

  SharedWeights weights;
  Plan merged = std::move(plans.at(range.opt));
  repoint_constants(merged.tensors, merged.weights, weights);
  for (auto& [batch, plan] : plans) {
    if (batch == range.opt) continue;
    repoint_constants(plan.tensors, plan.weights, weights);
    merged.batch_buckets.push_back({batch, std::move(plan.tensors), std::move(plan.layers),
                                    plan.arena_bytes, plan.workspace_bytes});
  }
  merged.weights = weights.finish();
  merged.io = std::move(io);
  merged.batch_range = range;
  return merged;
}

}  // namespace trtutils::plan
