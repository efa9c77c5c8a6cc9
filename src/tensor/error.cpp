#include "trtutils/core/error.hpp"


namespace trtutils {

namespace {
std::string describe_cuda_failure(const std::string& call, const std::string& name,
                                  const std::string& description, const char* file, int line,
                                  const std::string& hint) {
  std::string message = detail::concat(call, " failed: ", name, " (", description, ") at ", file,
                                       ":", line);
  if (!hint.empty()) message += detail::concat(". ", hint);
  return message;
}
}  // namespace

CudaError::CudaError(int code, std::string call, std::string error_name, std::string error_string,
                     const char* file, int line, std::string hint)
    : Error(describe_cuda_failure(call, error_name, error_string, file, line, hint)),
      code_(code),
      call_(std::move(call)),
      error_name_(std::move(error_name)),
      error_string_(std::move(error_string)),
      file_(file),
      line_(line) {}

OutOfMemoryError::OutOfMemoryError(int code, std::string call, std::string error_name,
                                   std::string error_string, const char* file, int line,
                                   std::size_t requested_bytes, std::size_t free_bytes,
                                   std::size_t total_bytes)
    : CudaError(code, std::move(call), std::move(error_name), std::move(error_string), file, line,
                detail::concat("Requested ", requested_bytes, " bytes; the device has ",
                               free_bytes, " of ", total_bytes,
                               " bytes free. Free memory or reduce the batch size")),
      requested_(requested_bytes),
      free_(free_bytes),
      total_(total_bytes) {}

NvrtcError::NvrtcError(std::string call, std::string error_name, std::string log,
                       const char* file, int line)
    : Error(detail::concat(call, " failed: ", error_name, " at ", file, ":", line,
                           log.empty() ? "" : "\n--- NVRTC log ---\n", log)),
      call_(std::move(call)),
      error_name_(std::move(error_name)),
      log_(std::move(log)) {}

namespace detail {

void throw_invalid_argument(const std::string& message, const char* file, int line) {
  throw InvalidArgument(concat(message, " [", file, ":", line, "]"));
}

}  // namespace detail
}  // namespace trtutils
