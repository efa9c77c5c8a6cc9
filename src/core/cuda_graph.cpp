#include "trtutils/core/cuda_graph.hpp"

#include <unordered_map>
#include <vector>

#include "trtutils/core/cuda_check.hpp"

namespace trtutils::core {
namespace {

cudaStreamCaptureMode to_cuda(CaptureMode mode) {
  switch (mode) {
    case CaptureMode::kGlobal: return cudaStreamCaptureModeGlobal;
    case CaptureMode::kThreadLocal: return cudaStreamCaptureModeThreadLocal;
    case CaptureMode::kRelaxed: return cudaStreamCaptureModeRelaxed;
  }
  return cudaStreamCaptureModeGlobal;
}

}  // namespace

// --- CudaGraph --------------------------------------------------------------

CudaGraph& CudaGraph::operator=(CudaGraph&& other) noexcept {
  if (this != &other) {
    CudaGraph old(std::move(*this));
    graph_ = std::exchange(other.graph_, nullptr);
  }
  return *this;
}

CudaGraph::~CudaGraph() {
  if (graph_ != nullptr && cudaGraphDestroy(graph_) != cudaSuccess) (void)cudaGetLastError();
}

std::size_t CudaGraph::node_count() const {
  if (graph_ == nullptr) return 0;
  std::size_t count = 0;
  TRTUTILS_CUDA_CHECK(cudaGraphGetNodes(graph_, nullptr, &count));
  return count;
}

GraphSummary CudaGraph::summary() const {
  GraphSummary summary;
  if (graph_ == nullptr) return summary;
  std::size_t count = node_count();
  std::vector<cudaGraphNode_t> nodes(count);
  if (count > 0) TRTUTILS_CUDA_CHECK(cudaGraphGetNodes(graph_, nodes.data(), &count));
  nodes.resize(count);
  summary.nodes = count;
  for (const cudaGraphNode_t node : nodes) {
    cudaGraphNodeType type = cudaGraphNodeTypeEmpty;
    TRTUTILS_CUDA_CHECK(cudaGraphNodeGetType(node, &type));
    switch (type) {
      case cudaGraphNodeTypeKernel: {
        ++summary.kernel_nodes;
        cudaKernelNodeAttrValue cluster{};
        // Not every driver reports the attribute for every kernel node: unknown counts as none.
        const cudaError_t status =
            cudaGraphKernelNodeGetAttribute(node, cudaLaunchAttributeClusterDimension, &cluster);
        const std::size_t blocks =
            std::size_t{cluster.clusterDim.x} * cluster.clusterDim.y * cluster.clusterDim.z;
        if (status != cudaSuccess) {
          (void)cudaGetLastError();
        } else if (blocks > 1) {
          ++summary.cluster_kernel_nodes;
        }
        break;
      }
      case cudaGraphNodeTypeMemcpy: ++summary.memcpy_nodes; break;
      case cudaGraphNodeTypeMemset: ++summary.memset_nodes; break;
      default: ++summary.other_nodes; break;
    }
  }
  std::size_t edge_count = 0;
  TRTUTILS_CUDA_CHECK(cudaGraphGetEdges(graph_, nullptr, nullptr, nullptr, &edge_count));
  std::vector<cudaGraphNode_t> from(edge_count);
  std::vector<cudaGraphNode_t> to(edge_count);
  std::vector<cudaGraphEdgeData> data(edge_count);
  if (edge_count > 0) {
    TRTUTILS_CUDA_CHECK(
        cudaGraphGetEdges(graph_, from.data(), to.data(), data.data(), &edge_count));
  }
  summary.edges = edge_count;
  std::unordered_map<cudaGraphNode_t, int> in_degree;
  std::unordered_map<cudaGraphNode_t, int> out_degree;
  for (std::size_t e = 0; e < edge_count; ++e) {
    if (data[e].type == cudaGraphDependencyTypeProgrammatic) ++summary.programmatic_edges;
    const int outs = ++out_degree[from[e]];
    const int ins = ++in_degree[to[e]];
    if (outs > 1 || ins > 1) summary.straight_line = false;
  }
  // n nodes with no fan-in or fan-out form one chain exactly when there are n - 1 edges.
  if (count > 0 && edge_count != count - 1) summary.straight_line = false;
  return summary;
}

// --- capture ----------------------------------------------------------------

bool is_capturing(StreamView stream) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  TRTUTILS_CUDA_CHECK(cudaStreamIsCapturing(stream.handle(), &status));
  // An invalidated capture still holds the stream in capture mode until it is ended.
  return status != cudaStreamCaptureStatusNone;
}

GraphCapture::GraphCapture(StreamView stream, CaptureMode mode) : stream_(stream) {
  TRTUTILS_CHECK(stream.handle() != nullptr,
                 "GraphCapture: the legacy default stream cannot be captured; ",
                 "capture a Stream (created non-blocking) instead");
  TRTUTILS_CUDA_CHECK(cudaStreamBeginCapture(stream.handle(), to_cuda(mode)));
  capturing_ = true;
}

GraphCapture::~GraphCapture() {
  if (!capturing_) return;
  cudaGraph_t discarded = nullptr;
  if (cudaStreamEndCapture(stream_.handle(), &discarded) != cudaSuccess) {
    (void)cudaGetLastError();
  }
  if (discarded != nullptr) (void)cudaGraphDestroy(discarded);
}

CudaGraph GraphCapture::end() {
  TRTUTILS_CHECK(capturing_, "GraphCapture::end called twice");
  capturing_ = false;
  cudaGraph_t graph = nullptr;
  const cudaError_t status = cudaStreamEndCapture(stream_.handle(), &graph);
  CudaGraph owned(graph);  // destroys a partial graph if we throw below
  TRTUTILS_CUDA_CHECK(status);
  return owned;
}

// --- GraphExec --------------------------------------------------------------

GraphExec::GraphExec(const CudaGraph& graph) {
  TRTUTILS_CHECK(!graph.empty(), "GraphExec: cannot instantiate an empty CudaGraph");
  TRTUTILS_CUDA_CHECK(cudaGraphInstantiate(&exec_, graph.handle(), 0));
}

GraphExec& GraphExec::operator=(GraphExec&& other) noexcept {
  if (this != &other) {
    GraphExec old(std::move(*this));
    exec_ = std::exchange(other.exec_, nullptr);
  }
  return *this;
}

GraphExec::~GraphExec() {
  if (exec_ != nullptr && cudaGraphExecDestroy(exec_) != cudaSuccess) (void)cudaGetLastError();
}

void GraphExec::launch(StreamView stream) const {
  TRTUTILS_CHECK(exec_ != nullptr, "GraphExec::launch: nothing instantiated");
  TRTUTILS_CUDA_CHECK(cudaGraphLaunch(exec_, stream.handle()));
}

GraphUpdateResult GraphExec::update(const CudaGraph& graph) {
  TRTUTILS_CHECK(!graph.empty(), "GraphExec::update: the new CudaGraph is empty");
  if (exec_ == nullptr) {
    *this = GraphExec(graph);
    return GraphUpdateResult::kInstantiated;
  }
  cudaGraphExecUpdateResultInfo info{};
  const cudaError_t status = cudaGraphExecUpdate(exec_, graph.handle(), &info);
  if (status == cudaSuccess) return GraphUpdateResult::kUpdated;
  // cudaErrorGraphExecUpdateFailure: the executable is unchanged and still
  // valid, but this graph differs in a way that needs a new instantiation
  // (info.result says which: topology, node type, function, ...).
  if (status != cudaErrorGraphExecUpdateFailure) TRTUTILS_CUDA_CHECK(status);
  (void)cudaGetLastError();
  *this = GraphExec(graph);
  return GraphUpdateResult::kReinstantiated;
}

// --- GraphReplay ------------------------------------------------------------

GraphUpdateResult GraphReplay::adopt(CudaGraph graph) {
  const GraphUpdateResult result = exec_.update(graph);
  graph_ = std::move(graph);
  return result;
}

void GraphReplay::launch(StreamView stream) const {
  TRTUTILS_CHECK(is_captured(), "GraphReplay::launch: nothing captured yet; call capture() first");
  exec_.launch(stream);
}

void GraphReplay::reset() noexcept {
  exec_ = GraphExec();
  graph_ = CudaGraph();
}

}  // namespace trtutils::core
