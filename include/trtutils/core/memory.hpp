#pragma once
// Device, page-locked (pinned) and managed memory owners, and the transfers
// between them. Every owner is move-only; a zero-byte buffer is valid, owns
// nothing and makes no CUDA call (so size checks can run without a GPU).
#include <cuda_runtime_api.h>

#include <cstddef>
#include <span>
#include <type_traits>

#include "trtutils/core/error.hpp"
#include "trtutils/core/stream.hpp"

namespace trtutils::core {

/// A typed, non-owning view of device memory. Unlike std::span it cannot be
/// dereferenced on the host; it carries a pointer and an element count to
/// kernels and copies.
template <typename T>
class DeviceSpan {
 public:
  DeviceSpan() = default;
  DeviceSpan(T* data, std::size_t size) noexcept : data_(data), size_(size) {}
  // A span of T converts to a span of const T.
  template <typename U>
    requires std::is_same_v<const U, T>
  DeviceSpan(DeviceSpan<U> other) noexcept : data_(other.data()), size_(other.size()) {}  // NOLINT

  T* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  std::size_t size_bytes() const noexcept { return size_ * sizeof(T); }
  bool empty() const noexcept { return size_ == 0; }
  /// Elements [offset, offset + count); InvalidArgument if that leaves the span.
  DeviceSpan subspan(std::size_t offset, std::size_t count) const {
    TRTUTILS_CHECK(offset <= size_ && count <= size_ - offset, "DeviceSpan::subspan(", offset,
                   ", ", count, ") is outside a span of ", size_, " elements");
    return {data_ + offset, count};
  }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

namespace detail {
template <typename T>
std::size_t checked_element_count(std::size_t bytes, const char* owner) {
  TRTUTILS_CHECK(bytes % sizeof(T) == 0, owner, " of ", bytes,
                 " bytes is not a whole number of ", sizeof(T), "-byte elements");
  return bytes / sizeof(T);
}
}  // namespace detail

/// Owns a device allocation (cudaMalloc) on the device current at creation.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  /// Allocates `bytes`; OutOfMemoryError (with the requested size and the
  /// device's free/total memory) when the device cannot provide them.
  explicit DeviceBuffer(std::size_t bytes);
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  ~DeviceBuffer();

  void* data() noexcept { return data_; }
  const void* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  /// The device the memory lives on; -1 for an empty buffer.
  int device() const noexcept { return device_; }

  /// The buffer as elements of T; InvalidArgument unless size() is a multiple of sizeof(T).
  template <typename T>
  DeviceSpan<T> as() {
    return {static_cast<T*>(data_), detail::checked_element_count<T>(size_, "DeviceBuffer")};
  }
  template <typename T>
  DeviceSpan<const T> as() const {
    return {static_cast<const T*>(data_), detail::checked_element_count<T>(size_, "DeviceBuffer")};
  }

 private:
  void* data_ = nullptr;
  std::size_t size_ = 0;
  int device_ = -1;
};

/// Owns page-locked host memory (cudaHostAlloc, portable to every device).
/// With `mapped`, the device can also address it directly (zero-copy).
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  explicit PinnedBuffer(std::size_t bytes, bool mapped = false);
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  PinnedBuffer(PinnedBuffer&& other) noexcept;
  PinnedBuffer& operator=(PinnedBuffer&& other) noexcept;
  ~PinnedBuffer();

  void* data() noexcept { return data_; }
  const void* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  bool mapped() const noexcept { return mapped_; }
  /// The device-side address of mapped memory (cudaHostGetDevicePointer);
  /// InvalidArgument if the buffer was not allocated mapped.
  void* device_pointer() const;

  std::span<std::byte> bytes() noexcept { return {static_cast<std::byte*>(data_), size_}; }
  std::span<const std::byte> bytes() const noexcept {
    return {static_cast<const std::byte*>(data_), size_};
  }
  template <typename T>
  std::span<T> as() {
    return {static_cast<T*>(data_), detail::checked_element_count<T>(size_, "PinnedBuffer")};
  }
  template <typename T>
  std::span<const T> as() const {
    return {static_cast<const T*>(data_), detail::checked_element_count<T>(size_, "PinnedBuffer")};
  }

 private:
  void* data_ = nullptr;
  std::size_t size_ = 0;
  bool mapped_ = false;
};

/// Owns unified (managed) memory (cudaMallocManaged, attached globally),
/// addressable from host and device. Synchronise before touching it on the
/// host after device work.
class ManagedBuffer {
 public:
  ManagedBuffer() = default;
  /// Refuses (OutOfMemoryError) a request larger than the device's free memory
  /// instead of letting managed memory oversubscribe and fail later on access.
  explicit ManagedBuffer(std::size_t bytes);
  ManagedBuffer(const ManagedBuffer&) = delete;
  ManagedBuffer& operator=(const ManagedBuffer&) = delete;
  ManagedBuffer(ManagedBuffer&& other) noexcept;
  ManagedBuffer& operator=(ManagedBuffer&& other) noexcept;
  ~ManagedBuffer();

  void* data() noexcept { return data_; }
  const void* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  std::span<std::byte> bytes() noexcept { return {static_cast<std::byte*>(data_), size_}; }
  std::span<const std::byte> bytes() const noexcept {
    return {static_cast<const std::byte*>(data_), size_};
  }
  template <typename T>
  std::span<T> as() {
    return {static_cast<T*>(data_), detail::checked_element_count<T>(size_, "ManagedBuffer")};
  }
  template <typename T>
  std::span<const T> as() const {
    return {static_cast<const T*>(data_), detail::checked_element_count<T>(size_, "ManagedBuffer")};
  }

 private:
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

DeviceBuffer allocate_device(std::size_t bytes);
PinnedBuffer allocate_pagelocked(std::size_t bytes, bool mapped = false);
ManagedBuffer allocate_managed(std::size_t bytes);

// --- raw transfers: the caller vouches for the sizes. Zero bytes is a no-op
// that makes no CUDA call. The synchronous forms return when the transfer has
// completed (they run on the default stream and wait for it). The *_async
// forms queue on `stream` and return; with host memory that is not
// page-locked CUDA may stage the copy and return only once the source has
// been read.
void memcpy_host_to_device(void* dst, const void* src, std::size_t bytes);
void memcpy_device_to_host(void* dst, const void* src, std::size_t bytes);
void memcpy_device_to_device(void* dst, const void* src, std::size_t bytes);
void memcpy_host_to_device_async(void* dst, const void* src, std::size_t bytes, StreamView stream);
void memcpy_device_to_host_async(void* dst, const void* src, std::size_t bytes, StreamView stream);
void memcpy_device_to_device_async(void* dst, const void* src, std::size_t bytes,
                                   StreamView stream);
/// Sets `bytes` bytes at `dst` to the low byte of `value` (cudaMemset semantics).
void memset_device(void* dst, int value, std::size_t bytes);
void memset_device_async(void* dst, int value, std::size_t bytes, StreamView stream);

// --- checked transfers: `bytes` must fit both the destination and the
// source, or InvalidArgument names both sizes before any CUDA call is made.
// The forms without `bytes` copy the whole source.
void memcpy_host_to_device(DeviceBuffer& dst, std::span<const std::byte> src, std::size_t bytes);
void memcpy_host_to_device(DeviceBuffer& dst, std::span<const std::byte> src);
void memcpy_device_to_host(std::span<std::byte> dst, const DeviceBuffer& src, std::size_t bytes);
void memcpy_device_to_host(std::span<std::byte> dst, const DeviceBuffer& src);
void memcpy_device_to_device(DeviceBuffer& dst, const DeviceBuffer& src, std::size_t bytes);
void memcpy_device_to_device(DeviceBuffer& dst, const DeviceBuffer& src);
void memcpy_host_to_device_async(DeviceBuffer& dst, std::span<const std::byte> src,
                                 std::size_t bytes, StreamView stream);
void memcpy_host_to_device_async(DeviceBuffer& dst, std::span<const std::byte> src,
                                 StreamView stream);
void memcpy_device_to_host_async(std::span<std::byte> dst, const DeviceBuffer& src,
                                 std::size_t bytes, StreamView stream);
void memcpy_device_to_host_async(std::span<std::byte> dst, const DeviceBuffer& src,
                                 StreamView stream);
void memcpy_device_to_device_async(DeviceBuffer& dst, const DeviceBuffer& src, std::size_t bytes,
                                   StreamView stream);
void memcpy_device_to_device_async(DeviceBuffer& dst, const DeviceBuffer& src, StreamView stream);
/// Whole buffer, or the first `bytes` bytes (checked against the buffer).
void memset_device(DeviceBuffer& dst, int value);
void memset_device(DeviceBuffer& dst, int value, std::size_t bytes);
void memset_device_async(DeviceBuffer& dst, int value, StreamView stream);
void memset_device_async(DeviceBuffer& dst, int value, std::size_t bytes, StreamView stream);

}  // namespace trtutils::core
