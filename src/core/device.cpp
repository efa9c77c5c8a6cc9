#include "trtutils/core/device.hpp"

#include <cuda_runtime_api.h>

#include <array>

#include "trtutils/core/cuda_check.hpp"

namespace trtutils::core {
namespace {

void check_device_index(int index, const char* what) {
  const int count = device_count();
  if (count == 0) {
    TRTUTILS_CHECK(false, what, "(", index,
                   "): no CUDA device is available on this machine (no driver or no GPU); "
                   "run on a GPU machine or use the CPU path");
  }
  TRTUTILS_CHECK(index >= 0 && index < count, what, "(", index, "): device index out of range; ",
                 "this machine has ", count, " CUDA device", count == 1 ? "" : "s",
                 " (valid indices 0..", count - 1, ")");
}

}  // namespace

int device_count() noexcept {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return count;
}

DeviceProperties device_properties(int index) {
  check_device_index(index, "device_properties");
  cudaDeviceProp raw{};
  TRTUTILS_CUDA_CHECK(cudaGetDeviceProperties(&raw, index));
  DeviceProperties p;
  p.index = index;
  p.name = raw.name;
  p.compute_capability_major = raw.major;
  p.compute_capability_minor = raw.minor;
  p.sm_arch = detail::concat("sm_", raw.major, raw.minor);
  p.total_memory_bytes = raw.totalGlobalMem;
  p.multiprocessor_count = raw.multiProcessorCount;
  p.max_threads_per_block = raw.maxThreadsPerBlock;
  p.max_threads_per_multiprocessor = raw.maxThreadsPerMultiProcessor;
  p.warp_size = raw.warpSize;
  p.shared_memory_per_block_bytes = raw.sharedMemPerBlock;
  p.shared_memory_per_block_optin_bytes = raw.sharedMemPerBlockOptin;
  p.shared_memory_per_multiprocessor_bytes = raw.sharedMemPerMultiprocessor;
  p.registers_per_block = raw.regsPerBlock;
  p.l2_cache_bytes = raw.l2CacheSize;
  p.memory_bus_width_bits = raw.memoryBusWidth;
  p.async_engine_count = raw.asyncEngineCount;
  p.integrated = raw.integrated != 0;
  p.can_map_host_memory = raw.canMapHostMemory != 0;
  p.unified_addressing = raw.unifiedAddressing != 0;
  p.managed_memory = raw.managedMemory != 0;
  p.concurrent_managed_access = raw.concurrentManagedAccess != 0;
  std::array<char, 32> bus_id{};
  TRTUTILS_CUDA_CHECK(cudaDeviceGetPCIBusId(bus_id.data(), static_cast<int>(bus_id.size()), index));
  p.pci_bus_id = bus_id.data();
  return p;
}

int current_device() {
  int device = 0;
  TRTUTILS_CUDA_CHECK(cudaGetDevice(&device));
  return device;
}

void set_device(int index) {
  check_device_index(index, "set_device");
  TRTUTILS_CUDA_CHECK(cudaSetDevice(index));
}

MemoryInfo memory_info() {
  MemoryInfo info;
  TRTUTILS_CUDA_CHECK(cudaMemGetInfo(&info.free_bytes, &info.total_bytes));
  return info;
}

}  // namespace trtutils::core
