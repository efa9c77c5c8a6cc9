#include "trtutils/gpu/cublas_check.hpp"

#include <cublasLt.h>

namespace trtutils::detail {

void throw_cublas_error(int status, const char* call, const char* file, int line) {
  const auto cublas_status = static_cast<cublasStatus_t>(status);
  throw CudaError(status, call, cublasLtGetStatusName(cublas_status),
                  cublasLtGetStatusString(cublas_status), file, line);
}

}  // namespace trtutils::detail
