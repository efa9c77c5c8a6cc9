#include "trtutils/core/graph_rewrite.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "trtutils/core/cuda_check.hpp"
#include "trtutils/core/error.hpp"
#include "trtutils/core/kernel.hpp"

namespace trtutils::core {
namespace {

// One thread per store unit: 16 bytes where the destination, pitch and row
// length allow it, else 4, else 1. The 32-bit pattern repeats the element's
// value, so a unit's bytes depend only on its offset from the row start
// (rows start element-aligned).
constexpr const char* kFillSource = R"(
extern "C" __global__ void trt_graph_memset(unsigned char* dst, unsigned long long pitch,
                                            unsigned long long units_per_row,
                                            unsigned long long rows, unsigned int unit,
                                            unsigned int pattern) {
  const unsigned long long total = units_per_row * rows;
  for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
       i < total; i += (unsigned long long)gridDim.x * blockDim.x) {
    const unsigned long long row = i / units_per_row;
    const unsigned long long u = i - row * units_per_row;
    unsigned char* p = dst + row * pitch + u * unit;
    if (unit == 16u) {
      *reinterpret_cast<uint4*>(p) = make_uint4(pattern, pattern, pattern, pattern);
    } else if (unit == 4u) {
      *reinterpret_cast<unsigned int*>(p) = pattern;
    } else {
      *p = (unsigned char)(pattern >> (8u * (unsigned)(u & 3u)));
    }
  }
}
)";

constexpr unsigned kThreads = 256;
constexpr unsigned kMaxBlocks = 4096;

/// Kept for the process's lifetime: rewritten graphs point at it.
const Kernel& fill_kernel() {
  static std::mutex mutex;
  static std::map<std::string, const Kernel*> by_arch;
  const std::string arch = current_device_arch();
  const std::lock_guard lock(mutex);
  const Kernel*& kernel = by_arch[arch];
  if (kernel == nullptr) kernel = new Kernel(kFillSource, "trt_graph_memset");
  return *kernel;
}

std::uint32_t repeated_pattern(unsigned value, unsigned element_size) {
  switch (element_size) {
    case 1: return (value & 0xFFu) * 0x01010101u;
    case 2: return (value & 0xFFFFu) * 0x00010001u;
    case 4: return value;
    default: break;
  }
  throw InvalidArgument("replace_memset_nodes: a memset node has element size " +
                        std::to_string(element_size) + "; CUDA allows only 1, 2 or 4");
}

struct Linked {
  std::vector<cudaGraphNode_t> nodes;
  std::vector<cudaGraphEdgeData> edges;
};

using LinkedQuery = cudaError_t (*)(cudaGraphNode_t, cudaGraphNode_t*, cudaGraphEdgeData*,
                                    std::size_t*);

/// The nodes on one side of `node` and their edges: `query` is
/// cudaGraphNodeGetDependencies (before) or cudaGraphNodeGetDependentNodes (after).
Linked linked_by(cudaGraphNode_t node, LinkedQuery query) {
  Linked linked;
  std::size_t count = 0;
  TRTUTILS_CUDA_CHECK(query(node, nullptr, nullptr, &count));
  linked.nodes.resize(count);
  linked.edges.resize(count);
  if (count > 0) TRTUTILS_CUDA_CHECK(query(node, linked.nodes.data(), linked.edges.data(), &count));
  return linked;
}

void replace_one(cudaGraph_t graph, cudaGraphNode_t memset, const Kernel& kernel) {
  cudaMemsetParams params{};
  TRTUTILS_CUDA_CHECK(cudaGraphMemsetNodeGetParams(memset, &params));
  const std::uint32_t pattern = repeated_pattern(params.value, params.elementSize);
  const std::uint64_t row_bytes = std::uint64_t{params.width} * params.elementSize;
  const std::uint64_t rows = std::max<std::uint64_t>(params.height, 1);
  const std::uint64_t pitch = rows > 1 ? params.pitch : row_bytes;
  const auto address = reinterpret_cast<std::uintptr_t>(params.dst);
  auto aligned = [&](std::uint64_t unit) {
    return address % unit == 0 && pitch % unit == 0 && row_bytes % unit == 0;
  };
  const unsigned unit = aligned(16) ? 16u : aligned(4) ? 4u : 1u;
  const std::uint64_t units_per_row = row_bytes / unit;
  const std::uint64_t total = units_per_row * rows;
  const auto blocks = static_cast<unsigned>(
      std::clamp<std::uint64_t>((total + kThreads - 1) / kThreads, 1, kMaxBlocks));

  const KernelArgs args = KernelArgs::of(params.dst, static_cast<unsigned long long>(pitch),
                                         static_cast<unsigned long long>(units_per_row),
                                         static_cast<unsigned long long>(rows), unit, pattern);
  cudaKernelNodeParams node_params{};
  node_params.func = reinterpret_cast<void*>(kernel.handle());  // a cudaKernel_t is accepted here
  node_params.gridDim = dim3(blocks);
  node_params.blockDim = dim3(kThreads);
  node_params.kernelParams = const_cast<void**>(args.pointers().data());

  const Linked before = linked_by(memset, &cudaGraphNodeGetDependencies);
  const Linked after = linked_by(memset, &cudaGraphNodeGetDependentNodes);
  cudaGraphNode_t replacement = nullptr;
  TRTUTILS_CUDA_CHECK(cudaGraphAddKernelNode(&replacement, graph, nullptr, 0, &node_params));
  for (std::size_t i = 0; i < before.nodes.size(); ++i) {
    TRTUTILS_CUDA_CHECK(
        cudaGraphAddDependencies(graph, &before.nodes[i], &replacement, &before.edges[i], 1));
  }
  for (std::size_t i = 0; i < after.nodes.size(); ++i) {
    TRTUTILS_CUDA_CHECK(
        cudaGraphAddDependencies(graph, &replacement, &after.nodes[i], &after.edges[i], 1));
  }
  TRTUTILS_CUDA_CHECK(cudaGraphDestroyNode(memset));
}

}  // namespace

std::size_t replace_memset_nodes(CudaGraph& graph) {
  if (graph.empty()) return 0;
  std::size_t count = graph.node_count();
  std::vector<cudaGraphNode_t> nodes(count);
  if (count > 0) TRTUTILS_CUDA_CHECK(cudaGraphGetNodes(graph.handle(), nodes.data(), &count));
  nodes.resize(count);
  std::vector<cudaGraphNode_t> memsets;
  for (const cudaGraphNode_t node : nodes) {
    cudaGraphNodeType type = cudaGraphNodeTypeEmpty;
    TRTUTILS_CUDA_CHECK(cudaGraphNodeGetType(node, &type));
    if (type == cudaGraphNodeTypeMemset) memsets.push_back(node);
  }
  if (memsets.empty()) return 0;
  const Kernel& kernel = fill_kernel();
  for (const cudaGraphNode_t memset : memsets) replace_one(graph.handle(), memset, kernel);
  return memsets.size();
}

std::size_t make_programmatic_edges_full(CudaGraph& graph) {
  if (graph.empty()) return 0;
  std::size_t count = 0;
  TRTUTILS_CUDA_CHECK(cudaGraphGetEdges(graph.handle(), nullptr, nullptr, nullptr, &count));
  std::vector<cudaGraphNode_t> from(count);
  std::vector<cudaGraphNode_t> to(count);
  std::vector<cudaGraphEdgeData> data(count);
  if (count > 0) {
    TRTUTILS_CUDA_CHECK(
        cudaGraphGetEdges(graph.handle(), from.data(), to.data(), data.data(), &count));
  }
  std::size_t changed = 0;
  const cudaGraphEdgeData full{};  // default port and type: the whole node completes first
  for (std::size_t e = 0; e < count; ++e) {
    if (data[e].type != cudaGraphDependencyTypeProgrammatic) continue;
    TRTUTILS_CUDA_CHECK(
        cudaGraphRemoveDependencies(graph.handle(), &from[e], &to[e], &data[e], 1));
    TRTUTILS_CUDA_CHECK(cudaGraphAddDependencies(graph.handle(), &from[e], &to[e], &full, 1));
    ++changed;
  }
  return changed;
}

CudaGraph clone_graph(const CudaGraph& graph) {
  if (graph.empty()) return {};
  cudaGraph_t copy = nullptr;
  TRTUTILS_CUDA_CHECK(cudaGraphClone(&copy, graph.handle()));
  return CudaGraph(copy);
}

}  // namespace trtutils::core
