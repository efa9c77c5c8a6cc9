#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "gpu_test_support.hpp"
#include "trtutils/core/device.hpp"

namespace trtutils::core {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Device, CountIsZeroWithoutAGpuAndNeverThrows) {
  int count = -1;
  EXPECT_NO_THROW(count = device_count());
  if (!::trtutils::testing::gpu_unavailable_reason().empty()) {
    EXPECT_EQ(count, 0);
  } else {
    EXPECT_GT(count, 0);
  }
}

TEST(Device, SetDeviceOutOfRangeSaysWhyAndWhatExists) {
  try {
    set_device(5 + device_count());
    FAIL() << "expected a throw";
  } catch (const InvalidArgument& e) {
    const std::string message = e.what();
    EXPECT_TRUE(contains(message, "set_device(")) << message;
    if (device_count() == 0) {
      EXPECT_TRUE(contains(message, "no CUDA device is available")) << message;
    } else {
      EXPECT_TRUE(contains(message, "out of range")) << message;
    }
  }
}

TEST(Device, SetDeviceFiveOnAMachineWithoutGpuIsAnInvalidArgument) {
  if (device_count() > 5) GTEST_SKIP() << "this machine has a device 5";
  EXPECT_THROW(set_device(5), InvalidArgument);
  EXPECT_THROW(set_device(-1), InvalidArgument);
}

TEST(Device, PropertiesOfAMissingDeviceIsAnInvalidArgument) {
  EXPECT_THROW(device_properties(device_count()), InvalidArgument);
}

TEST(DeviceGpu, PropertiesDescribeARealDevice) {
  TRTUTILS_REQUIRE_GPU();
  const DeviceProperties p = device_properties(0);
  EXPECT_EQ(p.index, 0);
  EXPECT_FALSE(p.name.empty());
  EXPECT_GE(p.compute_capability_major, 5);
  EXPECT_EQ(p.sm_arch, "sm_" + std::to_string(p.compute_capability_major) +
                           std::to_string(p.compute_capability_minor));
  EXPECT_GT(p.total_memory_bytes, 0u);
  EXPECT_GT(p.multiprocessor_count, 0);
  EXPECT_EQ(p.warp_size, 32);
  EXPECT_GE(p.max_threads_per_block, 512);
  EXPECT_GE(p.shared_memory_per_block_optin_bytes, p.shared_memory_per_block_bytes);
  // "domain:bus:device.function", e.g. "0000:65:00.0".
  EXPECT_EQ(std::count(p.pci_bus_id.begin(), p.pci_bus_id.end(), ':'), 2) << p.pci_bus_id;
  EXPECT_NE(p.pci_bus_id.find('.'), std::string::npos) << p.pci_bus_id;
}

TEST(DeviceGpu, SetDeviceChangesCurrentDevice) {
  TRTUTILS_REQUIRE_GPU();
  const int last = device_count() - 1;
  set_device(last);
  EXPECT_EQ(current_device(), last);
  set_device(0);
  EXPECT_EQ(current_device(), 0);
}

TEST(DeviceGpu, MemoryInfoIsConsistentWithProperties) {
  TRTUTILS_REQUIRE_GPU();
  set_device(0);
  const MemoryInfo info = memory_info();
  EXPECT_GT(info.free_bytes, 0u);
  EXPECT_LE(info.free_bytes, info.total_bytes);
  EXPECT_LE(info.total_bytes, device_properties(0).total_memory_bytes);
}

}  // namespace
}  // namespace trtutils::core
