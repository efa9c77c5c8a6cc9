#pragma once
// Checking macro for cuBLAS / cuBLASLt calls, in the manner of
// TRTUTILS_CUDA_CHECK: a failure throws trtutils::CudaError carrying the call
// text, the status name ("CUBLAS_STATUS_INVALID_VALUE"), its description
// (cublasLtGetStatusString) and file:line.
#include "trtutils/core/error.hpp"

namespace trtutils::detail {
[[noreturn]] void throw_cublas_error(int status, const char* call, const char* file, int line);
}  // namespace trtutils::detail

/// Evaluates a cublasStatus_t-returning expression (cuBLAS or cuBLASLt);
/// throws CudaError on failure.
#define TRTUTILS_CUBLAS_CHECK(expr)                                                        \
  do {                                                                                     \
    const int trtutils_status_ = static_cast<int>(expr);                                   \
    if (trtutils_status_ != 0) {                                                           \
      ::trtutils::detail::throw_cublas_error(trtutils_status_, #expr, __FILE__, __LINE__); \
    }                                                                                      \
  } while (false)
