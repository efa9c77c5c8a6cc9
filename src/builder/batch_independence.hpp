#pragma once
// The structural check that lets a dynamic-batch engine pad a batch to the
// next bucket: no node may combine samples of the batch (axis 0), so the
// outputs for the first b samples never depend on the others.
#include <set>
#include <string>

#include "trtutils/ir/graph.hpp"

namespace trtutils::builder {

/// `graph` is prepared (static shapes, simplified) at batch `batch` >= 2;
/// `batched_inputs` names the graph inputs whose axis 0 is the batch.
/// Follows every value computed from them and throws UnsupportedError naming
/// the first node that moves the batch off axis 0 (an output whose axis 0 is
/// not `batch`, a Transpose moving axis 0) or works along it (an `axis` or
/// `axes` attribute naming axis 0, MeanVarianceNormalization over its
/// default axes, BatchNormalization in training mode). Structural, not
/// numeric: an op that mixes samples while keeping the shapes and names no
/// axis attribute is not seen.
void check_batch_independent(const ir::Graph& graph, const std::set<std::string>& batched_inputs,
                             std::int64_t batch);

}  // namespace trtutils::builder
