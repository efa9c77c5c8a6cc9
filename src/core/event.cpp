#include "trtutils/core/event.hpp"

#include <utility>

#include "trtutils/core/cuda_check.hpp"
#include "trtutils/core/device.hpp"

namespace trtutils::core {

Event::Event(EventOptions options) : device_(current_device()), timing_(options.timing) {
  unsigned int flags = cudaEventDefault;
  if (!options.timing) flags |= cudaEventDisableTiming;
  if (options.blocking_sync) flags |= cudaEventBlockingSync;
  TRTUTILS_CUDA_CHECK(cudaEventCreateWithFlags(&event_, flags));
}

Event::Event(Event&& other) noexcept
    : event_(std::exchange(other.event_, nullptr)),
      device_(std::exchange(other.device_, -1)),
      timing_(other.timing_) {}

Event& Event::operator=(Event&& other) noexcept {
  if (this != &other) {
    destroy();
    event_ = std::exchange(other.event_, nullptr);
    device_ = std::exchange(other.device_, -1);
    timing_ = other.timing_;
  }
  return *this;
}

Event::~Event() { destroy(); }

void Event::record(StreamView stream) {
  TRTUTILS_CHECK(event_ != nullptr, "Event::record on a moved-from event");
  TRTUTILS_CUDA_CHECK(cudaEventRecord(event_, stream.handle()));
}

void Event::synchronize() const { TRTUTILS_CUDA_CHECK(cudaEventSynchronize(event_)); }

bool Event::query() const {
  const cudaError_t status = cudaEventQuery(event_);
  if (status == cudaErrorNotReady) return false;
  TRTUTILS_CUDA_CHECK(status);
  return true;
}

void Event::destroy() noexcept {
  if (event_ == nullptr) return;
  if (cudaEventDestroy(event_) != cudaSuccess) (void)cudaGetLastError();
  event_ = nullptr;
}

float elapsed_ms(const Event& start, const Event& end) {
  TRTUTILS_CHECK(start.timing_enabled() && end.timing_enabled(),
                 "elapsed_ms: both events must be created with timing enabled ",
                 "(EventOptions{.timing = true}); start timing=", start.timing_enabled(),
                 ", end timing=", end.timing_enabled());
  float milliseconds = 0.0F;
  TRTUTILS_CUDA_CHECK(cudaEventElapsedTime(&milliseconds, start.handle(), end.handle()));
  return milliseconds;
}

}  // namespace trtutils::core
