#pragma once
// A convolution ready to run on cuDNN: the descriptors for one
// ConvolutionDesc, the algorithm chosen for it by timing, and an execute()
// that allocates no device memory and never synchronises, so it can be
// captured into a CUDA graph.
//
//   ConvolutionPlan plan(desc);                       // host-only: validates, builds descriptors
//   auto ranked = plan.find_algorithms(handle, stream, buffers, workspace, bytes);  // timed
//   ConvolutionAlgorithm chosen = plan.autotune(handle, stream, buffers, workspace, bytes);
//   ... store chosen (plain integers) in the plan file; at load: plan.set_algorithm(chosen)
//   auto execution = plan.prepare(handle, &cache);    // graph-API algorithms: per handle
//   plan.execute(handle, stream, buffers, workspace, bytes, execution.get());  // queued
//
// The handle is re-pointed at `stream` (cudnnSetStream, host-only) by each
// call; one handle must not be used by two threads at once.
//
// The algorithm is either one of cuDNN's legacy forward algorithms or an
// engine of cuDNN's graph API (the sm_90 tensor-core kernels the legacy enum
// does not reach for most NHWC f16 shapes); autotune times both.
// Epilogue: bias + ReLU (with or without the residual z) runs fused, in
// cudnnConvolutionBiasActivationForward or inside the engine's operation
// graph. Everything else (identity with bias, sigmoid, tanh, clipped ReLU,
// residual without bias) runs the convolution and then one element-wise
// epilogue kernel (compiled with NVRTC when the algorithm is set) that
// applies y = act(y + bias + z) in place.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "trtutils/gpu/convolution_desc.hpp"
#include "trtutils/gpu/cudnn_handle.hpp"

namespace trtutils::gpu {

namespace detail {
class ConvolutionGraph;
struct PreparedGraph;
}  // namespace detail

/// The chosen algorithm, as the plan file stores it.
struct ConvolutionAlgorithm {
  std::int32_t algorithm = -1;        ///< cudnnConvolutionFwdAlgo_t
  std::int32_t math_type = 0;         ///< cudnnMathType_t it was timed with
  std::uint64_t workspace_bytes = 0;  ///< what it needs
  /// True: bias + ReLU ride in cudnnConvolutionBiasActivationForward (or,
  /// for a graph-API engine, bias, residual and any activation ride inside
  /// its operation graph); false: a separate epilogue kernel (or none)
  /// follows the convolution.
  bool fused_epilogue = false;
  /// >= 0: a cuDNN graph-API engine (cuDNN's global engine index) with
  /// `knobs` ((knob type, value) pairs) runs the convolution instead of the
  /// legacy `algorithm` / `math_type`, which are then unused. -1: legacy.
  std::int64_t engine = -1;
  std::vector<std::int64_t> knobs;
  bool uses_graph_api() const noexcept { return engine >= 0; }
  friend bool operator==(const ConvolutionAlgorithm&, const ConvolutionAlgorithm&) = default;
};

/// What a graph-API algorithm runs with on one cuDNN handle: its execution
/// plan (made for that handle) and the variant pack of the last pointers.
/// One per (context, layer); not for two threads at once.
class ConvolutionExecution {
 public:
  ~ConvolutionExecution();
  ConvolutionExecution(const ConvolutionExecution&) = delete;
  ConvolutionExecution& operator=(const ConvolutionExecution&) = delete;

 private:
  friend class ConvolutionPlan;
  struct Impl;
  explicit ConvolutionExecution(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// One timed candidate from find_algorithms (fastest first).
struct ConvolutionAlgorithmTiming {
  ConvolutionAlgorithm algorithm;
  float time_ms = 0.0f;  ///< of the convolution alone, as cuDNN measured it
  bool deterministic = false;
};

/// Device pointers for one execution; bias / z may be null when the
/// description has none. Packed tensors in the description's layout.
struct ConvolutionBuffers {
  const void* x = nullptr;
  const void* w = nullptr;
  const void* bias = nullptr;
  const void* z = nullptr;
  void* y = nullptr;
};

/// "cuDNN graph engine 12 (knobs 3=1 17=0)" for logs and `inspect`.
std::string describe_graph_engine(const ConvolutionAlgorithm& algorithm);

/// Execution plans of graph-API convolutions made for one cuDNN handle,
/// shared between the layers that run the same convolution with the same
/// engine (a ResNet repeats its blocks), so a context makes (and, for
/// runtime-compiled engines, compiles) each only once. One per handle.
class ConvolutionPlanCache {
 public:
  ConvolutionPlanCache();
  ~ConvolutionPlanCache();
  ConvolutionPlanCache(const ConvolutionPlanCache&) = delete;
  ConvolutionPlanCache& operator=(const ConvolutionPlanCache&) = delete;
  /// Distinct execution plans made so far.
  std::size_t size() const noexcept;

 private:
  friend class ConvolutionPlan;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class ConvolutionPlan {
 public:
  /// Validates `desc` and builds the cuDNN descriptors (host-only, no GPU).
  /// InvalidArgument for an invalid description; UnsupportedError with
  /// cudnn_support()'s reason when cuDNN cannot run it (asymmetric pads...).
  explicit ConvolutionPlan(ConvolutionDesc desc);
  ~ConvolutionPlan();
  ConvolutionPlan(ConvolutionPlan&&) noexcept;
  ConvolutionPlan& operator=(ConvolutionPlan&&) noexcept;
  ConvolutionPlan(const ConvolutionPlan&) = delete;
  ConvolutionPlan& operator=(const ConvolutionPlan&) = delete;

  const ConvolutionDesc& desc() const noexcept;
  const std::vector<std::int64_t>& output_shape() const noexcept;
  /// True when bias + ReLU can ride in cuDNN's legacy fused call (has_bias
  /// and activation == kRelu).
  bool can_fuse_epilogue() const noexcept;
  /// True when a graph-API engine can carry the epilogue inside its
  /// operation graph: there is a bias, a residual or an activation.
  bool can_fuse_graph_epilogue() const noexcept;

  /// Times every cuDNN algorithm on the given buffers within
  /// `workspace_bytes` (cudnnFindConvolutionForwardAlgorithmEx; overwrites
  /// y; synchronises). Returns those that ran, fastest first. For f32 without
  /// allow_tf32, tensor-core (TF32) results are dropped.
  std::vector<ConvolutionAlgorithmTiming> find_algorithms(CudnnHandle& handle,
                                                          core::StreamView stream,
                                                          const ConvolutionBuffers& buffers,
                                                          void* workspace,
                                                          std::size_t workspace_bytes) const;

  /// Times the whole path (convolution + epilogue) of cuDNN's best few
  /// candidates with CUDA events and keeps the fastest that runs: the legacy
  /// algorithms find_algorithms ranks first (epilogue fused into cuDNN's call
  /// where possible, and unfused), and the graph-API engines cuDNN's
  /// heuristics propose for the bare convolution and, with bias + ReLU, for
  /// the fused graph (engines that compile a kernel when their plan is made
  /// only with `allow_runtime_compiled`). Sets and returns the choice.
  /// Synchronises. With TRTUTILS_AUTOTUNE_LOG set, every candidate and its
  /// times go to stderr. InvalidArgument if nothing fits `workspace_bytes`.
  ConvolutionAlgorithm autotune(CudnnHandle& handle, core::StreamView stream,
                                const ConvolutionBuffers& buffers, void* workspace,
                                std::size_t workspace_bytes, bool allow_runtime_compiled = true);

  /// Adopts a choice (e.g. from a plan file). Compiles the epilogue kernel
  /// when the unfused path needs one (needs a GPU then). InvalidArgument for
  /// an algorithm number out of range, odd knob list, or fused_epilogue
  /// without can_fuse_epilogue() (legacy) / can_fuse_graph_epilogue(). A graph-API engine is only checked when
  /// prepare() builds its plan.
  void set_algorithm(const ConvolutionAlgorithm& algorithm);

  /// For a graph-API algorithm: its execution plan made for `handle` (host
  /// work: milliseconds, or a kernel compile for a runtime-compiled engine).
  /// Null for a legacy algorithm. CudaError when this cuDNN cannot build the
  /// stored engine (a plan file from another cuDNN or GPU: rebuild it).
  /// With `cache` (made for the same handle), an identical convolution's
  /// execution plan is reused instead of made again.
  std::unique_ptr<ConvolutionExecution> prepare(CudnnHandle& handle,
                                                ConvolutionPlanCache* cache = nullptr) const;
  const std::optional<ConvolutionAlgorithm>& algorithm() const noexcept;
  /// The chosen algorithm's workspace need (0 before one is set).
  std::size_t workspace_bytes() const noexcept;

  /// Queues the convolution and its epilogue on `stream`. No device
  /// allocation, no synchronisation. InvalidArgument (before any GPU work)
  /// when no algorithm is set, a needed pointer is null (or, graph API, not
  /// 16-byte aligned), or `workspace_bytes` is below workspace_bytes().
  /// A graph-API algorithm runs with `execution` (from prepare() with this
  /// handle); without one, the plan makes and keeps its own on first use,
  /// which is for single-threaded callers (tests, autotune), not contexts.
  void execute(CudnnHandle& handle, core::StreamView stream, const ConvolutionBuffers& buffers,
               void* workspace, std::size_t workspace_bytes,
               ConvolutionExecution* execution = nullptr) const;

 private:
  /// Mean time of `algorithm`'s whole path over a few runs after one warm-up;
  /// nullopt when cuDNN refuses it (NOT_SUPPORTED / BAD_PARAM).
  std::optional<float> time_path(CudnnHandle& handle, core::StreamView stream,
                                 const ConvolutionBuffers& buffers, void* workspace,
                                 std::size_t workspace_bytes, const ConvolutionAlgorithm& algorithm,
                                 ConvolutionExecution* execution);
  static std::unique_ptr<ConvolutionExecution> make_execution(
      std::shared_ptr<const detail::ConvolutionGraph> graph, const ConvolutionAlgorithm& algorithm,
      CudnnHandle& handle);
  static std::unique_ptr<ConvolutionExecution> wrap_execution(
      std::shared_ptr<const detail::PreparedGraph> prepared);
  static std::uint64_t execution_workspace(const ConvolutionExecution& execution);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trtutils::gpu
