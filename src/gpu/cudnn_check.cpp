#include "trtutils/gpu/cudnn_check.hpp"

#include <cudnn.h>

#include <array>
#include <string>

namespace trtutils::detail {

void throw_cudnn_error(int status, const char* call, const char* file, int line) {
  const auto cudnn_status = static_cast<cudnnStatus_t>(status);
  const std::string name = cudnnGetErrorString(cudnn_status);
  // The last error string names the offending argument (e.g. "CUDNN_BACKEND_API_FAILED ...
  // dimA[0] < 1"); reading it also clears it for the next failure.
  std::array<char, 1024> last{};
  cudnnGetLastErrorString(last.data(), last.size());
  std::string description = last[0] != '\0' ? std::string(last.data()) : "no further detail";
  std::string hint;
  if (cudnn_status == CUDNN_STATUS_BAD_PARAM || cudnn_status == CUDNN_STATUS_NOT_SUPPORTED) {
    hint = "Check the shapes, strides, dtypes and pads given to this call";
  }
  throw CudaError(status, call, name, description, file, line, hint);
}

}  // namespace trtutils::detail
