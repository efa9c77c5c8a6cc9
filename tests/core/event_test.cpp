#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <span>
#include <type_traits>
#include <vector>

#include "gpu_test_support.hpp"
#include "trtutils/core/event.hpp"
#include "trtutils/core/memory.hpp"

namespace trtutils::core {
namespace {

static_assert(!std::is_copy_constructible_v<Event>);
static_assert(std::is_nothrow_move_constructible_v<Event>);

TEST(EventGpu, AsyncCopiesTimedByEventsTakeNonNegativeTime) {
  TRTUTILS_REQUIRE_GPU();
  constexpr std::size_t kCount = 1 << 22;  // 16 MiB of uint32
  std::vector<std::uint32_t> input(kCount);
  std::mt19937 random(7);
  for (auto& value : input) value = random();
  PinnedBuffer staging = allocate_pagelocked(kCount * sizeof(std::uint32_t));
  std::copy(input.begin(), input.end(), staging.as<std::uint32_t>().begin());
  DeviceBuffer device = allocate_device(staging.size());
  PinnedBuffer result = allocate_pagelocked(staging.size());

  Stream stream;
  Event start;
  Event uploaded;
  Event end;
  start.record(stream);
  memcpy_host_to_device_async(device, staging.bytes(), stream);
  uploaded.record(stream);
  memcpy_device_to_host_async(result.bytes(), device, stream);
  end.record(stream);
  end.synchronize();

  EXPECT_TRUE(end.query());
  EXPECT_TRUE(stream.query());
  const float upload_ms = elapsed_ms(start, uploaded);
  const float total_ms = elapsed_ms(start, end);
  EXPECT_GE(upload_ms, 0.0F);
  EXPECT_GE(total_ms, upload_ms);
  const auto copied = result.as<std::uint32_t>();
  EXPECT_TRUE(std::equal(copied.begin(), copied.end(), input.begin()));
}

TEST(EventGpu, UnrecordedEventIsComplete) {
  TRTUTILS_REQUIRE_GPU();
  Event event;
  EXPECT_TRUE(event.query());
  EXPECT_NO_THROW(event.synchronize());
}

TEST(EventGpu, ElapsedTimeNeedsTimingOnBothEvents) {
  TRTUTILS_REQUIRE_GPU();
  Event timed;
  Event untimed(EventOptions{.timing = false});
  EXPECT_FALSE(untimed.timing_enabled());
  Stream stream;
  timed.record(stream);
  untimed.record(stream);
  stream.synchronize();
  try {
    (void)elapsed_ms(timed, untimed);
    FAIL() << "expected a throw";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("timing"), std::string::npos) << e.what();
  }
}

TEST(EventGpu, BlockingSyncEventStillCompletes) {
  TRTUTILS_REQUIRE_GPU();
  Event event(EventOptions{.timing = false, .blocking_sync = true});
  Stream stream;
  DeviceBuffer buffer = allocate_device(1 << 20);
  memset_device_async(buffer, 1, stream);
  event.record(stream);
  event.synchronize();
  EXPECT_TRUE(event.query());
}

TEST(EventGpu, MoveKeepsTheHandle) {
  TRTUTILS_REQUIRE_GPU();
  Event first;
  const cudaEvent_t handle = first.handle();
  Event second(std::move(first));
  EXPECT_EQ(second.handle(), handle);
  EXPECT_EQ(first.handle(), nullptr);  // NOLINT(bugprone-use-after-move)
  EXPECT_THROW(first.record(), InvalidArgument);
}

}  // namespace
}  // namespace trtutils::core
