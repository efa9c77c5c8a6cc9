#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "gpu_test_support.hpp"
#include "trtutils/core/device.hpp"
#include "trtutils/core/memory.hpp"

namespace trtutils::core {
namespace {

static_assert(!std::is_copy_constructible_v<DeviceBuffer>);
static_assert(!std::is_copy_constructible_v<PinnedBuffer>);
static_assert(!std::is_copy_constructible_v<ManagedBuffer>);
static_assert(std::is_nothrow_move_assignable_v<DeviceBuffer>);

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<std::uint8_t> random_bytes(std::size_t count, unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<std::uint8_t> values(count);
  for (auto& value : values) value = static_cast<std::uint8_t>(byte(random));
  return values;
}

// --- checks that need no GPU --------------------------------------------------

TEST(Memory, ZeroByteAllocationsAreValidAndOwnNothing) {
  DeviceBuffer device = allocate_device(0);
  EXPECT_EQ(device.data(), nullptr);
  EXPECT_EQ(device.size(), 0u);
  EXPECT_TRUE(device.empty());
  EXPECT_EQ(device.device(), -1);
  EXPECT_TRUE(device.as<float>().empty());

  PinnedBuffer pinned = allocate_pagelocked(0, /*mapped=*/true);
  EXPECT_EQ(pinned.data(), nullptr);
  EXPECT_TRUE(pinned.mapped());
  EXPECT_EQ(pinned.device_pointer(), nullptr);
  EXPECT_TRUE(pinned.bytes().empty());

  ManagedBuffer managed = allocate_managed(0);
  EXPECT_EQ(managed.data(), nullptr);
  EXPECT_EQ(managed.size(), 0u);
}

TEST(Memory, DevicePointerOfUnmappedPinnedMemoryIsAnInvalidArgument) {
  PinnedBuffer pinned = allocate_pagelocked(0);
  EXPECT_THROW((void)pinned.device_pointer(), InvalidArgument);
}

TEST(Memory, CopyLargerThanTheDestinationNamesBothSizes) {
  DeviceBuffer destination = allocate_device(0);
  std::vector<std::byte> source(16);
  try {
    memcpy_host_to_device(destination, source, 16);
    FAIL() << "expected a throw";
  } catch (const InvalidArgument& e) {
    const std::string message = e.what();
    EXPECT_TRUE(contains(message, "memcpy_host_to_device")) << message;
    EXPECT_TRUE(contains(message, "16 bytes")) << message;
    EXPECT_TRUE(contains(message, "destination holds 0 bytes")) << message;
    EXPECT_TRUE(contains(message, "source holds 16 bytes")) << message;
  }
  // The whole-source form checks the same way, and so do the async forms.
  EXPECT_THROW(memcpy_host_to_device(destination, source), InvalidArgument);
  EXPECT_THROW(memcpy_host_to_device_async(destination, source, StreamView()), InvalidArgument);
}

TEST(Memory, CopyLargerThanTheSourceNamesBothSizes) {
  DeviceBuffer source = allocate_device(0);
  std::vector<std::byte> destination(4);
  try {
    memcpy_device_to_host(destination, source, 8);
    FAIL() << "expected a throw";
  } catch (const InvalidArgument& e) {
    const std::string message = e.what();
    EXPECT_TRUE(contains(message, "cannot copy 8 bytes")) << message;
    EXPECT_TRUE(contains(message, "destination holds 4 bytes")) << message;
    EXPECT_TRUE(contains(message, "source holds 0 bytes")) << message;
  }
  DeviceBuffer other = allocate_device(0);
  EXPECT_THROW(memcpy_device_to_device(other, source, 1), InvalidArgument);
  EXPECT_THROW(memcpy_device_to_device_async(other, source, 1, StreamView()), InvalidArgument);
  EXPECT_THROW(memcpy_device_to_host_async(destination, source, 8, StreamView()),
               InvalidArgument);
}

TEST(Memory, MemsetBeyondTheBufferIsAnInvalidArgument) {
  DeviceBuffer buffer = allocate_device(0);
  EXPECT_THROW(memset_device(buffer, 0, 1), InvalidArgument);
  EXPECT_THROW(memset_device_async(buffer, 0, 1, StreamView()), InvalidArgument);
}

TEST(Memory, ZeroByteTransfersMakeNoCudaCall) {
  // Would throw CudaError on a machine without a driver if they reached CUDA.
  DeviceBuffer empty = allocate_device(0);
  EXPECT_NO_THROW(memcpy_host_to_device(nullptr, nullptr, 0));
  EXPECT_NO_THROW(memcpy_device_to_device(empty, empty));
  EXPECT_NO_THROW(memset_device(empty, 0));
}

TEST(DeviceSpan, SubspanChecksBounds) {
  std::array<float, 8> storage{};
  const DeviceSpan<float> span(storage.data(), storage.size());
  const DeviceSpan<float> middle = span.subspan(2, 4);
  EXPECT_EQ(middle.data(), storage.data() + 2);
  EXPECT_EQ(middle.size(), 4u);
  EXPECT_EQ(middle.size_bytes(), 16u);
  EXPECT_THROW((void)span.subspan(6, 3), InvalidArgument);
  EXPECT_THROW((void)span.subspan(9, 0), InvalidArgument);
  const DeviceSpan<const float> as_const = span;
  EXPECT_EQ(as_const.data(), storage.data());
}

// --- GPU behaviour ------------------------------------------------------------

TEST(MemoryGpu, RandomPatternSurvivesHostToDeviceToDeviceToHost) {
  TRTUTILS_REQUIRE_GPU();
  constexpr std::size_t kBytes = 1'000'003;  // odd size: no alignment luck
  const std::vector<std::uint8_t> input = random_bytes(kBytes, 42);
  DeviceBuffer first = allocate_device(kBytes);
  DeviceBuffer second = allocate_device(kBytes);
  EXPECT_NE(first.data(), nullptr);
  EXPECT_EQ(first.device(), current_device());
  memcpy_host_to_device(first, std::as_bytes(std::span(input)));
  memcpy_device_to_device(second, first);
  std::vector<std::uint8_t> output(kBytes, 0);
  memcpy_device_to_host(std::as_writable_bytes(std::span(output)), second);
  EXPECT_EQ(output, input);
}

TEST(MemoryGpu, RawPointerCopiesMoveExactlyTheRequestedBytes) {
  TRTUTILS_REQUIRE_GPU();
  const std::vector<std::uint8_t> input = random_bytes(256, 3);
  DeviceBuffer buffer = allocate_device(256);
  memset_device(buffer, 0);
  memcpy_host_to_device(static_cast<std::uint8_t*>(buffer.data()) + 100, input.data(), 50);
  std::vector<std::uint8_t> output(256, 0xFF);
  memcpy_device_to_host(output.data(), buffer.data(), 256);
  for (std::size_t i = 0; i < 256; ++i) {
    const std::uint8_t expected = (i >= 100 && i < 150) ? input[i - 100] : 0;
    ASSERT_EQ(output[i], expected) << "byte " << i;
  }
}

TEST(MemoryGpu, AsyncRoundTripOnAStreamMatches) {
  TRTUTILS_REQUIRE_GPU();
  constexpr std::size_t kBytes = 4 << 20;
  const std::vector<std::uint8_t> input = random_bytes(kBytes, 9);
  PinnedBuffer upload = allocate_pagelocked(kBytes);
  PinnedBuffer download = allocate_pagelocked(kBytes);
  std::copy(input.begin(), input.end(), upload.as<std::uint8_t>().begin());
  DeviceBuffer a = allocate_device(kBytes);
  DeviceBuffer b = allocate_device(kBytes);
  Stream stream;
  memcpy_host_to_device_async(a, upload.bytes(), stream);
  memcpy_device_to_device_async(b, a, stream);
  memcpy_device_to_host_async(download.bytes(), b, stream);
  stream.synchronize();
  const auto result = download.as<std::uint8_t>();
  EXPECT_TRUE(std::equal(result.begin(), result.end(), input.begin()));
}

TEST(MemoryGpu, PartialCheckedCopyLeavesTheRestUntouched) {
  TRTUTILS_REQUIRE_GPU();
  DeviceBuffer buffer = allocate_device(64);
  memset_device(buffer, 0xEE);
  const std::vector<std::uint8_t> input = random_bytes(32, 5);
  memcpy_host_to_device(buffer, std::as_bytes(std::span(input)), 16);
  std::vector<std::uint8_t> output(64);
  memcpy_device_to_host(std::as_writable_bytes(std::span(output)), buffer);
  EXPECT_TRUE(std::equal(output.begin(), output.begin() + 16, input.begin()));
  EXPECT_TRUE(std::all_of(output.begin() + 16, output.end(), [](auto v) { return v == 0xEE; }));
}

TEST(MemoryGpu, MemsetWritesTheLowByteOfTheValue) {
  TRTUTILS_REQUIRE_GPU();
  DeviceBuffer buffer = allocate_device(1000);
  memset_device(buffer, 0);
  memset_device(buffer, 0x1AB, 600);  // cudaMemset uses only the low byte
  Stream stream;
  memset_device_async(static_cast<std::uint8_t*>(buffer.data()) + 900, 0x07, 100, stream);
  stream.synchronize();
  std::vector<std::uint8_t> output(1000);
  memcpy_device_to_host(std::as_writable_bytes(std::span(output)), buffer);
  for (std::size_t i = 0; i < output.size(); ++i) {
    const std::uint8_t expected = i < 600 ? 0xAB : (i >= 900 ? 0x07 : 0x00);
    ASSERT_EQ(output[i], expected) << "byte " << i;
  }
}

TEST(MemoryGpu, MappedPinnedMemoryWrittenByTheDeviceIsSeenOnTheHost) {
  TRTUTILS_REQUIRE_GPU();
  PinnedBuffer mapped = allocate_pagelocked(4096, /*mapped=*/true);
  std::fill(mapped.as<std::uint8_t>().begin(), mapped.as<std::uint8_t>().end(), 0);
  void* device_side = mapped.device_pointer();
  ASSERT_NE(device_side, nullptr);
  Stream stream;
  memset_device_async(device_side, 0x5C, 4096, stream);
  stream.synchronize();
  const auto host = mapped.as<std::uint8_t>();
  EXPECT_TRUE(std::all_of(host.begin(), host.end(), [](auto v) { return v == 0x5C; }));
}

TEST(MemoryGpu, OutOfMemoryNamesTheRequestAndTheDevicesMemory) {
  TRTUTILS_REQUIRE_GPU();
  constexpr std::size_t kHuge = 1ull << 50;  // 1 PiB
  try {
    (void)allocate_device(kHuge);
    FAIL() << "expected a throw";
  } catch (const OutOfMemoryError& e) {
    const std::string message = e.what();
    EXPECT_TRUE(contains(message, std::to_string(kHuge))) << message;
    EXPECT_EQ(e.requested_bytes(), kHuge);
    EXPECT_GT(e.total_bytes(), 0u);
    EXPECT_LE(e.free_bytes(), e.total_bytes());
    EXPECT_EQ(e.error_name(), "cudaErrorMemoryAllocation");
  }
  // The failure is not left behind as a sticky error, and the device still works.
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  DeviceBuffer small = allocate_device(1024);
  EXPECT_NO_THROW(memset_device(small, 0));
}

TEST(MemoryGpu, PinnedOutOfMemoryIsAnOutOfMemoryError) {
  TRTUTILS_REQUIRE_GPU();
  EXPECT_THROW((void)allocate_pagelocked(1ull << 50), OutOfMemoryError);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
}

TEST(MemoryGpu, ManagedRequestBeyondFreeMemoryIsRefusedUpFront) {
  TRTUTILS_REQUIRE_GPU();
  const MemoryInfo info = memory_info();
  const std::size_t too_much = info.total_bytes + (1ull << 30);
  try {
    (void)allocate_managed(too_much);
    FAIL() << "expected a throw";
  } catch (const OutOfMemoryError& e) {
    EXPECT_EQ(e.requested_bytes(), too_much);
    EXPECT_TRUE(contains(e.what(), std::to_string(too_much))) << e.what();
  }
}

TEST(MemoryGpu, ManagedMemoryIsSharedByHostAndDevice) {
  TRTUTILS_REQUIRE_GPU();
  ManagedBuffer managed = allocate_managed(1 << 16);
  auto values = managed.as<std::uint8_t>();
  std::fill(values.begin(), values.end(), 1);
  Stream stream;
  memset_device_async(managed.data(), 0x3D, 1 << 15, stream);
  stream.synchronize();
  EXPECT_EQ(values[0], 0x3D);
  EXPECT_EQ(values[(1 << 15) - 1], 0x3D);
  EXPECT_EQ(values[1 << 15], 1);
  EXPECT_EQ(values.back(), 1);
}

TEST(MemoryGpu, TypedViewsNeedAWholeNumberOfElements) {
  TRTUTILS_REQUIRE_GPU();
  DeviceBuffer buffer = allocate_device(6);
  EXPECT_EQ(buffer.as<std::uint16_t>().size(), 3u);
  EXPECT_THROW((void)buffer.as<float>(), InvalidArgument);
}

TEST(MemoryGpu, MoveAssignmentFreesTheOldAllocationAndEmptiesTheSource) {
  TRTUTILS_REQUIRE_GPU();
  DeviceBuffer a = allocate_device(1 << 20);
  DeviceBuffer b = allocate_device(2 << 20);
  void* b_data = b.data();
  a = std::move(b);
  EXPECT_EQ(a.data(), b_data);
  EXPECT_EQ(a.size(), 2u << 20);
  EXPECT_EQ(b.data(), nullptr);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(b.size(), 0u);       // NOLINT(bugprone-use-after-move)
}

}  // namespace
}  // namespace trtutils::core
