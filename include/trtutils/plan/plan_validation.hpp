#pragma once
// Checks that a plan's parts agree with each other: the writer runs it so a
// builder bug is caught where it happens, the reader so a damaged or
// hand-made file is refused before the runtime trusts any offset in it.
#include "trtutils/core/error.hpp"
#include "trtutils/plan/plan.hpp"

namespace trtutils::plan {

/// Throws ModelError("inconsistent plan: ...") naming the first problem:
/// a malformed target arch, duplicate or empty names, tensor ids that are not
/// their positions, layers referring to missing tensors or reading a tensor
/// before any layer writes it, a tensor written twice, arena ranges beyond the
/// arena, weights ranges outside the weights section or not 256-byte aligned,
/// constants whose size does not match their dims, IO specs that do not match
/// their tensors or lack a valid min/opt/max profile for a dynamic dim.
/// A dynamic-batch plan: its batch range and buckets (see batch_buckets.hpp)
/// and each bucket's static plan, the message then naming the bucket.
void validate_plan(const Plan& plan);

}  // namespace trtutils::plan
