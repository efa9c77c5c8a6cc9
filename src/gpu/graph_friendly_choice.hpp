#pragma once
// Autotuning's tie-break for CUDA graphs: a replay of a graph made only of
// kernel nodes costs the host about the same whatever its length, while
// memset / memcpy nodes (split-K reductions zeroing their counters, for
// instance) make every replay cost more (measured: 20-50 us instead of 3-5 us
// for a batch-32 ResNet / ViT). So a candidate that records only kernels is
// preferred when it is at most kKernelsOnlyTolerance slower on the GPU.
#include <utility>

#include "trtutils/core/cuda_graph.hpp"
#include "trtutils/core/error.hpp"

namespace trtutils::gpu::detail {

inline constexpr double kKernelsOnlyTolerance = 1.03;

/// Whether what `record(stream)` queues is recorded as kernel nodes only
/// (false when it cannot be captured at all).
template <typename Record>
bool records_kernels_only(core::StreamView stream, Record&& record) {
  try {
    const core::GraphSummary summary =
        core::capture_graph(stream, std::forward<Record>(record), core::CaptureMode::kThreadLocal)
            .summary();
    return summary.nodes == summary.kernel_nodes;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace trtutils::gpu::detail
