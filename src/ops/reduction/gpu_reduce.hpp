#pragma once
// GPU lowering of the reduction family (Reduce*, ArgMax, ArgMin), CUDA-free:
// one generator of CUDA C++ for NVRTC.
//
// The input's dims are simplified first (extent-1 dims dropped, neighbours
// that are both reduced or both kept merged), so contiguous axes become the
// permute-free [outer, reduce, inner] form and any other axis set a short
// list of kept and reduced (extent, stride) pairs, all literals in the source.
// An output's elements are then walked without any transpose:
//   - a thread per output when the reduced extent is small, or when the
//     reduced dims are not innermost (neighbouring threads then read
//     neighbouring addresses);
//   - a warp per output (8 per block, shuffles) when the innermost dim is
//     reduced;
//   - a 256-thread block per output (shuffles + shared memory) when the
//     extent is large and outputs few.
// Accumulation matches the CPU reference: f32 for f16/bf16/f32, f64 for f64,
// int64 for integers and bool (f64 for Mean/L2/LogSum/LogSumExp of
// integers); Max/Min propagate NaN; LogSumExp is log(sum(exp(x))) as in the
// reference (no max shift). ArgMax/ArgMin give exactly the CPU's index:
// first (or, with select_last_index, last) extreme; a NaN at index 0 wins,
// other NaNs are never picked (the reference's sequential scan).
#include <cstdint>
#include <optional>
#include <vector>

#include "trtutils/ops/gpu_lowering.hpp"

namespace trtutils::ops::reduction {

enum class GpuReduceKind {
  kSum, kMean, kMax, kMin, kProd, kL1, kL2, kSumSquare, kLogSum, kLogSumExp, kArgMax, kArgMin
};

/// How the generated kernel maps work to threads (see the file comment).
/// kColumnSplit: the innermost dim is kept (e.g. a spatial mean over NHWC,
/// as in squeeze-excitation blocks): a block takes 32 neighbouring outputs
/// (coalesced loads) and kColumnSplitRows rows of threads share each one's
/// reduced extent, merged through shared memory. Before it those ran one
/// thread per output: a few thousand threads for the whole GPU.
enum class ReduceStrategy { kThreadPerOutput, kWarpPerOutput, kBlockPerOutput, kColumnSplit };
inline constexpr std::int64_t kColumnSplitRows = 16;

struct GpuReduction {
  GpuReduceKind kind = GpuReduceKind::kSum;
  bool select_last_index = false;  // ArgMax/ArgMin
  /// Forces a strategy (tests); the heuristic chooses when unset.
  std::optional<ReduceStrategy> strategy;
};

/// The launch reducing `in` over the dims marked in `reduced` into `out`
/// (element count = product of the kept dims; keepdims does not matter).
/// `in` and `out` dtypes may differ (fp16 builds); ArgMax/ArgMin write int64
/// (or any integer `out`).
KernelLaunch reduction_launch(const GpuReduction& op, const GpuTensor& in, const GpuTensor& out,
                              const std::vector<bool>& reduced);

/// The strategy the heuristic picks for `shape` reduced over `reduced`.
ReduceStrategy choose_strategy(const Shape& shape, const std::vector<bool>& reduced);

/// Emits the reduction of input 0 into output 0 as one layer "<node>/reduce";
/// nothing for an empty output.
void emit_reduction(LoweringContext& ctx, const GpuReduction& op, const std::vector<bool>& reduced);

}  // namespace trtutils::ops::reduction
