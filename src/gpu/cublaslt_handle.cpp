#include "trtutils/gpu/cublaslt_handle.hpp"

#include <cublasLt.h>

#include <utility>

#include "trtutils/gpu/cublas_check.hpp"

namespace trtutils::gpu {

CublasLtHandle::CublasLtHandle() { TRTUTILS_CUBLAS_CHECK(cublasLtCreate(&handle_)); }

CublasLtHandle::CublasLtHandle(CublasLtHandle&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)) {}

CublasLtHandle& CublasLtHandle::operator=(CublasLtHandle&& other) noexcept {
  if (this != &other) {
    destroy();
    handle_ = std::exchange(other.handle_, nullptr);
  }
  return *this;
}

CublasLtHandle::~CublasLtHandle() { destroy(); }

void CublasLtHandle::destroy() noexcept {
  if (handle_ != nullptr) (void)cublasLtDestroy(handle_);
  handle_ = nullptr;
}

std::string cublaslt_version() {
  const std::size_t version = cublasLtGetVersion();
  // major * 10000 + minor * 100 + patch (CUBLAS_VERSION's encoding).
  return detail::concat(version / 10000, ".", (version / 100) % 100, ".", version % 100);
}

}  // namespace trtutils::gpu
