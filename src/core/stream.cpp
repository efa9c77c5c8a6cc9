#include "trtutils/core/stream.hpp"

#include <utility>

#include "trtutils/core/cuda_check.hpp"
#include "trtutils/core/device.hpp"
#include "trtutils/core/event.hpp"

namespace trtutils::core {

void StreamView::synchronize() const { TRTUTILS_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

bool StreamView::query() const {
  const cudaError_t status = cudaStreamQuery(stream_);
  if (status == cudaErrorNotReady) return false;
  TRTUTILS_CUDA_CHECK(status);
  return true;
}

void StreamView::wait(const Event& event) const {
  TRTUTILS_CUDA_CHECK(cudaStreamWaitEvent(stream_, event.handle(), cudaEventWaitDefault));
}

StreamPriorityRange priority_range() {
  StreamPriorityRange range;
  TRTUTILS_CUDA_CHECK(cudaDeviceGetStreamPriorityRange(&range.least, &range.greatest));
  return range;
}

Stream::Stream(StreamOptions options) : device_(current_device()) {
  const unsigned int flags = options.non_blocking ? cudaStreamNonBlocking : cudaStreamDefault;
  if (options.priority.has_value()) {
    TRTUTILS_CUDA_CHECK(cudaStreamCreateWithPriority(&stream_, flags, *options.priority));
  } else {
    TRTUTILS_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, flags));
  }
}

Stream::Stream(Stream&& other) noexcept
    : stream_(std::exchange(other.stream_, nullptr)), device_(std::exchange(other.device_, -1)) {}

Stream& Stream::operator=(Stream&& other) noexcept {
  if (this != &other) {
    destroy();
    stream_ = std::exchange(other.stream_, nullptr);
    device_ = std::exchange(other.device_, -1);
  }
  return *this;
}

Stream::~Stream() { destroy(); }

int Stream::priority() const {
  int value = 0;
  TRTUTILS_CUDA_CHECK(cudaStreamGetPriority(stream_, &value));
  return value;
}

void Stream::destroy() noexcept {
  if (stream_ == nullptr) return;
  // Destroying returns at once; queued work still completes (CUDA runtime
  // docs, cudaStreamDestroy). Errors cannot be reported from a destructor.
  if (cudaStreamDestroy(stream_) != cudaSuccess) (void)cudaGetLastError();
  stream_ = nullptr;
}

}  // namespace trtutils::core
