#include <gtest/gtest.h>

#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "gpu_test_support.hpp"
#include "trtutils/core/event.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/core/stream.hpp"

namespace trtutils::core {
namespace {

static_assert(!std::is_copy_constructible_v<Stream>);
static_assert(std::is_nothrow_move_constructible_v<Stream>);
static_assert(std::is_convertible_v<cudaStream_t, StreamView>);
static_assert(std::is_convertible_v<const Stream&, StreamView>);

TEST(StreamView, DefaultIsTheLegacyDefaultStream) {
  EXPECT_EQ(StreamView().handle(), nullptr);
  EXPECT_EQ(StreamView(cudaStream_t{}), StreamView());
}

TEST(StreamGpu, CreatedStreamHasAHandleAndViewsShareIt) {
  TRTUTILS_REQUIRE_GPU();
  Stream stream;
  ASSERT_NE(stream.handle(), nullptr);
  const StreamView view = stream;
  EXPECT_EQ(view.handle(), stream.handle());
  EXPECT_EQ(stream.view().handle(), stream.handle());
}

TEST(StreamGpu, NonBlockingIsTheDefaultFlag) {
  TRTUTILS_REQUIRE_GPU();
  Stream non_blocking;
  Stream blocking(StreamOptions{.non_blocking = false});
  unsigned int flags = 0;
  ASSERT_EQ(cudaStreamGetFlags(non_blocking.handle(), &flags), cudaSuccess);
  EXPECT_EQ(flags & cudaStreamNonBlocking, static_cast<unsigned int>(cudaStreamNonBlocking));
  ASSERT_EQ(cudaStreamGetFlags(blocking.handle(), &flags), cudaSuccess);
  EXPECT_EQ(flags & cudaStreamNonBlocking, 0u);
}

TEST(StreamGpu, PriorityWithinTheRangeIsKept) {
  TRTUTILS_REQUIRE_GPU();
  const StreamPriorityRange range = priority_range();
  EXPECT_LE(range.greatest, range.least);  // higher priority = numerically smaller
  Stream high(StreamOptions{.priority = range.greatest});
  Stream low(StreamOptions{.priority = range.least});
  EXPECT_EQ(high.priority(), range.greatest);
  EXPECT_EQ(low.priority(), range.least);
  Stream defaulted;
  EXPECT_EQ(defaulted.priority(), range.least);
}

TEST(StreamGpu, MoveLeavesTheSourceEmpty) {
  TRTUTILS_REQUIRE_GPU();
  Stream first;
  const cudaStream_t handle = first.handle();
  Stream second(std::move(first));
  EXPECT_EQ(second.handle(), handle);
  EXPECT_EQ(first.handle(), nullptr);  // NOLINT(bugprone-use-after-move)
  Stream third;
  third = std::move(second);
  EXPECT_EQ(third.handle(), handle);
  EXPECT_TRUE(third.query());
}

TEST(StreamGpu, QueryIsTrueAfterSynchronize) {
  TRTUTILS_REQUIRE_GPU();
  Stream stream;
  DeviceBuffer buffer = allocate_device(64 << 20);
  memset_device_async(buffer, 7, stream);
  stream.synchronize();
  EXPECT_TRUE(stream.query());
}

TEST(StreamGpu, WaitOrdersWorkAcrossStreams) {
  TRTUTILS_REQUIRE_GPU();
  // Stream a writes 0x11 into a large buffer; stream b waits on a's event and
  // copies it. Without the wait, b could read the buffer before a's memset.
  constexpr std::size_t kBytes = 64 << 20;
  Stream a;
  Stream b;
  DeviceBuffer source = allocate_device(kBytes);
  DeviceBuffer target = allocate_device(kBytes);
  memset_device(source, 0);
  memset_device(target, 0);
  Event written(EventOptions{.timing = false});
  memset_device_async(source, 0x11, a);
  written.record(a);
  b.wait(written);
  memcpy_device_to_device_async(target, source, b);
  b.synchronize();
  std::vector<std::uint8_t> host(kBytes);
  memcpy_device_to_host(std::as_writable_bytes(std::span(host)), target);
  EXPECT_EQ(host.front(), 0x11);
  EXPECT_EQ(host.back(), 0x11);
}

}  // namespace
}  // namespace trtutils::core
