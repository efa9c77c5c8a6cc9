#include "trtutils/core/binding.hpp"

#include <utility>

#include "trtutils/core/error.hpp"

namespace trtutils::core {
namespace {

void check_matches(const Binding& binding, const TensorView& tensor, const char* operation) {
  TRTUTILS_CHECK(tensor.dtype() == binding.dtype && tensor.shape() == binding.shape, operation,
                 ": tensor of shape ", shape_to_string(tensor.shape()), " and dtype ",
                 dtype_name(tensor.dtype()), " does not match binding '", binding.name,
                 "' of shape ", shape_to_string(binding.shape), " and dtype ",
                 dtype_name(binding.dtype), "; reshape or cast the tensor first");
}

PinnedBuffer& mirror_of(Binding& binding, const char* operation) {
  TRTUTILS_CHECK(binding.host_allocation.has_value(), operation, ": binding '", binding.name,
                 "' has no page-locked host mirror; create it with pagelocked = true");
  return *binding.host_allocation;
}

}  // namespace

TensorView Binding::host_view() {
  PinnedBuffer& mirror = mirror_of(*this, "Binding::host_view");
  return {mirror.data(), shape, dtype};
}

Binding create_binding(Shape shape, DType dtype, bool pagelocked, std::string name,
                       bool is_input) {
  TRTUTILS_CHECK(dtype != DType::kUndefined, "create_binding('", name,
                 "'): the dtype is undefined; pass a concrete dtype such as f32");
  const auto bytes = static_cast<std::size_t>(element_count(shape)) * dtype_size(dtype);
  Binding binding;
  binding.name = std::move(name);
  binding.shape = std::move(shape);
  binding.dtype = dtype;
  binding.is_input = is_input;
  binding.allocation = allocate_device(bytes);
  if (pagelocked) binding.host_allocation = allocate_pagelocked(bytes);
  return binding;
}

Binding create_binding(const TensorView& tensor, bool pagelocked, std::string name,
                       bool is_input) {
  return create_binding(tensor.shape(), tensor.dtype(), pagelocked, std::move(name), is_input);
}

Binding create_binding(const HostTensor& tensor, bool pagelocked, std::string name,
                       bool is_input) {
  return create_binding(tensor.shape(), tensor.dtype(), pagelocked, std::move(name), is_input);
}

void copy_to_device(Binding& binding, const TensorView& source) {
  check_matches(binding, source, "copy_to_device");
  memcpy_host_to_device(binding.device_pointer(), source.data(), binding.byte_size());
}

void copy_to_device_async(Binding& binding, const TensorView& source, StreamView stream) {
  check_matches(binding, source, "copy_to_device_async");
  memcpy_host_to_device_async(binding.device_pointer(), source.data(), binding.byte_size(),
                              stream);
}

void copy_to_host(const Binding& binding, const TensorView& destination) {
  check_matches(binding, destination, "copy_to_host");
  memcpy_device_to_host(destination.data(), binding.device_pointer(), binding.byte_size());
}

void copy_to_host_async(const Binding& binding, const TensorView& destination,
                        StreamView stream) {
  check_matches(binding, destination, "copy_to_host_async");
  memcpy_device_to_host_async(destination.data(), binding.device_pointer(), binding.byte_size(),
                              stream);
}

HostTensor to_host_tensor(const Binding& binding) {
  HostTensor tensor(binding.shape, binding.dtype);
  copy_to_host(binding, tensor.view());
  return tensor;
}

void copy_mirror_to_device(Binding& binding) {
  PinnedBuffer& mirror = mirror_of(binding, "copy_mirror_to_device");
  memcpy_host_to_device(binding.allocation, mirror.bytes());
}

void copy_mirror_to_device_async(Binding& binding, StreamView stream) {
  PinnedBuffer& mirror = mirror_of(binding, "copy_mirror_to_device_async");
  memcpy_host_to_device_async(binding.allocation, mirror.bytes(), stream);
}

void copy_device_to_mirror(Binding& binding) {
  PinnedBuffer& mirror = mirror_of(binding, "copy_device_to_mirror");
  memcpy_device_to_host(mirror.bytes(), binding.allocation);
}

void copy_device_to_mirror_async(Binding& binding, StreamView stream) {
  PinnedBuffer& mirror = mirror_of(binding, "copy_device_to_mirror_async");
  memcpy_device_to_host_async(mirror.bytes(), binding.allocation, stream);
}

}  // namespace trtutils::core
