#pragma once
// A MatmulDesc ready to run on cuBLASLt, with the algorithm chosen by timing
// the heuristic's candidates, and an execute() that allocates nothing and
// never synchronises (capturable into a CUDA graph).
//
//   MatmulPlan plan(desc);                    // host-only: validates, builds descriptors
//   MatmulAlgorithm chosen = plan.autotune(handle, stream, buffers, workspace, bytes);
//   ... store chosen (8 + 1 integers) in the plan file; at load: plan.set_algorithm(chosen)
//   plan.execute(handle, stream, buffers, workspace, bytes);
//
// Row-major to cuBLASLt: cuBLASLt is column-major, and a row-major M x N
// matrix is the column-major N x M matrix with the same bytes. So the plan
// asks cuBLASLt for D^T = op(B)^T op(A)^T (N x M, column-major): B's buffer
// is cuBLASLt's "A", A's buffer its "B"; the bias (length N) is then per row
// of cuBLASLt's D, as its BIAS epilogue wants.
//
// execute() writes the bias pointer into the plan's cuBLASLt descriptor, so
// one plan must not execute on two threads at once.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "trtutils/core/stream.hpp"
#include "trtutils/gpu/cublaslt_handle.hpp"
#include "trtutils/gpu/matmul_desc.hpp"

namespace trtutils::gpu {

/// The chosen algorithm as the plan file stores it: cublasLtMatmulAlgo_t's
/// eight opaque words (valid for the same cuBLASLt version and GPU) and the
/// workspace it needs.
struct MatmulAlgorithm {
  std::array<std::uint64_t, 8> data{};
  std::uint64_t workspace_bytes = 0;
  friend bool operator==(const MatmulAlgorithm&, const MatmulAlgorithm&) = default;
};

struct MatmulAlgorithmTiming {
  MatmulAlgorithm algorithm;
  float time_ms = 0.0f;  ///< mean of the timed runs
};

/// Device pointers; c may be null when beta == 0, bias null without a bias
/// epilogue. d may equal c (in place).
struct MatmulBuffers {
  const void* a = nullptr;
  const void* b = nullptr;
  const void* c = nullptr;
  void* d = nullptr;
  const void* bias = nullptr;
};

class MatmulPlan {
 public:
  /// Validates and builds the cuBLASLt descriptors (host-only, no GPU).
  explicit MatmulPlan(MatmulDesc desc);
  ~MatmulPlan();
  MatmulPlan(MatmulPlan&&) noexcept;
  MatmulPlan& operator=(MatmulPlan&&) noexcept;
  MatmulPlan(const MatmulPlan&) = delete;
  MatmulPlan& operator=(const MatmulPlan&) = delete;

  const MatmulDesc& desc() const noexcept;

  /// Asks cublasLtMatmulAlgoGetHeuristic for up to `max_candidates`
  /// algorithms within `workspace_bytes`, runs each `repeats` times on the
  /// given buffers (overwriting d; synchronises) and returns them fastest
  /// first. Candidates that fail to run are dropped.
  std::vector<MatmulAlgorithmTiming> find_algorithms(CublasLtHandle& handle,
                                                     core::StreamView stream,
                                                     const MatmulBuffers& buffers, void* workspace,
                                                     std::size_t workspace_bytes,
                                                     int max_candidates = 8, int repeats = 5);
  /// find_algorithms, then sets and returns the fastest. InvalidArgument
  /// when cuBLASLt offers nothing within the workspace.
  MatmulAlgorithm autotune(CublasLtHandle& handle, core::StreamView stream,
                           const MatmulBuffers& buffers, void* workspace,
                           std::size_t workspace_bytes);
  /// Adopts a stored choice (no check against cuBLASLt until execute).
  void set_algorithm(const MatmulAlgorithm& algorithm);
  const std::optional<MatmulAlgorithm>& algorithm() const noexcept;
  std::size_t workspace_bytes() const noexcept;

  /// Queues the matmul on `stream`. No allocation, no synchronisation.
  /// InvalidArgument (before any GPU work) when no algorithm is set, a
  /// needed pointer is null, or the workspace is smaller than the algorithm's.
  void execute(CublasLtHandle& handle, core::StreamView stream, const MatmulBuffers& buffers,
               void* workspace, std::size_t workspace_bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trtutils::gpu
