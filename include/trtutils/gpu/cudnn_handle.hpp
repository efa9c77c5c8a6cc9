#pragma once
// A cuDNN library context (cudnnHandle_t) bound to one stream. cuDNN queues all
// work of a handle on the handle's stream, so an ExecutionContext keeps one
// handle per stream it runs on; a handle must not be used by two host threads
// at once. Move-only.
#include "trtutils/core/stream.hpp"

// cudnn.h's `typedef struct cudnnContext *cudnnHandle_t`, declared here so that
// this header needs no cuDNN include.
struct cudnnContext;

namespace trtutils::gpu {

class CudnnHandle {
 public:
  /// Creates a handle on the current device (cudnnCreate: needs a GPU) whose
  /// work goes to `stream`.
  explicit CudnnHandle(core::StreamView stream = {});
  CudnnHandle(const CudnnHandle&) = delete;
  CudnnHandle& operator=(const CudnnHandle&) = delete;
  CudnnHandle(CudnnHandle&& other) noexcept;
  CudnnHandle& operator=(CudnnHandle&& other) noexcept;
  ~CudnnHandle();

  cudnnContext* handle() const noexcept { return handle_; }
  core::StreamView stream() const noexcept { return stream_; }
  /// Sends later work to `stream` (cudnnSetStream; host-only, no sync). A
  /// no-op when it already is the handle's stream.
  void set_stream(core::StreamView stream);

 private:
  void destroy() noexcept;

  cudnnContext* handle_ = nullptr;
  core::StreamView stream_;
};

/// cuDNN's version as "major.minor.patch" (the loaded library, not the header).
std::string cudnn_version();

}  // namespace trtutils::gpu
