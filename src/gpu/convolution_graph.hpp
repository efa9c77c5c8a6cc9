#pragma once
// One convolution as a cuDNN graph-API operation graph, the engines cuDNN's
// heuristics propose for it, and execution plans for a chosen engine.
//
// Why beside the legacy cudnnConvolutionForward path: on sm_90 cuDNN 9's
// legacy algorithm enum reaches only its generic implicit-GEMM kernels for
// most NHWC f16 shapes (50-120 us for a 1x1 convolution at batch 1, where the
// graph API's xmma / cutlass tensor-core engines take 5-15 us), so the builder
// times both and keeps the faster.
//
// The graph is y = conv(x, w), or, fused, y = act(conv(x, w) [+ bias] [+ z])
// with the intermediates kept in f32 inside the engine (act: any of the
// ConvolutionDesc activations, as cuDNN pointwise operations; precompiled
// engines cover bias + ReLU, runtime-compiled ones the rest). An engine is stored
// as cuDNN's global engine index plus its knob choices (plain integers for
// the plan file) and rebuilt into an execution plan at load.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gpu/cudnn_backend.hpp"
#include "trtutils/gpu/convolution_desc.hpp"

namespace trtutils::gpu::detail {

/// Variant-pack unique ids of the graph's real tensors.
enum ConvolutionGraphTensor : std::int64_t { kGraphX = 1, kGraphW = 2, kGraphY = 3, kGraphBias = 4, kGraphZ = 5 };

/// A heuristic proposal: the engine, its knobs, and what cuDNN notes about it.
struct GraphEngineCandidate {
  std::int64_t engine = -1;
  std::vector<std::int64_t> knobs;  ///< (knob type, value) pairs
  bool runtime_compiled = false;    ///< finalizing its plan compiles a kernel (slow load)
  bool tensor_core = false;
};

/// A finalized execution plan and the engine, knob-choice and engine-config
/// descriptors it was made from (kept alive with it).
struct GraphPlan {
  std::vector<BackendDescriptor> parts;
  BackendDescriptor plan;
};

/// Whether a fused graph has anything to fuse: a bias, a residual or an
/// activation.
bool has_graph_epilogue(const ConvolutionDesc& desc) noexcept;

class ConvolutionGraph {
 public:
  /// Builds and finalizes the operation graph (host-side; `handle` supplies
  /// the device cuDNN plans for). `fused`: bias, z and the activation ride
  /// inside (has_graph_epilogue must hold).
  ConvolutionGraph(const ConvolutionDesc& desc, bool fused, cudnnHandle_t handle);

  /// Engines cuDNN's heuristics (mode A, then the fallback list) propose,
  /// best first, without repeats, at most `max_count`. Engines that would
  /// make f32 run with TF32 or down-converted inputs are left out unless the
  /// description allows TF32.
  std::vector<GraphEngineCandidate> candidates(std::size_t max_count) const;

  /// A finalized execution plan for `engine` with `knobs`; CudaError with
  /// CUDNN_STATUS_NOT_SUPPORTED* when this engine cannot run the graph.
  GraphPlan make_plan(std::int64_t engine, const std::vector<std::int64_t>& knobs,
                      cudnnHandle_t handle) const;

  /// The unique ids a variant pack for this graph names, in the order
  /// x, w, y[, bias][, z].
  const std::vector<std::int64_t>& tensor_ids() const noexcept { return tensor_ids_; }

 private:
  bool allow_reduced_precision_ = true;
  std::vector<BackendDescriptor> parts_;  // tensors and operations the graph refers to
  BackendDescriptor graph_;
  std::vector<std::int64_t> tensor_ids_;
};

/// An execution plan with the operation graph its engine refers to: made
/// once per (handle, convolution, engine) and shared by every layer of a
/// context that runs the same convolution the same way.
struct PreparedGraph {
  PreparedGraph(std::shared_ptr<const ConvolutionGraph> graph, GraphPlan plan);
  std::shared_ptr<const ConvolutionGraph> graph;
  GraphPlan plan;
  std::uint64_t workspace_bytes = 0;
};

/// A prepared graph with this layer's variant pack, re-made only when a
/// pointer changes (host-only), so a warm execute() allocates nothing.
class GraphExecution {
 public:
  explicit GraphExecution(std::shared_ptr<const PreparedGraph> prepared);
  std::uint64_t workspace_bytes() const noexcept { return prepared_->workspace_bytes; }
  const std::shared_ptr<const PreparedGraph>& prepared() const noexcept { return prepared_; }
  /// `pointers` in tensor_ids() order.
  void execute(cudnnHandle_t handle, const std::vector<void*>& pointers, void* workspace);

 private:
  std::shared_ptr<const PreparedGraph> prepared_;
  BackendDescriptor variant_pack_;
  std::vector<std::int64_t> tensor_ids_;
  std::vector<void*> bound_;
  void* bound_workspace_ = nullptr;
};

/// "engine 12 (knobs 3=1 17=0)" for logs and `inspect`.
std::string describe_engine(std::int64_t engine, const std::vector<std::int64_t>& knobs);

}  // namespace trtutils::gpu::detail
