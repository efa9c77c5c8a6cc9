#include "gpu/cudnn_backend.hpp"

#include <utility>

namespace trtutils::gpu::detail {

BackendDescriptor::BackendDescriptor(cudnnBackendDescriptorType_t type) {
  TRTUTILS_CUDNN_CHECK(cudnnBackendCreateDescriptor(type, &descriptor_));
}

BackendDescriptor::BackendDescriptor(BackendDescriptor&& other) noexcept
    : descriptor_(std::exchange(other.descriptor_, nullptr)) {}

BackendDescriptor& BackendDescriptor::operator=(BackendDescriptor&& other) noexcept {
  if (this != &other) {
    if (descriptor_ != nullptr) cudnnBackendDestroyDescriptor(descriptor_);
    descriptor_ = std::exchange(other.descriptor_, nullptr);
  }
  return *this;
}

BackendDescriptor::~BackendDescriptor() {
  // Destruction cannot report failure; cuDNN only fails it for a null descriptor.
  if (descriptor_ != nullptr) cudnnBackendDestroyDescriptor(descriptor_);
}

void BackendDescriptor::set(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type,
                            std::int64_t count, const void* values) {
  TRTUTILS_CUDNN_CHECK(cudnnBackendSetAttribute(descriptor_, name, type, count, values));
}

void BackendDescriptor::set_int64(cudnnBackendAttributeName_t name, std::int64_t value) {
  set(name, CUDNN_TYPE_INT64, 1, &value);
}

void BackendDescriptor::set_int64s(cudnnBackendAttributeName_t name,
                                   std::span<const std::int64_t> values) {
  set(name, CUDNN_TYPE_INT64, static_cast<std::int64_t>(values.size()), values.data());
}

void BackendDescriptor::set_descriptor(cudnnBackendAttributeName_t name,
                                       const BackendDescriptor& value) {
  const cudnnBackendDescriptor_t raw = value.get();
  set(name, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &raw);
}

void BackendDescriptor::set_descriptors(cudnnBackendAttributeName_t name,
                                        std::span<const cudnnBackendDescriptor_t> values) {
  set(name, CUDNN_TYPE_BACKEND_DESCRIPTOR, static_cast<std::int64_t>(values.size()),
      values.data());
}

void BackendDescriptor::finalize() { TRTUTILS_CUDNN_CHECK(cudnnBackendFinalize(descriptor_)); }

std::int64_t BackendDescriptor::get_int64(cudnnBackendAttributeName_t name) const {
  std::int64_t value = 0;
  std::int64_t count = 0;
  TRTUTILS_CUDNN_CHECK(
      cudnnBackendGetAttribute(descriptor_, name, CUDNN_TYPE_INT64, 1, &count, &value));
  return value;
}

std::vector<BackendDescriptor> get_descriptors(const BackendDescriptor& owner,
                                               cudnnBackendAttributeName_t name,
                                               cudnnBackendDescriptorType_t type,
                                               std::int64_t max_count) {
  std::vector<BackendDescriptor> owned;
  std::vector<cudnnBackendDescriptor_t> raw;
  owned.reserve(static_cast<std::size_t>(max_count));
  for (std::int64_t i = 0; i < max_count; ++i) raw.push_back(owned.emplace_back(type).get());
  std::int64_t count = 0;
  TRTUTILS_CUDNN_CHECK(cudnnBackendGetAttribute(owner.get(), name, CUDNN_TYPE_BACKEND_DESCRIPTOR,
                                                max_count, &count, raw.data()));
  owned.resize(static_cast<std::size_t>(count));
  return owned;
}

}  // namespace trtutils::gpu::detail
