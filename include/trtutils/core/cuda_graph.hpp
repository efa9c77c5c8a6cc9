#pragma once
// CUDA graphs: record the work queued on a stream once (stream capture),
// instantiate it, and replay it with one launch. CudaGraph owns the recorded
// graph, GraphExec the instantiated one; GraphCapture is the capture scope;
// GraphReplay is the capture-once / launch-many object an engine keeps.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <utility>

#include "trtutils/core/stream.hpp"

namespace trtutils::core {

/// What a recorded graph holds: its nodes by type and how they are linked.
/// The cost of one cudaGraphLaunch depends on these (a straight line of
/// kernel nodes launches in about constant time; other node types, branches
/// and launch attributes can make it grow with the node count).
struct GraphSummary {
  std::size_t nodes = 0;
  std::size_t kernel_nodes = 0;
  std::size_t memcpy_nodes = 0;
  std::size_t memset_nodes = 0;
  std::size_t other_nodes = 0;  ///< host, event, child graph, conditional, ...
  std::size_t edges = 0;
  /// Edges of programmatic dependent launch (a kernel may start before the
  /// one it depends on has finished).
  std::size_t programmatic_edges = 0;
  /// Kernel nodes launched with a thread-block cluster of more than one block.
  std::size_t cluster_kernel_nodes = 0;
  /// Every node has at most one dependency and one dependent, and they form
  /// one chain (what a single-stream capture gives).
  bool straight_line = true;
};

/// Owns a cudaGraph_t. Move-only.
class CudaGraph {
 public:
  CudaGraph() = default;
  /// Takes ownership of `graph`.
  explicit CudaGraph(cudaGraph_t graph) noexcept : graph_(graph) {}
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;
  CudaGraph(CudaGraph&& other) noexcept : graph_(std::exchange(other.graph_, nullptr)) {}
  CudaGraph& operator=(CudaGraph&& other) noexcept;
  ~CudaGraph();

  cudaGraph_t handle() const noexcept { return graph_; }
  bool empty() const noexcept { return graph_ == nullptr; }
  std::size_t node_count() const;
  /// Counts its nodes and edges (an empty graph: all zero).
  GraphSummary summary() const;

 private:
  cudaGraph_t graph_ = nullptr;
};

/// Which CUDA calls a capture forbids while it runs (cudaStreamCaptureMode):
/// kGlobal also catches unsafe calls (e.g. cudaMalloc) made by other threads.
enum class CaptureMode { kGlobal, kThreadLocal, kRelaxed };

/// True while `stream` is recording into a graph.
bool is_capturing(StreamView stream);

/// A stream-capture scope: construction begins capturing `stream`, end()
/// finishes and returns the graph. If the scope is left without end() (an
/// exception), the capture is ended and discarded, so the stream never stays
/// in capture mode. Neither copyable nor movable.
class GraphCapture {
 public:
  /// InvalidArgument for the legacy default stream, which cannot be captured.
  explicit GraphCapture(StreamView stream, CaptureMode mode = CaptureMode::kGlobal);
  GraphCapture(const GraphCapture&) = delete;
  GraphCapture& operator=(const GraphCapture&) = delete;
  ~GraphCapture();

  /// Ends the capture. CudaError (stream left out of capture mode) if the
  /// capture was invalidated, e.g. by a synchronising call during it.
  CudaGraph end();
  /// True from construction until end() (or the destructor).
  bool is_capturing() const noexcept { return capturing_; }
  StreamView stream() const noexcept { return stream_; }

 private:
  StreamView stream_;
  bool capturing_ = false;
};

/// Captures what `record(stream)` queues on `stream` into a graph. If
/// `record` throws, the capture is ended and the exception propagates.
template <typename Record>
CudaGraph capture_graph(StreamView stream, Record&& record,
                        CaptureMode mode = CaptureMode::kGlobal) {
  GraphCapture capture(stream, mode);
  std::forward<Record>(record)(stream);
  return capture.end();
}

enum class GraphUpdateResult {
  kInstantiated,    ///< there was no executable graph yet
  kUpdated,         ///< parameters updated in place (cudaGraphExecUpdate)
  kReinstantiated,  ///< the topology (or a non-updatable node) changed: instantiated anew
};

/// Owns an instantiated, launchable graph (cudaGraphExec_t). Move-only.
class GraphExec {
 public:
  GraphExec() = default;
  /// Instantiates `graph`; InvalidArgument if it is empty.
  explicit GraphExec(const CudaGraph& graph);
  GraphExec(const GraphExec&) = delete;
  GraphExec& operator=(const GraphExec&) = delete;
  GraphExec(GraphExec&& other) noexcept : exec_(std::exchange(other.exec_, nullptr)) {}
  GraphExec& operator=(GraphExec&& other) noexcept;
  ~GraphExec();

  /// Queues one replay of the graph on `stream`.
  void launch(StreamView stream) const;
  /// Makes this executable run `graph` instead: in place when CUDA allows
  /// (same topology, updatable node changes such as new pointers), otherwise
  /// by instantiating `graph` afresh.
  GraphUpdateResult update(const CudaGraph& graph);

  cudaGraphExec_t handle() const noexcept { return exec_; }
  bool empty() const noexcept { return exec_ == nullptr; }

 private:
  cudaGraphExec_t exec_ = nullptr;
};

/// Capture once, launch many times; recapturing updates the executable in
/// place where possible (the Python trtutils CUDAGraph, start/stop/launch).
class GraphReplay {
 public:
  /// Captures `record(stream)`; the first capture instantiates, later ones update.
  template <typename Record>
  GraphUpdateResult capture(StreamView stream, Record&& record,
                            CaptureMode mode = CaptureMode::kGlobal) {
    return adopt(capture_graph(stream, std::forward<Record>(record), mode));
  }
  /// Takes a graph captured elsewhere, as capture() would.
  GraphUpdateResult adopt(CudaGraph graph);
  bool is_captured() const noexcept { return !exec_.empty(); }
  /// InvalidArgument unless is_captured().
  void launch(StreamView stream) const;
  /// Drops the graph; is_captured() becomes false.
  void reset() noexcept;

  const CudaGraph& graph() const noexcept { return graph_; }
  const GraphExec& exec() const noexcept { return exec_; }

 private:
  CudaGraph graph_;
  GraphExec exec_;
};

}  // namespace trtutils::core
