#include "trtutils/core/memory.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "trtutils/core/cuda_check.hpp"
#include "trtutils/core/device.hpp"

namespace trtutils::core {
namespace {

// Allocation failures become OutOfMemoryError carrying what was asked for and
// what the device had; other failures (no device, bad context) stay CudaError.
[[noreturn]] void throw_allocation_failure(cudaError_t status, const std::string& call,
                                           std::size_t bytes, const char* file, int line) {
  (void)cudaGetLastError();  // clear the sticky error before asking for memory info
  if (status != cudaErrorMemoryAllocation) {
    trtutils::detail::throw_cuda_error(static_cast<int>(status), call.c_str(), file, line);
  }
  std::size_t free_bytes = 0;
  std::size_t total_bytes = 0;
  if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) {
    (void)cudaGetLastError();
    free_bytes = total_bytes = 0;
  }
  throw OutOfMemoryError(static_cast<int>(status), call, cudaGetErrorName(status),
                         cudaGetErrorString(status), file, line, bytes, free_bytes, total_bytes);
}

#define TRTUTILS_ALLOCATION_CHECK(expr, what, bytes)                                      \
  do {                                                                                    \
    const cudaError_t trtutils_alloc_status_ = (expr);                                    \
    if (trtutils_alloc_status_ != cudaSuccess) {                                          \
      throw_allocation_failure(trtutils_alloc_status_,                                    \
                               trtutils::detail::concat(what, "(", bytes, " bytes)"), bytes, \
                               __FILE__, __LINE__);                                       \
    }                                                                                     \
  } while (false)

void check_fits(const char* operation, std::size_t bytes, std::size_t dst_size,
                std::size_t src_size) {
  TRTUTILS_CHECK(bytes <= dst_size && bytes <= src_size, operation, ": cannot copy ", bytes,
                 " bytes: the destination holds ", dst_size, " bytes and the source holds ",
                 src_size, " bytes; copy at most ", std::min(dst_size, src_size), " bytes");
}

// The synchronous forms queue on the default stream and wait for it: plain
// cudaMemcpy may return before a pageable host->device or device->device copy
// has landed, and cudaMemset is asynchronous for device memory (CUDA runtime
// API, "API synchronization behavior"), which would race with work that the
// caller then queues on a non-blocking stream.
void copy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind) {
  if (bytes == 0) return;
  TRTUTILS_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, nullptr));
  TRTUTILS_CUDA_CHECK(cudaStreamSynchronize(nullptr));
}

void copy_async(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind,
                StreamView stream) {
  if (bytes == 0) return;
  TRTUTILS_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, stream.handle()));
}

}  // namespace

// --- DeviceBuffer -----------------------------------------------------------

DeviceBuffer::DeviceBuffer(std::size_t bytes) {
  if (bytes == 0) return;
  device_ = current_device();
  TRTUTILS_ALLOCATION_CHECK(cudaMalloc(&data_, bytes), "cudaMalloc", bytes);
  size_ = bytes;
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      device_(std::exchange(other.device_, -1)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    DeviceBuffer old(std::move(*this));
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    device_ = std::exchange(other.device_, -1);
  }
  return *this;
}

DeviceBuffer::~DeviceBuffer() {
  if (data_ != nullptr && cudaFree(data_) != cudaSuccess) (void)cudaGetLastError();
}

// --- PinnedBuffer -----------------------------------------------------------

PinnedBuffer::PinnedBuffer(std::size_t bytes, bool mapped) : mapped_(mapped) {
  if (bytes == 0) return;
  unsigned int flags = cudaHostAllocPortable;
  if (mapped) flags |= cudaHostAllocMapped;
  TRTUTILS_ALLOCATION_CHECK(cudaHostAlloc(&data_, bytes, flags), "cudaHostAlloc", bytes);
  size_ = bytes;
}

PinnedBuffer::PinnedBuffer(PinnedBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, false)) {}

PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& other) noexcept {
  if (this != &other) {
    PinnedBuffer old(std::move(*this));
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, false);
  }
  return *this;
}

PinnedBuffer::~PinnedBuffer() {
  if (data_ != nullptr && cudaFreeHost(data_) != cudaSuccess) (void)cudaGetLastError();
}

void* PinnedBuffer::device_pointer() const {
  TRTUTILS_CHECK(mapped_, "PinnedBuffer::device_pointer: the buffer was not allocated mapped; ",
                 "use allocate_pagelocked(bytes, /*mapped=*/true)");
  if (data_ == nullptr) return nullptr;
  void* device = nullptr;
  TRTUTILS_CUDA_CHECK(cudaHostGetDevicePointer(&device, data_, 0));
  return device;
}

// --- ManagedBuffer ----------------------------------------------------------

ManagedBuffer::ManagedBuffer(std::size_t bytes) {
  if (bytes == 0) return;
  const MemoryInfo info = memory_info();
  if (bytes > info.free_bytes) {
    throw OutOfMemoryError(static_cast<int>(cudaErrorMemoryAllocation),
                           trtutils::detail::concat("cudaMallocManaged(", bytes, " bytes)"),
                           cudaGetErrorName(cudaErrorMemoryAllocation),
                           "refused before allocating: more than the device's free memory",
                           __FILE__, __LINE__, bytes, info.free_bytes, info.total_bytes);
  }
  TRTUTILS_ALLOCATION_CHECK(cudaMallocManaged(&data_, bytes, cudaMemAttachGlobal),
                            "cudaMallocManaged", bytes);
  size_ = bytes;
}

ManagedBuffer::ManagedBuffer(ManagedBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

ManagedBuffer& ManagedBuffer::operator=(ManagedBuffer&& other) noexcept {
  if (this != &other) {
    ManagedBuffer old(std::move(*this));
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

ManagedBuffer::~ManagedBuffer() {
  if (data_ != nullptr && cudaFree(data_) != cudaSuccess) (void)cudaGetLastError();
}

DeviceBuffer allocate_device(std::size_t bytes) { return DeviceBuffer(bytes); }
PinnedBuffer allocate_pagelocked(std::size_t bytes, bool mapped) {
  return PinnedBuffer(bytes, mapped);
}
ManagedBuffer allocate_managed(std::size_t bytes) { return ManagedBuffer(bytes); }

// --- raw transfers ----------------------------------------------------------

void memcpy_host_to_device(void* dst, const void* src, std::size_t bytes) {
  copy(dst, src, bytes, cudaMemcpyHostToDevice);
}
void memcpy_device_to_host(void* dst, const void* src, std::size_t bytes) {
  copy(dst, src, bytes, cudaMemcpyDeviceToHost);
}
void memcpy_device_to_device(void* dst, const void* src, std::size_t bytes) {
  copy(dst, src, bytes, cudaMemcpyDeviceToDevice);
}
void memcpy_host_to_device_async(void* dst, const void* src, std::size_t bytes,
                                 StreamView stream) {
  copy_async(dst, src, bytes, cudaMemcpyHostToDevice, stream);
}
void memcpy_device_to_host_async(void* dst, const void* src, std::size_t bytes,
                                 StreamView stream) {
  copy_async(dst, src, bytes, cudaMemcpyDeviceToHost, stream);
}
void memcpy_device_to_device_async(void* dst, const void* src, std::size_t bytes,
                                   StreamView stream) {
  copy_async(dst, src, bytes, cudaMemcpyDeviceToDevice, stream);
}
void memset_device(void* dst, int value, std::size_t bytes) {
  if (bytes == 0) return;
  TRTUTILS_CUDA_CHECK(cudaMemsetAsync(dst, value, bytes, nullptr));
  TRTUTILS_CUDA_CHECK(cudaStreamSynchronize(nullptr));
}
void memset_device_async(void* dst, int value, std::size_t bytes, StreamView stream) {
  if (bytes == 0) return;
  TRTUTILS_CUDA_CHECK(cudaMemsetAsync(dst, value, bytes, stream.handle()));
}

// --- checked transfers ------------------------------------------------------

void memcpy_host_to_device(DeviceBuffer& dst, std::span<const std::byte> src, std::size_t bytes) {
  check_fits("memcpy_host_to_device", bytes, dst.size(), src.size());
  memcpy_host_to_device(dst.data(), src.data(), bytes);
}
void memcpy_host_to_device(DeviceBuffer& dst, std::span<const std::byte> src) {
  memcpy_host_to_device(dst, src, src.size());
}
void memcpy_device_to_host(std::span<std::byte> dst, const DeviceBuffer& src, std::size_t bytes) {
  check_fits("memcpy_device_to_host", bytes, dst.size(), src.size());
  memcpy_device_to_host(dst.data(), src.data(), bytes);
}
void memcpy_device_to_host(std::span<std::byte> dst, const DeviceBuffer& src) {
  memcpy_device_to_host(dst, src, src.size());
}
void memcpy_device_to_device(DeviceBuffer& dst, const DeviceBuffer& src, std::size_t bytes) {
  check_fits("memcpy_device_to_device", bytes, dst.size(), src.size());
  memcpy_device_to_device(dst.data(), src.data(), bytes);
}
void memcpy_device_to_device(DeviceBuffer& dst, const DeviceBuffer& src) {
  memcpy_device_to_device(dst, src, src.size());
}
void memcpy_host_to_device_async(DeviceBuffer& dst, std::span<const std::byte> src,
                                 std::size_t bytes, StreamView stream) {
  check_fits("memcpy_host_to_device_async", bytes, dst.size(), src.size());
  memcpy_host_to_device_async(dst.data(), src.data(), bytes, stream);
}
void memcpy_host_to_device_async(DeviceBuffer& dst, std::span<const std::byte> src,
                                 StreamView stream) {
  memcpy_host_to_device_async(dst, src, src.size(), stream);
}
void memcpy_device_to_host_async(std::span<std::byte> dst, const DeviceBuffer& src,
                                 std::size_t bytes, StreamView stream) {
  check_fits("memcpy_device_to_host_async", bytes, dst.size(), src.size());
  memcpy_device_to_host_async(dst.data(), src.data(), bytes, stream);
}
void memcpy_device_to_host_async(std::span<std::byte> dst, const DeviceBuffer& src,
                                 StreamView stream) {
  memcpy_device_to_host_async(dst, src, src.size(), stream);
}
void memcpy_device_to_device_async(DeviceBuffer& dst, const DeviceBuffer& src, std::size_t bytes,
                                   StreamView stream) {
  check_fits("memcpy_device_to_device_async", bytes, dst.size(), src.size());
  memcpy_device_to_device_async(dst.data(), src.data(), bytes, stream);
}
void memcpy_device_to_device_async(DeviceBuffer& dst, const DeviceBuffer& src, StreamView stream) {
  memcpy_device_to_device_async(dst, src, src.size(), stream);
}
void memset_device(DeviceBuffer& dst, int value) { memset_device(dst.data(), value, dst.size()); }
void memset_device(DeviceBuffer& dst, int value, std::size_t bytes) {
  TRTUTILS_CHECK(bytes <= dst.size(), "memset_device: cannot set ", bytes,
                 " bytes: the destination holds ", dst.size(), " bytes");
  memset_device(dst.data(), value, bytes);
}
void memset_device_async(DeviceBuffer& dst, int value, StreamView stream) {
  memset_device_async(dst.data(), value, dst.size(), stream);
}
void memset_device_async(DeviceBuffer& dst, int value, std::size_t bytes, StreamView stream) {
  TRTUTILS_CHECK(bytes <= dst.size(), "memset_device_async: cannot set ", bytes,
                 " bytes: the destination holds ", dst.size(), " bytes");
  memset_device_async(dst.data(), value, bytes, stream);
}

}  // namespace trtutils::core
