#pragma once
// CUDA events: completion markers recorded on a stream, used to order streams
// (Stream::wait) and to time GPU work (elapsed_ms).
#include <cuda_runtime_api.h>

#include "trtutils/core/stream.hpp"

namespace trtutils::core {

struct EventOptions {
  /// Timing costs a little on record; turn it off for pure synchronisation events.
  bool timing = true;
  /// synchronize() sleeps the host thread instead of spinning.
  bool blocking_sync = false;
};

/// An owning CUDA event, created on the current device. Move-only.
class Event {
 public:
  explicit Event(EventOptions options = {});
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  Event(Event&& other) noexcept;
  Event& operator=(Event&& other) noexcept;
  ~Event();

  /// Captures the work queued on `stream` so far.
  void record(StreamView stream = {});
  /// Blocks until the recorded work has completed.
  void synchronize() const;
  /// True when the recorded work has completed (or nothing was recorded).
  bool query() const;

  cudaEvent_t handle() const noexcept { return event_; }
  bool timing_enabled() const noexcept { return timing_; }
  /// The device that was current when the event was created.
  int device() const noexcept { return device_; }

 private:
  void destroy() noexcept;

  cudaEvent_t event_ = nullptr;
  int device_ = -1;
  bool timing_ = true;
};

/// Milliseconds between two recorded, completed events (resolution about
/// 0.5 us). InvalidArgument if either was created without timing.
float elapsed_ms(const Event& start, const Event& end);

}  // namespace trtutils::core
