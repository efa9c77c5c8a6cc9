#pragma once
// Checking macros for CUDA runtime and NVRTC calls. Only the wrapper layer
// (src/core) includes CUDA headers; this header keeps that true by taking the
// status as an int.
#include "trtutils/core/error.hpp"

namespace trtutils::detail {
[[noreturn]] void throw_cuda_error(int status, const char* call, const char* file, int line);
[[noreturn]] void throw_nvrtc_error(int status, const char* call, const char* file, int line,
                                    const std::string& log = {});
}  // namespace trtutils::detail

/// Evaluates a cudaError_t-returning expression; throws CudaError on failure.
#define TRTUTILS_CUDA_CHECK(expr)                                                     \
  do {                                                                                \
    const int trtutils_status_ = static_cast<int>(expr);                              \
    if (trtutils_status_ != 0) {                                                      \
      ::trtutils::detail::throw_cuda_error(trtutils_status_, #expr, __FILE__, __LINE__); \
    }                                                                                 \
  } while (false)

/// Evaluates an nvrtcResult-returning expression; throws NvrtcError on failure.
#define TRTUTILS_NVRTC_CHECK(expr)                                                     \
  do {                                                                                 \
    const int trtutils_status_ = static_cast<int>(expr);                               \
    if (trtutils_status_ != 0) {                                                       \
      ::trtutils::detail::throw_nvrtc_error(trtutils_status_, #expr, __FILE__, __LINE__); \
    }                                                                                  \
  } while (false)
