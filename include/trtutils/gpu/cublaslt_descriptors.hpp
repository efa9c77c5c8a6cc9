#pragma once
// Move-only owners of the cuBLASLt descriptors a matmul needs: the operation
// (cublasLtMatmulDesc_t), one layout per matrix (cublasLtMatrixLayout_t) and
// the algorithm-search preference (cublasLtMatmulPreference_t). Attributes go
// through set_attribute, which names the attribute in any error. All of this
// is host-only: no GPU is needed.
#include <cublasLt.h>

#include <cstdint>
#include <utility>

#include "trtutils/gpu/cublas_check.hpp"

namespace trtutils::gpu {

namespace detail {
template <typename Traits>
class CublasLtDescriptor {
 public:
  using Handle = typename Traits::Handle;

  CublasLtDescriptor() = default;
  /// Takes ownership of a created handle.
  explicit CublasLtDescriptor(Handle handle) noexcept : handle_(handle) {}
  CublasLtDescriptor(const CublasLtDescriptor&) = delete;
  CublasLtDescriptor& operator=(const CublasLtDescriptor&) = delete;
  CublasLtDescriptor(CublasLtDescriptor&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)) {}
  CublasLtDescriptor& operator=(CublasLtDescriptor&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  ~CublasLtDescriptor() { reset(); }

  Handle get() const noexcept { return handle_; }

  /// Sets one attribute by value (Traits::set_attribute, checked).
  template <typename Value>
  void set_attribute(typename Traits::Attribute attribute, const Value& value) {
    TRTUTILS_CHECK(handle_ != nullptr, "set_attribute on an empty cuBLASLt descriptor");
    Traits::set(handle_, attribute, &value, sizeof(Value));
  }

 private:
  void reset() noexcept {
    if (handle_ != nullptr) Traits::destroy(handle_);
    handle_ = nullptr;
  }

  Handle handle_ = nullptr;
};

struct MatmulDescriptorTraits {
  using Handle = cublasLtMatmulDesc_t;
  using Attribute = cublasLtMatmulDescAttributes_t;
  static void set(Handle handle, Attribute attribute, const void* value, std::size_t size) {
    TRTUTILS_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(handle, attribute, value, size));
  }
  static void destroy(Handle handle) noexcept { (void)cublasLtMatmulDescDestroy(handle); }
};
struct MatrixLayoutTraits {
  using Handle = cublasLtMatrixLayout_t;
  using Attribute = cublasLtMatrixLayoutAttribute_t;
  static void set(Handle handle, Attribute attribute, const void* value, std::size_t size) {
    TRTUTILS_CUBLAS_CHECK(cublasLtMatrixLayoutSetAttribute(handle, attribute, value, size));
  }
  static void destroy(Handle handle) noexcept { (void)cublasLtMatrixLayoutDestroy(handle); }
};
struct MatmulPreferenceTraits {
  using Handle = cublasLtMatmulPreference_t;
  using Attribute = cublasLtMatmulPreferenceAttributes_t;
  static void set(Handle handle, Attribute attribute, const void* value, std::size_t size) {
    TRTUTILS_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(handle, attribute, value, size));
  }
  static void destroy(Handle handle) noexcept { (void)cublasLtMatmulPreferenceDestroy(handle); }
};
}  // namespace detail

using MatmulDescriptor = detail::CublasLtDescriptor<detail::MatmulDescriptorTraits>;
using MatrixLayout = detail::CublasLtDescriptor<detail::MatrixLayoutTraits>;
using MatmulPreference = detail::CublasLtDescriptor<detail::MatmulPreferenceTraits>;

/// cublasLtMatmulDescCreate.
MatmulDescriptor make_matmul_descriptor(cublasComputeType_t compute_type,
                                        cudaDataType_t scale_type);
/// cublasLtMatrixLayoutCreate: a column-major rows x cols matrix with leading
/// dimension `ld` (cuBLASLt's native order; see matmul_plan.hpp for how
/// row-major tensors map onto it).
MatrixLayout make_matrix_layout(cudaDataType_t type, std::uint64_t rows, std::uint64_t cols,
                                std::int64_t ld);
/// cublasLtMatmulPreferenceCreate with a workspace ceiling.
MatmulPreference make_matmul_preference(std::size_t max_workspace_bytes);

}  // namespace trtutils::gpu
