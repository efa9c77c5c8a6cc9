#include "trtutils/gpu/cudnn_handle.hpp"

#include <cudnn.h>

#include <utility>

#include "trtutils/gpu/cudnn_check.hpp"

namespace trtutils::gpu {

CudnnHandle::CudnnHandle(core::StreamView stream) {
  TRTUTILS_CUDNN_CHECK(cudnnCreate(&handle_));
  try {
    TRTUTILS_CUDNN_CHECK(cudnnSetStream(handle_, stream.handle()));
  } catch (...) {
    destroy();
    throw;
  }
  stream_ = stream;
}

CudnnHandle::CudnnHandle(CudnnHandle&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)), stream_(other.stream_) {}

CudnnHandle& CudnnHandle::operator=(CudnnHandle&& other) noexcept {
  if (this != &other) {
    destroy();
    handle_ = std::exchange(other.handle_, nullptr);
    stream_ = other.stream_;
  }
  return *this;
}

CudnnHandle::~CudnnHandle() { destroy(); }

void CudnnHandle::destroy() noexcept {
  if (handle_ != nullptr) (void)cudnnDestroy(handle_);
  handle_ = nullptr;
}

void CudnnHandle::set_stream(core::StreamView stream) {
  TRTUTILS_CHECK(handle_ != nullptr, "CudnnHandle::set_stream on a moved-from handle");
  if (stream.handle() == stream_.handle()) return;
  TRTUTILS_CUDNN_CHECK(cudnnSetStream(handle_, stream.handle()));
  stream_ = stream;
}

std::string cudnn_version() {
  const std::size_t version = cudnnGetVersion();
  // cuDNN 9 encodes major * 10000 + minor * 100 + patch.
  return detail::concat(version / 10000, ".", (version / 100) % 100, ".", version % 100);
}

}  // namespace trtutils::gpu
