// records_kernels_only, autotuning's graph-launch tie-break, on real
// captures: kernels only -> true; a memset, a copy or a failing record -> false.
#include "gpu/graph_friendly_choice.hpp"

#include <gtest/gtest.h>

#include "gpu_test_support.hpp"
#include "trtutils/core/kernel.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/core/stream.hpp"

namespace trtutils::gpu::detail {
namespace {

constexpr const char* kTouch = R"(
extern "C" __global__ void touch(unsigned char* bytes, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) bytes[i] = bytes[i] + 1;
}
)";

constexpr int kBytes = 1024;

TEST(GraphFriendlyChoiceGpu, KernelsOnlyRecordingIsRecognised) {
  TRTUTILS_REQUIRE_GPU();
  core::Stream stream;
  core::DeviceBuffer bytes = core::allocate_device(kBytes);
  const core::Kernel touch(kTouch, "touch");
  EXPECT_TRUE(records_kernels_only(stream, [&](core::StreamView s) {
    touch.launch(dim3(kBytes / 256), dim3(256), s, bytes.data(), kBytes);
    touch.launch(dim3(kBytes / 256), dim3(256), s, bytes.data(), kBytes);
  }));
}

TEST(GraphFriendlyChoiceGpu, AMemsetOrACopyIsNotKernelsOnly) {
  TRTUTILS_REQUIRE_GPU();
  core::Stream stream;
  core::DeviceBuffer a = core::allocate_device(kBytes);
  core::DeviceBuffer b = core::allocate_device(kBytes);
  const core::Kernel touch(kTouch, "touch");
  EXPECT_FALSE(records_kernels_only(stream, [&](core::StreamView s) {
    core::memset_device_async(a, 0, s);
    touch.launch(dim3(kBytes / 256), dim3(256), s, a.data(), kBytes);
  }));
  EXPECT_FALSE(records_kernels_only(stream, [&](core::StreamView s) {
    touch.launch(dim3(kBytes / 256), dim3(256), s, a.data(), kBytes);
    core::memcpy_device_to_device_async(b, a, s);
  }));
}

TEST(GraphFriendlyChoiceGpu, ARecordThatThrowsCountsAsNotKernelsOnlyAndLeavesTheStreamUsable) {
  TRTUTILS_REQUIRE_GPU();
  core::Stream stream;
  core::DeviceBuffer bytes = core::allocate_device(kBytes);
  const core::Kernel touch(kTouch, "touch");
  EXPECT_FALSE(records_kernels_only(stream, [&](core::StreamView) {
    throw InvalidArgument("refused while recording");
  }));
  touch.launch(dim3(kBytes / 256), dim3(256), stream, bytes.data(), kBytes);
  stream.synchronize();  // throws if the stream were left capturing or broken
}

}  // namespace
}  // namespace trtutils::gpu::detail
