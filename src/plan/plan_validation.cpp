#include "trtutils/plan/plan_validation.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "trtutils/core/error.hpp"
#include "trtutils/plan/batch_buckets.hpp"

namespace trtutils::plan {

namespace {

template <typename... Parts>
[[noreturn]] void fail(Parts&&... parts) {
  throw ModelError(detail::concat("inconsistent plan: ", std::forward<Parts>(parts)...));
}

std::string dims_text(const std::vector<std::int64_t>& dims) {
  std::string text = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i != 0) text += ", ";
    text += dims[i] == kDynamicDim ? std::string("?") : std::to_string(dims[i]);
  }
  return text + "]";
}

// "sm_" digits and an optional lower-case feature suffix ("sm_90a").
bool is_arch_name(const std::string& arch) {
  if (arch.size() < 5 || arch.compare(0, 3, "sm_") != 0) return false;
  std::size_t i = 3;
  while (i < arch.size() && std::isdigit(static_cast<unsigned char>(arch[i]))) ++i;
  if (i < 5) return false;
  return i == arch.size() ||
         (i + 1 == arch.size() && std::islower(static_cast<unsigned char>(arch[i])));
}

bool all_static(const std::vector<std::int64_t>& dims) {
  for (const std::int64_t d : dims) {
    if (d < 0) return false;
  }
  return true;
}

// Bytes of a dense tensor of static dims, or nullopt-like max() on overflow.
std::uint64_t dense_bytes(const TensorDesc& t) {
  std::uint64_t bytes = dtype_size(t.dtype);
  for (const std::int64_t d : t.dims) {
    const auto extent = static_cast<std::uint64_t>(d);
    if (extent != 0 && bytes > std::numeric_limits<std::uint64_t>::max() / extent) {
      return std::numeric_limits<std::uint64_t>::max();
    }
    bytes *= extent;
  }
  return bytes;
}

void check_header(const PlanHeader& header) {
  if (header.format_version != kPlanFormatVersion) {
    fail("header says format v", header.format_version, ", this library handles v",
         kPlanFormatVersion);
  }
  if (!is_arch_name(header.target_arch)) {
    fail("target arch \"", header.target_arch, "\" is not of the form sm_<digits>, e.g. sm_90");
  }
  if (header.library_version.empty()) fail("the library version is empty");
}

void check_dims(const std::vector<std::int64_t>& dims, const std::string& what) {
  for (const std::int64_t d : dims) {
    if (d < kDynamicDim) fail(what, " has a negative extent in ", dims_text(dims));
  }
}

void check_unique_name(std::set<std::string>& seen, const std::string& name,
                       const std::string& what) {
  if (name.empty()) fail("a ", what, " has an empty name");
  if (!seen.insert(name).second) fail("two ", what, "s are named '", name, "'");
}

void check_tensor(const Plan& plan, std::size_t index, std::set<std::string>& names) {
  const TensorDesc& t = plan.tensors[index];
  if (t.id != index)
    fail("tensor #", index, " ('", t.name, "') has id ", t.id, "; ids must equal positions");
  check_unique_name(names, t.name, "tensor");
  const std::string what = detail::concat(tensor_kind_name(t.kind), " tensor '", t.name, "'");
  if (t.dtype == DType::kUndefined) fail(what, " has no dtype");
  check_dims(t.dims, what);
  if (!t.arena.fits_in(plan.arena_bytes)) {
    fail(what, " occupies arena bytes [", t.arena.offset, ", +", t.arena.size, ") beyond the ",
         plan.arena_bytes, "-byte activation arena");
  }
  if (t.kind != TensorKind::kConstant) {
    if (!t.weights.empty() || t.weights.offset != 0)
      fail(what, " has a weights range; only constants do");
    if (t.kind == TensorKind::kActivation && all_static(t.dims) && t.arena.size < dense_bytes(t)) {
      fail(what, " of dims ", dims_text(t.dims), " needs ", dense_bytes(t), " bytes but has ",
           t.arena.size, " in the arena");
    }
    return;
  }
  if (!t.arena.empty()) fail(what, " has an arena range; constants live in the weights");
  if (!all_static(t.dims)) fail(what, " has dynamic dims ", dims_text(t.dims));
  if (!t.weights.fits_in(plan.weights.size())) {
    fail(what, " occupies weights bytes [", t.weights.offset, ", +", t.weights.size,
         ") outside the ", plan.weights.size(), "-byte weights section");
  }
  if (t.weights.offset % kWeightsAlignment != 0) {
    fail(what, " starts at weights offset ", t.weights.offset, ", not a multiple of ",
         kWeightsAlignment);
  }
  if (t.weights.size != dense_bytes(t)) {
    fail(what, " of ", dtype_name(t.dtype), " ", dims_text(t.dims), " needs ", dense_bytes(t),
         " bytes but has ", t.weights.size);
  }
}

void check_profile(const TensorSpec& spec, const std::string& what) {
  if (!spec.profile) {
    if (spec.is_dynamic())
      fail(what, " has dynamic dims ", dims_text(spec.dims), " but no min/opt/max profile");
    return;
  }
  const ShapeProfile& p = *spec.profile;
  const std::size_t rank = spec.dims.size();
  if (p.min.size() != rank || p.opt.size() != rank || p.max.size() != rank) {
    fail(what, " of rank ", rank, " has a profile of ranks ", p.min.size(), "/", p.opt.size(), "/",
         p.max.size());
  }
  for (std::size_t i = 0; i < rank; ++i) {
    if (!(0 <= p.min[i] && p.min[i] <= p.opt[i] && p.opt[i] <= p.max[i])) {
      fail(what, " dim ", i, " has profile min/opt/max ", p.min[i], "/", p.opt[i], "/", p.max[i],
           "; it needs 0 <= min <= opt <= max");
    }
    if (spec.dims[i] != kDynamicDim && (p.min[i] != spec.dims[i] || p.max[i] != spec.dims[i])) {
      fail(what, " dim ", i, " is static (", spec.dims[i], ") but its profile spans ", p.min[i],
           "..", p.max[i]);
    }
  }
}

void check_io(const Plan& plan) {
  std::set<std::string> names;
  for (const TensorSpec& spec : plan.io) {
    const std::string what =
        detail::concat(spec.is_input ? "input" : "output", " '", spec.name, "'");
    check_unique_name(names, spec.name, "input/output");
    if (spec.dtype == DType::kUndefined) fail(what, " has no dtype");
    check_dims(spec.dims, what);
    check_profile(spec, what);
    const TensorDesc* t = plan.find_tensor(spec.name);
    if (t == nullptr) fail(what, " has no tensor of that name");
    const TensorKind kind = spec.is_input ? TensorKind::kInput : TensorKind::kOutput;
    if (t->kind != kind) fail(what, " names a tensor of kind ", tensor_kind_name(t->kind));
    if (t->dtype != spec.dtype || t->dims != spec.dims) {
      fail(what, " is ", dtype_name(spec.dtype), " ", dims_text(spec.dims), " but its tensor is ",
           dtype_name(t->dtype), " ", dims_text(t->dims));
    }
  }
  for (const TensorDesc& t : plan.tensors) {
    if ((t.kind == TensorKind::kInput || t.kind == TensorKind::kOutput) &&
        names.count(t.name) == 0) {
      fail(tensor_kind_name(t.kind), " tensor '", t.name, "' has no input/output spec");
    }
  }
}

// Layers run in order: each reads tensors that are inputs, constants or
// written by an earlier layer, and every tensor is written at most once.
// Empty tensors (a zero dim) hold nothing: they need no writer.
void check_layers(const Plan& plan) {
  std::set<std::string> names;
  std::vector<bool> written(plan.tensors.size(), false);
  std::vector<bool> empty(plan.tensors.size(), false);
  for (const TensorDesc& t : plan.tensors) {
    empty[t.id] = std::find(t.dims.begin(), t.dims.end(), std::int64_t{0}) != t.dims.end();
    written[t.id] = t.kind == TensorKind::kInput || t.kind == TensorKind::kConstant || empty[t.id];
  }
  for (const LayerDesc& layer : plan.layers) {
    check_unique_name(names, layer.name, "layer");
    const std::string what = detail::concat("layer '", layer.name, "'");
    if (layer.kernel.empty()) fail(what, " has no kernel");
    for (std::size_t i = 0; i < layer.inputs.size(); ++i) {
      const TensorId id = layer.inputs[i];
      if (id == kAbsentTensor) continue;
      if (id >= plan.tensors.size()) {
        fail(what, " input #", i, " refers to tensor ", id, ", but the plan has ",
             plan.tensors.size(), " tensors");
      }
      if (!written[id])
        fail(what, " reads tensor '", plan.tensors[id].name, "' before any layer writes it");
    }
    for (std::size_t i = 0; i < layer.outputs.size(); ++i) {
      const TensorId id = layer.outputs[i];
      if (id >= plan.tensors.size()) {
        fail(what, " output #", i, " refers to tensor ", id, ", but the plan has ",
             plan.tensors.size(), " tensors");
      }
      const TensorDesc& t = plan.tensors[id];
      if (t.kind != TensorKind::kActivation && t.kind != TensorKind::kOutput) {
        fail(what, " writes ", tensor_kind_name(t.kind), " tensor '", t.name, "'");
      }
      if (written[id] && !empty[id])
        fail(what, " writes tensor '", t.name, "', which is already written");
      written[id] = true;
    }
    for (const auto& [key, value] : layer.params.all()) {
      if (key.empty()) fail(what, " has a parameter with an empty name");
    }
  }
  for (const TensorDesc& t : plan.tensors) {
    if (t.kind == TensorKind::kOutput && !written[t.id])
      fail("output '", t.name, "' is never written by any layer");
  }
}

void validate_static_plan(const Plan& plan) {
  std::set<std::string> names;
  for (std::size_t i = 0; i < plan.tensors.size(); ++i) check_tensor(plan, i, names);
  check_io(plan);
  check_layers(plan);
}

// The range, the buckets' batches (ascending, distinct, inside the range,
// the largest being max) and the batched specs' profiles.
void check_batch_layout(const Plan& plan) {
  const BatchRange& r = *plan.batch_range;
  if (!(1 <= r.min && r.min <= r.opt && r.opt <= r.max)) {
    fail("batch range ", r.min, "/", r.opt, "/", r.max, " (min/opt/max) needs 1 <= min <= opt <= max");
  }
  std::int64_t previous = 0;
  for (const BatchBucket& bucket : plan.batch_buckets) {
    if (bucket.batch <= previous || bucket.batch == r.opt || bucket.batch < r.min ||
        bucket.batch > r.max) {
      fail("batch bucket ", bucket.batch, " is out of order, repeats opt (", r.opt,
           ") or lies outside ", r.min, "..", r.max);
    }
    previous = bucket.batch;
  }
  if (std::max(previous, r.opt) != r.max) {
    fail("the largest batch bucket is ", std::max(previous, r.opt), ", not max (", r.max,
         "): batches up to max could not run");
  }
  bool any_batched = false;
  for (const TensorSpec& spec : plan.io) {
    if (!is_batched(spec)) continue;
    any_batched = true;
    if (!spec.profile || spec.profile->min.empty() || spec.profile->min[0] != r.min ||
        spec.profile->opt[0] != r.opt || spec.profile->max[0] != r.max) {
      fail(spec.is_input ? "input '" : "output '", spec.name,
           "' has a dynamic batch axis whose profile is not the plan's batch range ", r.min, "/",
           r.opt, "/", r.max);
    }
  }
  if (!any_batched) fail("the plan has a batch range but no input or output with a batch axis");
}

}  // namespace

void validate_plan(const Plan& plan) {
  check_header(plan.header);
  if (!plan.batch_range) {
    if (!plan.batch_buckets.empty()) fail("batch buckets without a batch range");
    validate_static_plan(plan);
    return;
  }
  check_batch_layout(plan);
  for (const std::int64_t batch : bucket_batches(plan)) {
    try {
      validate_static_plan(bucket_plan(plan, batch));
    } catch (const ModelError& e) {
      throw ModelError(detail::concat(e.what(), " (in the bucket for batch ", batch, ")"));
    }
  }
}

}  // namespace trtutils::plan
