#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <random>
#include <span>
#include <stdexcept>
#include <vector>

#include "gpu_test_support.hpp"
#include "trtutils/core/cuda_graph.hpp"
#include "trtutils/core/event.hpp"
#include "trtutils/core/kernel.hpp"
#include "trtutils/core/memory.hpp"

namespace trtutils::core {
namespace {

constexpr std::size_t kBytes = 1 << 16;

std::vector<std::uint8_t> random_bytes(unsigned seed) {
  std::mt19937 random(seed);
  std::vector<std::uint8_t> values(kBytes);
  for (auto& v : values) v = static_cast<std::uint8_t>(random() & 0xFF);
  return values;
}

std::vector<std::uint8_t> download(const DeviceBuffer& buffer) {
  std::vector<std::uint8_t> host(buffer.size());
  memcpy_device_to_host(std::as_writable_bytes(std::span(host)), buffer);
  return host;
}

std::vector<std::uint8_t> filled(std::uint8_t value) { return std::vector<std::uint8_t>(kBytes, value); }

// The recorded work: copy `source` into `target`, then overwrite `source`
// with 0x5A. Replaying twice therefore gives target == 0x5A everywhere, which
// proves the second replay ran after the first.
void record_copy_then_clear(StreamView stream, DeviceBuffer& target, DeviceBuffer& source) {
  memcpy_device_to_device_async(target, source, stream);
  memset_device_async(source, 0x5A, stream);
}

TEST(CudaGraph, EmptyGraphHasNoNodesAndCannotBeInstantiated) {
  const CudaGraph graph;
  EXPECT_TRUE(graph.empty());
  EXPECT_EQ(graph.node_count(), 0u);
  EXPECT_THROW(GraphExec exec(graph), InvalidArgument);
}

TEST(CudaGraph, AnEmptyGraphSummarisesToZeros) {
  const GraphSummary summary = CudaGraph().summary();
  EXPECT_EQ(summary.nodes, 0u);
  EXPECT_EQ(summary.edges, 0u);
  EXPECT_TRUE(summary.straight_line);
}

TEST(GraphReplay, LaunchBeforeCaptureIsAnInvalidArgument) {
  const GraphReplay replay;
  EXPECT_FALSE(replay.is_captured());
  EXPECT_THROW(replay.launch(StreamView()), InvalidArgument);
}

TEST(GraphCapture, TheLegacyDefaultStreamCannotBeCaptured) {
  EXPECT_THROW(GraphCapture capture{StreamView{}}, InvalidArgument);
}

TEST(CudaGraphGpu, CapturedCopyAndMemsetReplayTwiceAndUpdateToNewPointers) {
  TRTUTILS_REQUIRE_GPU();
  Stream stream;
  const std::vector<std::uint8_t> pattern = random_bytes(1);
  DeviceBuffer source = allocate_device(kBytes);
  DeviceBuffer target = allocate_device(kBytes);
  memcpy_host_to_device(source, std::as_bytes(std::span(pattern)));
  memset_device(target, 0);

  CudaGraph graph = capture_graph(stream, [&](StreamView s) { record_copy_then_clear(s, target, source); });
  EXPECT_EQ(graph.node_count(), 2u);
  // Capturing records only: nothing ran yet.
  EXPECT_EQ(download(target), filled(0));
  EXPECT_EQ(download(source), pattern);

  GraphExec exec(graph);
  exec.launch(stream);
  stream.synchronize();
  EXPECT_EQ(download(target), pattern);
  EXPECT_EQ(download(source), filled(0x5A));
  exec.launch(stream);
  stream.synchronize();
  EXPECT_EQ(download(target), filled(0x5A));

  // Same topology on new buffers: updated in place, and then only the new buffers change.
  const std::vector<std::uint8_t> pattern2 = random_bytes(2);
  DeviceBuffer source2 = allocate_device(kBytes);
  DeviceBuffer target2 = allocate_device(kBytes);
  memcpy_host_to_device(source2, std::as_bytes(std::span(pattern2)));
  memset_device(target2, 0);
  memset_device(target, 0x01);
  const CudaGraph graph2 =
      capture_graph(stream, [&](StreamView s) { record_copy_then_clear(s, target2, source2); });
  EXPECT_EQ(exec.update(graph2), GraphUpdateResult::kUpdated);
  exec.launch(stream);
  stream.synchronize();
  EXPECT_EQ(download(target2), pattern2);
  EXPECT_EQ(download(source2), filled(0x5A));
  EXPECT_EQ(download(target), filled(0x01)) << "the old pointers must no longer be written";
}

TEST(CudaGraphGpu, ChangedTopologyFallsBackToReinstantiation) {
  TRTUTILS_REQUIRE_GPU();
  Stream stream;
  DeviceBuffer a = allocate_device(kBytes);
  DeviceBuffer b = allocate_device(kBytes);
  const CudaGraph one_node = capture_graph(stream, [&](StreamView s) { memset_device_async(a, 1, s); });
  GraphExec exec(one_node);
  const CudaGraph two_nodes = capture_graph(stream, [&](StreamView s) {
    memset_device_async(a, 2, s);
    memset_device_async(b, 3, s);
  });
  EXPECT_EQ(exec.update(two_nodes), GraphUpdateResult::kReinstantiated);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  exec.launch(stream);
  stream.synchronize();
  EXPECT_EQ(download(a), filled(2));
  EXPECT_EQ(download(b), filled(3));
}

TEST(CudaGraphGpu, GraphReplayTracksWhetherSomethingIsCaptured) {
  TRTUTILS_REQUIRE_GPU();
  Stream stream;
  DeviceBuffer buffer = allocate_device(kBytes);
  memset_device(buffer, 0);
  GraphReplay replay;
  EXPECT_EQ(replay.capture(stream, [&](StreamView s) { memset_device_async(buffer, 9, s); }),
            GraphUpdateResult::kInstantiated);
  EXPECT_TRUE(replay.is_captured());
  EXPECT_EQ(download(buffer), filled(0));
  replay.launch(stream);
  stream.synchronize();
  EXPECT_EQ(download(buffer), filled(9));
  EXPECT_EQ(replay.capture(stream, [&](StreamView s) { memset_device_async(buffer, 4, s); }),
            GraphUpdateResult::kUpdated);
  replay.launch(stream);
  stream.synchronize();
  EXPECT_EQ(download(buffer), filled(4));
  replay.reset();
  EXPECT_FALSE(replay.is_captured());
  EXPECT_THROW(replay.launch(stream), InvalidArgument);
}

TEST(CudaGraphGpu, ExceptionDuringCaptureEndsTheCapture) {
  TRTUTILS_REQUIRE_GPU();
  Stream stream;
  DeviceBuffer buffer = allocate_device(kBytes);
  EXPECT_THROW(capture_graph(stream,
                             [&](StreamView s) {
                               memset_device_async(buffer, 1, s);
                               throw std::runtime_error("user code failed mid-capture");
                             }),
               std::runtime_error);
  EXPECT_FALSE(is_capturing(stream));
  // The stream is usable afterwards.
  memset_device_async(buffer, 2, stream);
  stream.synchronize();
  EXPECT_EQ(download(buffer), filled(2));
}

TEST(CudaGraphGpu, IllegalCallDuringCaptureThrowsAndLeavesNoCapture) {
  TRTUTILS_REQUIRE_GPU();
  Stream stream;
  // Synchronising a capturing stream is not allowed: our check throws inside
  // the recording, and the capture scope ends the capture on the way out.
  EXPECT_THROW(capture_graph(stream, [](StreamView s) { s.synchronize(); }), CudaError);
  EXPECT_FALSE(is_capturing(stream));
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
}

TEST(CudaGraphGpu, InvalidatedCaptureIsReportedByEnd) {
  TRTUTILS_REQUIRE_GPU();
  Stream stream;
  DeviceBuffer buffer = allocate_device(kBytes);
  GraphCapture capture(stream);
  EXPECT_TRUE(capture.is_capturing());
  EXPECT_TRUE(is_capturing(stream));
  memset_device_async(buffer, 1, stream);
  // An ignored illegal call invalidates the capture without throwing here...
  (void)cudaStreamSynchronize(stream.handle());
  (void)cudaGetLastError();
  // ...so end() must report it, and still take the stream out of capture mode.
  EXPECT_THROW((void)capture.end(), CudaError);
  EXPECT_FALSE(capture.is_capturing());
  EXPECT_FALSE(is_capturing(stream));
  memset_device_async(buffer, 3, stream);
  stream.synchronize();
  EXPECT_EQ(download(buffer), filled(3));
}

constexpr const char* kIncrement = R"(
extern "C" __global__ void increment(unsigned char* bytes, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) bytes[i] = bytes[i] + 1;
}
)";

TEST(CudaGraphGpu, SummaryCountsEachNodeTypeOfAOneStreamCapture) {
  TRTUTILS_REQUIRE_GPU();
  Stream stream;
  DeviceBuffer a = allocate_device(kBytes);
  DeviceBuffer b = allocate_device(kBytes);
  const Kernel increment(kIncrement, "increment");
  const int n = static_cast<int>(kBytes);
  const dim3 grid(static_cast<unsigned>(kBytes / 256));
  // memset a, a += 1 (kernel), copy a into b, b += 1 (kernel, PDL where the GPU has it).
  const CudaGraph graph = capture_graph(stream, [&](StreamView s) {
    memset_device_async(a, 1, s);
    increment.launch(grid, dim3(256), s, a.data(), n);
    memcpy_device_to_device_async(b, a, s);
    LaunchOptions pdl;
    pdl.programmatic_dependent_launch = true;
    increment.call(grid, dim3(256), s, KernelArgs::of(b.data(), n), pdl);
  });
  const GraphSummary summary = graph.summary();
  EXPECT_EQ(summary.nodes, 4u);
  EXPECT_EQ(summary.kernel_nodes, 2u);
  EXPECT_EQ(summary.memset_nodes, 1u);
  EXPECT_EQ(summary.memcpy_nodes, 1u);
  EXPECT_EQ(summary.other_nodes, 0u);
  EXPECT_EQ(summary.edges, 3u);
  EXPECT_TRUE(summary.straight_line);
  // PDL relaxes kernel-to-kernel order only: after a copy the edge stays a full one.
  EXPECT_EQ(summary.programmatic_edges, 0u);
  EXPECT_EQ(summary.cluster_kernel_nodes, 0u);
  GraphExec exec(graph);
  exec.launch(stream);
  stream.synchronize();
  EXPECT_EQ(download(b), filled(3));
}

TEST(CudaGraphGpu, SummaryCountsProgrammaticEdgesBetweenKernels) {
  TRTUTILS_REQUIRE_GPU();
  Stream stream;
  DeviceBuffer a = allocate_device(kBytes);
  DeviceBuffer b = allocate_device(kBytes);
  const Kernel increment(kIncrement, "increment");
  const int n = static_cast<int>(kBytes);
  const dim3 grid(static_cast<unsigned>(kBytes / 256));
  const CudaGraph graph = capture_graph(stream, [&](StreamView s) {
    increment.launch(grid, dim3(256), s, a.data(), n);
    LaunchOptions pdl;
    pdl.programmatic_dependent_launch = true;
    // Writes another buffer: it needs no griddepcontrol.wait.
    increment.call(grid, dim3(256), s, KernelArgs::of(b.data(), n), pdl);
  });
  const GraphSummary summary = graph.summary();
  EXPECT_EQ(summary.kernel_nodes, 2u);
  EXPECT_EQ(summary.programmatic_edges,
            supports_programmatic_dependent_launch(current_device_arch()) ? 1u : 0u);
}

TEST(CudaGraphGpu, AForkedCaptureIsNotAStraightLine) {
  TRTUTILS_REQUIRE_GPU();
  Stream main;
  Stream side;
  DeviceBuffer a = allocate_device(kBytes);
  DeviceBuffer b = allocate_device(kBytes);
  DeviceBuffer c = allocate_device(kBytes);
  Event fork;
  Event join;
  // a and b are set side by side, c after both: three nodes, c with two dependencies.
  const CudaGraph graph = capture_graph(main, [&](StreamView s) {
    fork.record(s);
    side.wait(fork);
    memset_device_async(b, 2, side);
    memset_device_async(a, 1, s);
    join.record(side);
    s.wait(join);
    memset_device_async(c, 3, s);
  });
  const GraphSummary summary = graph.summary();
  EXPECT_EQ(summary.nodes, 3u);
  EXPECT_EQ(summary.memset_nodes, 3u);
  EXPECT_EQ(summary.edges, 2u);
  EXPECT_FALSE(summary.straight_line);
}

}  // namespace
}  // namespace trtutils::core
