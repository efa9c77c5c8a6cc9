#pragma once
// CUDA devices: how many there are, what they are, which one is current, and
// how much memory is free.
#include <cstddef>
#include <string>

#include "trtutils/core/error.hpp"

namespace trtutils::core {

/// Number of usable CUDA devices; 0 (not an exception) when there is no
/// driver or no device, so callers can fall back to the CPU path.
int device_count() noexcept;

/// What the rest of the library needs to know about a device.
struct DeviceProperties {
  int index = 0;
  std::string name;
  int compute_capability_major = 0;
  int compute_capability_minor = 0;
  std::string sm_arch;  ///< e.g. "sm_90"; what NVRTC's --gpu-architecture and plan files use.
  std::size_t total_memory_bytes = 0;
  int multiprocessor_count = 0;
  int max_threads_per_block = 0;
  int max_threads_per_multiprocessor = 0;
  int warp_size = 0;
  std::size_t shared_memory_per_block_bytes = 0;
  std::size_t shared_memory_per_block_optin_bytes = 0;
  std::size_t shared_memory_per_multiprocessor_bytes = 0;
  int registers_per_block = 0;
  int l2_cache_bytes = 0;
  int memory_bus_width_bits = 0;
  int async_engine_count = 0;
  bool integrated = false;
  bool can_map_host_memory = false;
  bool unified_addressing = false;
  bool managed_memory = false;
  bool concurrent_managed_access = false;
  std::string pci_bus_id;  ///< "0000:65:00.0"
};

/// Properties of device `index`; InvalidArgument if there is no such device.
DeviceProperties device_properties(int index);
/// The calling thread's current device (CudaError when no device exists).
int current_device();
/// Makes device `index` current for the calling thread; InvalidArgument
/// naming the valid range when `index` is out of range.
void set_device(int index);

struct MemoryInfo {
  std::size_t free_bytes = 0;
  std::size_t total_bytes = 0;
};
/// Free and total memory of the current device (cudaMemGetInfo).
MemoryInfo memory_info();

}  // namespace trtutils::core
