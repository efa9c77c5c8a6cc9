#pragma once
// Dynamic batch through batch buckets. Our kernels and cuDNN / cuBLASLt
// plans are specialised to static shapes, so a plan that accepts a range of
// batch sizes holds several specialisations ("buckets") of one graph, each
// built for one batch size, sharing one weights section. A batch that is a
// bucket runs that bucket; any other batch b runs the smallest bucket above
// it on padded buffers (the runtime copies the b samples in and out). That
// is only correct when samples do not influence each other, which the
// builder checks before it builds buckets.
//
// Plan layout: Plan's own tensors / layers are the bucket for
// batch_range->opt; Plan::batch_buckets holds the others. The io specs carry
// kDynamicDim at axis 0 of every batched input and output.
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "trtutils/plan/plan.hpp"

namespace trtutils::plan {

/// Every bucket's batch size, ascending (opt included). Empty for a static plan.
std::vector<std::int64_t> bucket_batches(const Plan& plan);

/// Index into `batches` (ascending, distinct) of the bucket that runs
/// `batch`: the one equal to it, else the smallest larger one. Throws
/// InvalidArgument when `batch` < 1 or it exceeds the largest bucket. Pure.
std::size_t select_bucket(std::span<const std::int64_t> batches, std::int64_t batch);

/// True for the io specs whose axis 0 is the batch (kDynamicDim there).
bool is_batched(const TensorSpec& spec) noexcept;

/// The static plan of one bucket of a dynamic-batch plan (io dims with the
/// bucket's batch, no range, no other buckets; the weights are shared, not
/// copied). For a static plan and its own batch, a copy of it. Throws
/// InvalidArgument when `batch` is not one of bucket_batches(plan).
Plan bucket_plan(const Plan& plan, std::int64_t batch);

/// Joins static plans of one graph, each built for the batch size it is keyed
/// by, into one dynamic-batch plan over `range`: the opt plan's header,
/// tensors and layers, the others as buckets, and one weights section
/// holding every distinct constant once (identical bytes are stored once).
/// Inputs and outputs whose axis 0 follows the bucket's batch become
/// kDynamicDim with a profile; those equal in every bucket stay static.
/// Throws ModelError when the plans' inputs and outputs differ other than
/// that, and InvalidArgument when the keys do not lie in [range.min,
/// range.max], miss range.opt or range.max.
Plan merge_batch_buckets(std::map<std::int64_t, Plan> plans, const BatchRange& range);

}  // namespace trtutils::plan
