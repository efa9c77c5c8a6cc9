#pragma once
// DLPack interop (https://dmlc.github.io/dlpack/latest/), against the legacy
// DLManagedTensor of DLPack 0.6 that Debian ships as <dlpack/dlpack.h>.
//
// Export: to_dlpack() hands a HostTensor to a consumer without copying (the
// tensor moves into the DLManagedTensor and its deleter frees it);
// to_dlpack_borrowed() exports memory owned elsewhere (e.g. a device buffer)
// and calls back when the consumer is done with it.
// Import: from_dlpack() wraps a producer's DLManagedTensor in DLPackTensor,
// which validates it and calls the producer's deleter exactly once.
//
// Booleans: DLPack 0.6 has no boolean type code (kDLBool = 6 arrived in
// DLPack 0.8). Export therefore describes kBool as {kDLUInt, 8, 1}, which every
// 0.6 consumer reads as uint8 with the same 0/1 bytes; a bool tensor exported
// and imported again comes back as kUInt8. Import also accepts {6, 8, 1} from
// producers built against DLPack >= 0.8 as kBool.
#include <dlpack/dlpack.h>

#include <functional>

#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils {

/// kDLBool's type code in DLPack >= 0.8 (absent from the 0.6 header).
inline constexpr std::uint8_t kDLPackBoolTypeCode = 6;

/// Our dtype as a DLPack data type (lanes = 1). Throws InvalidArgument for kUndefined.
DLDataType to_dlpack_dtype(DType dtype);
/// A DLPack data type as our dtype. Throws InvalidArgument, naming the type, for
/// vector types (lanes != 1) and types trtutils has no dtype for.
DType from_dlpack_dtype(DLDataType dtype);

/// Moves `tensor` into a new DLManagedTensor (zero copy: dl_tensor.data is the
/// tensor's own storage). The consumer must call its deleter exactly once.
/// Strides are given explicitly (row-major). Throws InvalidArgument for an
/// empty (moved-from or default) tensor.
DLManagedTensor* to_dlpack(HostTensor&& tensor);

/// Exports memory owned by someone else. `device` is kDLCPU, kDLCUDA or
/// kDLCUDAHost. `on_release` runs once, from the consumer's call to the deleter;
/// it must not throw (a throwing one terminates, as a throwing destructor would).
DLManagedTensor* to_dlpack_borrowed(void* data, Shape shape, DType dtype, DLDevice device,
                                    std::function<void()> on_release);

/// Owns a DLManagedTensor received from a producer and calls its deleter on
/// destruction. Move-only.
class DLPackTensor {
 public:
  DLPackTensor() = default;
  /// See from_dlpack().
  explicit DLPackTensor(DLManagedTensor* managed);
  DLPackTensor(const DLPackTensor&) = delete;
  DLPackTensor& operator=(const DLPackTensor&) = delete;
  DLPackTensor(DLPackTensor&& other) noexcept;
  DLPackTensor& operator=(DLPackTensor&& other) noexcept;
  ~DLPackTensor();

  /// First element: dl_tensor.data + byte_offset. Host or device address
  /// depending on device().
  void* data() const noexcept { return data_; }
  const Shape& shape() const noexcept { return shape_; }
  DType dtype() const noexcept { return dtype_; }
  DLDevice device() const noexcept { return device_; }
  std::int64_t element_count() const noexcept { return elements_; }
  std::size_t byte_size() const noexcept {
    return static_cast<std::size_t>(elements_) * dtype_size(dtype_);
  }
  bool empty() const noexcept { return managed_ == nullptr; }
  /// True for kDLCPU and kDLCUDAHost (page-locked host memory).
  bool is_host_accessible() const noexcept;

  /// A host view of the data. Throws InvalidArgument for device memory: copy
  /// it to the host first.
  TensorView view() const;

  /// The managed tensor, still owned by this object.
  const DLManagedTensor* get() const noexcept { return managed_; }
  /// Gives up ownership: the caller now must call the deleter.
  DLManagedTensor* release() noexcept;

 private:
  void validate();
  void reset() noexcept;

  DLManagedTensor* managed_ = nullptr;
  void* data_ = nullptr;
  Shape shape_;
  DType dtype_ = DType::kUndefined;
  DLDevice device_{kDLCPU, 0};
  std::int64_t elements_ = 0;
};

/// Takes ownership of `managed` whatever happens: if the tensor is refused
/// (null data with elements, unsupported dtype or device, non-contiguous
/// strides) the deleter runs before InvalidArgument is thrown. Accepted
/// devices: kDLCPU, kDLCUDA, kDLCUDAHost. Strides must be null or row-major
/// (dimensions of extent 1 may carry any stride, as PyTorch produces them).
DLPackTensor from_dlpack(DLManagedTensor* managed);

}  // namespace trtutils
