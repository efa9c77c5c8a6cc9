#pragma once
// Binding: a named, shaped, typed device allocation with an optional
// page-locked host mirror, the unit an engine's inputs and outputs are made
// of (as in the Python trtutils `Binding` / `create_binding`).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "trtutils/core/memory.hpp"
#include "trtutils/core/stream.hpp"
#include "trtutils/tensor/dtype.hpp"
#include "trtutils/tensor/host_tensor.hpp"
#include "trtutils/tensor/shape.hpp"

namespace trtutils::core {

struct Binding {
  std::string name;
  Shape shape;
  DType dtype = DType::kUndefined;
  DeviceBuffer allocation;
  /// Page-locked staging memory of the same size, for truly asynchronous
  /// transfers (absent when created with pagelocked = false).
  std::optional<PinnedBuffer> host_allocation;
  bool is_input = false;

  std::size_t byte_size() const noexcept { return allocation.size(); }
  std::int64_t element_count() const { return trtutils::element_count(shape); }
  void* device_pointer() noexcept { return allocation.data(); }
  const void* device_pointer() const noexcept { return allocation.data(); }
  bool has_host_mirror() const noexcept { return host_allocation.has_value(); }
  /// The host mirror as a tensor view; InvalidArgument if there is none.
  TensorView host_view();
};

/// A binding shaped and typed like `tensor` (its values are not copied; use
/// copy_to_device). `pagelocked` adds a page-locked host mirror.
Binding create_binding(const TensorView& tensor, bool pagelocked = true, std::string name = "",
                       bool is_input = false);
Binding create_binding(const HostTensor& tensor, bool pagelocked = true, std::string name = "",
                       bool is_input = false);
Binding create_binding(Shape shape, DType dtype, bool pagelocked = true, std::string name = "",
                       bool is_input = false);

// Host tensor <-> binding transfers. The tensor's shape and dtype must equal
// the binding's, or InvalidArgument names both (checked before any CUDA
// call). The async forms return at once; the host memory must stay alive
// and unchanged until the stream reaches the copy.
void copy_to_device(Binding& binding, const TensorView& source);
void copy_to_device_async(Binding& binding, const TensorView& source, StreamView stream);
void copy_to_host(const Binding& binding, const TensorView& destination);
void copy_to_host_async(const Binding& binding, const TensorView& destination, StreamView stream);
/// A new host tensor with the binding's contents (synchronous).
HostTensor to_host_tensor(const Binding& binding);
inline void copy_to_device(Binding& binding, const HostTensor& source) {
  copy_to_device(binding, source.view());
}
inline void copy_to_device_async(Binding& binding, const HostTensor& source, StreamView stream) {
  copy_to_device_async(binding, source.view(), stream);
}
inline void copy_to_host(const Binding& binding, HostTensor& destination) {
  copy_to_host(binding, destination.view());
}
inline void copy_to_host_async(const Binding& binding, HostTensor& destination,
                               StreamView stream) {
  copy_to_host_async(binding, destination.view(), stream);
}

// Host mirror <-> device transfers (InvalidArgument when there is no mirror).
void copy_mirror_to_device(Binding& binding);
void copy_mirror_to_device_async(Binding& binding, StreamView stream);
void copy_device_to_mirror(Binding& binding);
void copy_device_to_mirror_async(Binding& binding, StreamView stream);

}  // namespace trtutils::core
