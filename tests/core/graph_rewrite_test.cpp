#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <vector>

#include "gpu_test_support.hpp"
#include "trtutils/core/cuda_check.hpp"
#include "trtutils/core/cuda_graph.hpp"
#include "trtutils/core/graph_rewrite.hpp"
#include "trtutils/core/kernel.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/core/stream.hpp"

namespace trtutils::core {
namespace {

constexpr std::size_t kBytes = 1 << 16;

constexpr const char* kIncrement = R"(
extern "C" __global__ void increment(unsigned char* bytes, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) bytes[i] = bytes[i] + 1;
}
)";

struct Fill {
  std::size_t offset;
  unsigned value;
  unsigned element_size;
  std::size_t width;  // elements per row
  std::size_t height;
  std::size_t pitch;  // bytes; used when height > 1
};

// Chosen to reach each store width of the fill kernel: misaligned bytes,
// 2-byte elements with an odd row length, 16-byte rows, a pitched 2-D fill
// with 4-byte stores, and a 2-D fill of 4-byte elements.
const std::vector<Fill> kFills = {
    {3, 0x7F, 1, 1001, 1, 0},            // 0: then +1 by a kernel
    {1100, 0xBEEF, 2, 513, 1, 0},        // 1: then +1 by a kernel that also waits for 3
    {4096, 0x01020304, 4, 1024, 1, 0},   // 2: then 5 overwrites part of it
    {8192, 0x11, 1, 200, 20, 300},       // 3
    {20000, 0xA5A50001, 4, 64, 10, 512}, // 4
    {4100, 0x00, 1, 10, 1, 0},           // 5
};

void fill_on_host(std::vector<std::uint8_t>& bytes, const Fill& f) {
  for (std::size_t row = 0; row < f.height; ++row) {
    for (std::size_t e = 0; e < f.width; ++e) {
      std::uint8_t* element = bytes.data() + f.offset + row * f.pitch + e * f.element_size;
      for (unsigned b = 0; b < f.element_size; ++b) element[b] = (f.value >> (8 * b)) & 0xFF;
    }
  }
}

void increment_on_host(std::vector<std::uint8_t>& bytes, std::size_t offset, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) ++bytes[offset + i];
}

class MemsetGraph {
 public:
  MemsetGraph(DeviceBuffer& buffer, const Kernel& increment) {
    cudaGraph_t raw = nullptr;
    TRTUTILS_CUDA_CHECK(cudaGraphCreate(&raw, 0));
    graph_ = CudaGraph(raw);
    auto* base = static_cast<std::uint8_t*>(buffer.data());
    std::vector<cudaGraphNode_t> fills;
    for (const Fill& f : kFills) {
      cudaMemsetParams p{};
      p.dst = base + f.offset;
      p.value = f.value;
      p.elementSize = f.element_size;
      p.width = f.width;
      p.height = f.height;
      p.pitch = f.height > 1 ? f.pitch : 0;
      cudaGraphNode_t node = nullptr;
      TRTUTILS_CUDA_CHECK(cudaGraphAddMemsetNode(&node, raw, nullptr, 0, &p));
      fills.push_back(node);
    }
    add_increment(increment, base + kFills[0].offset, kFills[0].width, {fills[0]});
    add_increment(increment, base + kFills[1].offset, kFills[1].width * 2, {fills[1], fills[3]});
    TRTUTILS_CUDA_CHECK(cudaGraphAddDependencies(raw, &fills[2], &fills[5], nullptr, 1));
  }

  CudaGraph& graph() { return graph_; }

 private:
  void add_increment(const Kernel& increment, std::uint8_t* bytes, std::size_t n,
                     const std::vector<cudaGraphNode_t>& after) {
    args_.push_back(KernelArgs::of(bytes, static_cast<int>(n)));
    cudaKernelNodeParams p{};
    p.func = reinterpret_cast<void*>(increment.handle());
    p.gridDim = dim3(static_cast<unsigned>((n + 255) / 256));
    p.blockDim = dim3(256);
    p.kernelParams = const_cast<void**>(args_.back().pointers().data());
    cudaGraphNode_t node = nullptr;
    TRTUTILS_CUDA_CHECK(
        cudaGraphAddKernelNode(&node, graph_.handle(), after.data(), after.size(), &p));
  }

  CudaGraph graph_;
  std::vector<KernelArgs> args_;
};

std::vector<std::uint8_t> random_bytes() {
  std::mt19937 random(7);
  std::vector<std::uint8_t> bytes(kBytes);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(random() & 0xFF);
  return bytes;
}

std::vector<std::uint8_t> run_on(DeviceBuffer& buffer, const std::vector<std::uint8_t>& start,
                                 const CudaGraph& graph, Stream& stream) {
  memcpy_host_to_device(buffer, std::as_bytes(std::span(start)));
  GraphExec exec(graph);
  exec.launch(stream);
  stream.synchronize();
  std::vector<std::uint8_t> out(kBytes);
  memcpy_device_to_host(std::as_writable_bytes(std::span(out)), buffer);
  return out;
}

TEST(GraphRewrite, AnEmptyGraphHasNothingToReplace) {
  CudaGraph empty;
  EXPECT_EQ(replace_memset_nodes(empty), 0u);
}

TEST(GraphRewriteGpu, KernelNodesWriteWhatTheMemsetsWroteInTheSameOrder) {
  TRTUTILS_REQUIRE_GPU();
  Stream stream;
  DeviceBuffer buffer = allocate_device(kBytes);
  const Kernel increment(kIncrement, "increment");
  const std::vector<std::uint8_t> start = random_bytes();

  std::vector<std::uint8_t> expected = start;
  for (const Fill& f : kFills) fill_on_host(expected, f);
  increment_on_host(expected, kFills[0].offset, kFills[0].width);
  increment_on_host(expected, kFills[1].offset, kFills[1].width * 2);

  MemsetGraph recorded(buffer, increment);
  const GraphSummary before = recorded.graph().summary();
  ASSERT_EQ(before.memset_nodes, kFills.size());
  // CUDA's own memsets are the oracle the host expectation is checked against.
  ASSERT_EQ(run_on(buffer, start, recorded.graph(), stream), expected);

  EXPECT_EQ(replace_memset_nodes(recorded.graph()), kFills.size());
  const GraphSummary after = recorded.graph().summary();
  EXPECT_EQ(after.memset_nodes, 0u);
  EXPECT_EQ(after.kernel_nodes, before.kernel_nodes + kFills.size());
  EXPECT_EQ(after.nodes, before.nodes);
  EXPECT_EQ(after.edges, before.edges);
  EXPECT_EQ(run_on(buffer, start, recorded.graph(), stream), expected);
  EXPECT_EQ(replace_memset_nodes(recorded.graph()), 0u) << "a second pass finds nothing left";
}

TEST(GraphRewriteGpu, ACapturedChainStaysAStraightLine) {
  TRTUTILS_REQUIRE_GPU();
  Stream stream;
  DeviceBuffer buffer = allocate_device(kBytes);
  const Kernel increment(kIncrement, "increment");
  const int n = static_cast<int>(kBytes);
  CudaGraph graph = capture_graph(stream, [&](StreamView s) {
    memset_device_async(buffer, 9, s);
    increment.launch(dim3(kBytes / 256), dim3(256), s, buffer.data(), n);
    memset_device_async(buffer, 4, s);
    increment.launch(dim3(kBytes / 256), dim3(256), s, buffer.data(), n);
  });
  ASSERT_EQ(graph.summary().memset_nodes, 2u);
  EXPECT_EQ(replace_memset_nodes(graph), 2u);
  const GraphSummary summary = graph.summary();
  EXPECT_EQ(summary.kernel_nodes, 4u);
  EXPECT_EQ(summary.edges, 3u);
  EXPECT_TRUE(summary.straight_line);
  // Only the second fill then one increment may be visible: order kept.
  EXPECT_EQ(run_on(buffer, random_bytes(), graph, stream), std::vector<std::uint8_t>(kBytes, 5));
}

TEST(GraphRewrite, AnEmptyGraphHasNoEdgesToChangeAndClonesAsEmpty) {
  CudaGraph empty;
  EXPECT_EQ(make_programmatic_edges_full(empty), 0u);
  EXPECT_TRUE(clone_graph(empty).empty());
}

TEST(GraphRewriteGpu, ProgrammaticEdgesBecomeFullOnesInACloneOnly) {
  TRTUTILS_REQUIRE_GPU();
  if (!supports_programmatic_dependent_launch(current_device_arch())) {
    GTEST_SKIP() << "this GPU has no programmatic dependent launch (sm_90 and newer)";
  }
  Stream stream;
  DeviceBuffer buffer = allocate_device(kBytes);
  const Kernel increment(kIncrement, "increment");
  const int n = static_cast<int>(kBytes);
  LaunchOptions pdl;
  pdl.programmatic_dependent_launch = true;
  // Three increments of one buffer: the rewritten copy must still run each
  // once, in order.
  const CudaGraph recorded = capture_graph(stream, [&](StreamView s) {
    increment.launch(dim3(kBytes / 256), dim3(256), s, buffer.data(), n);
    increment.call(dim3(kBytes / 256), dim3(256), s, KernelArgs::of(buffer.data(), n), pdl);
    increment.call(dim3(kBytes / 256), dim3(256), s, KernelArgs::of(buffer.data(), n), pdl);
  });
  ASSERT_EQ(recorded.summary().programmatic_edges, 2u);
  CudaGraph copy = clone_graph(recorded);
  EXPECT_EQ(make_programmatic_edges_full(copy), 2u);
  const GraphSummary summary = copy.summary();
  EXPECT_EQ(summary.programmatic_edges, 0u);
  EXPECT_EQ(summary.edges, 2u);
  EXPECT_EQ(summary.kernel_nodes, 3u);
  EXPECT_TRUE(summary.straight_line);
  EXPECT_EQ(recorded.summary().programmatic_edges, 2u) << "the original is untouched";
  EXPECT_EQ(run_on(buffer, std::vector<std::uint8_t>(kBytes, 10), copy, stream),
            std::vector<std::uint8_t>(kBytes, 13));
}

}  // namespace
}  // namespace trtutils::core
