#pragma once
// One exception hierarchy for the whole library, and the checking macros that
// feed it. Every failure carries what was attempted and where (file:line), in
// the spirit of c10's C10_CUDA_CHECK / TORCH_CHECK.
#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace trtutils {

namespace detail {
template <typename... Parts>
std::string concat(Parts&&... parts) {
  std::ostringstream out;
  (out << ... << std::forward<Parts>(parts));
  return out.str();
}
}  // namespace detail

/// Base of every exception trtutils throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A caller passed something unusable (wrong shape, dtype, size, count...).
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

/// A file could not be read or written, or its contents are malformed.
class FileError : public Error {
 public:
  using Error::Error;
};

/// A model (ONNX graph, engine plan) is malformed or unsupported.
class ModelError : public Error {
 public:
  using Error::Error;
};

/// A model uses an operator, attribute value, opset or dtype the library does
/// not implement (as opposed to a model that is malformed).
class UnsupportedError : public ModelError {
 public:
  using ModelError::ModelError;
};

/// A CUDA runtime/driver call failed. Keeps the call text, error name and
/// description, and the place it was made.
class CudaError : public Error {
 public:
  CudaError(int code, std::string call, std::string error_name, std::string error_string,
            const char* file, int line, std::string hint = {});
  int code() const noexcept { return code_; }
  const std::string& call() const noexcept { return call_; }
  const std::string& error_name() const noexcept { return error_name_; }
  const std::string& error_string() const noexcept { return error_string_; }
  const char* file() const noexcept { return file_; }
  int line() const noexcept { return line_; }

 private:
  int code_;
  std::string call_;
  std::string error_name_;
  std::string error_string_;
  const char* file_;
  int line_;
};

/// A device or page-locked allocation failed; says how much was asked for and
/// how much the device had free at that moment.
class OutOfMemoryError : public CudaError {
 public:
  OutOfMemoryError(int code, std::string call, std::string error_name, std::string error_string,
                   const char* file, int line, std::size_t requested_bytes,
                   std::size_t free_bytes, std::size_t total_bytes);
  std::size_t requested_bytes() const noexcept { return requested_; }
  std::size_t free_bytes() const noexcept { return free_; }
  std::size_t total_bytes() const noexcept { return total_; }

 private:
  std::size_t requested_;
  std::size_t free_;
  std::size_t total_;
};

/// NVRTC failed; for compile errors log() is the compiler's full output.
class NvrtcError : public Error {
 public:
  NvrtcError(std::string call, std::string error_name, std::string log, const char* file,
             int line);
  const std::string& call() const noexcept { return call_; }
  const std::string& error_name() const noexcept { return error_name_; }
  const std::string& log() const noexcept { return log_; }

 private:
  std::string call_;
  std::string error_name_;
  std::string log_;
};

namespace detail {
[[noreturn]] void throw_invalid_argument(const std::string& message, const char* file, int line);
}  // namespace detail

}  // namespace trtutils

/// Throws trtutils::InvalidArgument with the streamed message and file:line
/// unless `condition` holds.
#define TRTUTILS_CHECK(condition, ...)                                                   \
  do {                                                                                   \
    if (!(condition)) {                                                                  \
      ::trtutils::detail::throw_invalid_argument(::trtutils::detail::concat(__VA_ARGS__), \
                                                 __FILE__, __LINE__);                    \
    }                                                                                    \
  } while (false)
