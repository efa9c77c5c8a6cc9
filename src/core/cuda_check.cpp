#include "trtutils/core/cuda_check.hpp"

#include <cuda_runtime_api.h>
#include <nvrtc.h>

namespace trtutils::detail {

void throw_cuda_error(int status, const char* call, const char* file, int line) {
  const auto error = static_cast<cudaError_t>(status);
  // A failed call may leave a sticky "last error"; clear it so the next check
  // reports its own failure, not this one.
  (void)cudaGetLastError();
  std::string hint;
  if (error == cudaErrorNoDevice || error == cudaErrorInsufficientDriver) {
    hint = "No usable CUDA device or driver on this machine";
  }
  throw CudaError(status, call, cudaGetErrorName(error), cudaGetErrorString(error), file, line,
                  hint);
}

void throw_nvrtc_error(int status, const char* call, const char* file, int line,
                       const std::string& log) {
  throw NvrtcError(call, nvrtcGetErrorString(static_cast<nvrtcResult>(status)), log, file, line);
}

}  // namespace trtutils::detail
