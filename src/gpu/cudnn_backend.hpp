#pragma once
// Owner of one cuDNN backend (graph API) descriptor, and typed setters and
// getters that check every status. The graph API is how cuDNN exposes its
// engines (the sm_90 tensor-core convolutions among them) beyond the legacy
// algorithm enum; ConvolutionGraph builds on this.
#include <cudnn.h>

#include <cstdint>
#include <span>
#include <vector>

#include "trtutils/gpu/cudnn_check.hpp"

namespace trtutils::gpu::detail {

class BackendDescriptor {
 public:
  BackendDescriptor() = default;
  explicit BackendDescriptor(cudnnBackendDescriptorType_t type);
  BackendDescriptor(const BackendDescriptor&) = delete;
  BackendDescriptor& operator=(const BackendDescriptor&) = delete;
  BackendDescriptor(BackendDescriptor&& other) noexcept;
  BackendDescriptor& operator=(BackendDescriptor&& other) noexcept;
  ~BackendDescriptor();

  cudnnBackendDescriptor_t get() const noexcept { return descriptor_; }
  explicit operator bool() const noexcept { return descriptor_ != nullptr; }

  void set(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type,
           std::int64_t count, const void* values);
  void set_int64(cudnnBackendAttributeName_t name, std::int64_t value);
  void set_int64s(cudnnBackendAttributeName_t name, std::span<const std::int64_t> values);
  void set_descriptor(cudnnBackendAttributeName_t name, const BackendDescriptor& value);
  void set_descriptors(cudnnBackendAttributeName_t name,
                       std::span<const cudnnBackendDescriptor_t> values);
  void finalize();

  std::int64_t get_int64(cudnnBackendAttributeName_t name) const;
  /// Every element of an attribute of `type` whose elements are plain values
  /// (notes, knob types...), read as int64-sized or smaller enums.
  template <typename T>
  std::vector<T> get_all(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type,
                         std::int64_t max_count) const {
    std::vector<T> values(static_cast<std::size_t>(max_count));
    std::int64_t count = 0;
    TRTUTILS_CUDNN_CHECK(
        cudnnBackendGetAttribute(descriptor_, name, type, max_count, &count, values.data()));
    values.resize(static_cast<std::size_t>(count));
    return values;
  }

 private:
  cudnnBackendDescriptor_t descriptor_ = nullptr;
};

/// Reads `count` descriptors of `type` held by `owner`'s attribute `name`
/// (heuristic results, knob choices, ...): cuDNN fills caller-created ones.
std::vector<BackendDescriptor> get_descriptors(const BackendDescriptor& owner,
                                               cudnnBackendAttributeName_t name,
                                               cudnnBackendDescriptorType_t type,
                                               std::int64_t max_count);

}  // namespace trtutils::gpu::detail
