#pragma once
// Checking macro for cuDNN calls, in the manner of TRTUTILS_CUDA_CHECK: the
// status is taken as an int (no cuDNN header needed here) and a failure throws
// trtutils::CudaError carrying the call text, cuDNN's status name
// ("CUDNN_STATUS_BAD_PARAM"), cudnnGetLastErrorString() (which usually names
// the argument cuDNN refused) and file:line.
#include "trtutils/core/error.hpp"

namespace trtutils::detail {
[[noreturn]] void throw_cudnn_error(int status, const char* call, const char* file, int line);
}  // namespace trtutils::detail

/// Evaluates a cudnnStatus_t-returning expression; throws CudaError on failure.
#define TRTUTILS_CUDNN_CHECK(expr)                                                        \
  do {                                                                                    \
    const int trtutils_status_ = static_cast<int>(expr);                                  \
    if (trtutils_status_ != 0) {                                                          \
      ::trtutils::detail::throw_cudnn_error(trtutils_status_, #expr, __FILE__, __LINE__); \
    }                                                                                     \
  } while (false)
