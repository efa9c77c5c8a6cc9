#pragma once
// A cuBLASLt library context (cublasLtHandle_t). Unlike cuDNN, cuBLASLt takes
// the stream at each cublasLtMatmul call, so one handle serves every stream of
// a device; it holds no per-call state and may be shared by threads. Move-only.
#include <string>

// cublasLt.h's `typedef struct cublasLtContext *cublasLtHandle_t`.
struct cublasLtContext;

namespace trtutils::gpu {

class CublasLtHandle {
 public:
  /// cublasLtCreate on the current device (needs a GPU: without one it
  /// fails with CUBLAS_STATUS_NOT_INITIALIZED).
  CublasLtHandle();
  CublasLtHandle(const CublasLtHandle&) = delete;
  CublasLtHandle& operator=(const CublasLtHandle&) = delete;
  CublasLtHandle(CublasLtHandle&& other) noexcept;
  CublasLtHandle& operator=(CublasLtHandle&& other) noexcept;
  ~CublasLtHandle();

  cublasLtContext* handle() const noexcept { return handle_; }

 private:
  void destroy() noexcept;

  cublasLtContext* handle_ = nullptr;
};

/// The loaded cuBLASLt's version as "major.minor.patch".
std::string cublaslt_version();

}  // namespace trtutils::gpu
