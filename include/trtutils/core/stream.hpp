#pragma once
// CUDA streams: an owning, move-only Stream and a non-owning StreamView that
// every asynchronous operation takes (so it accepts a Stream, a raw
// cudaStream_t from another library, or the default stream).
#include <cuda_runtime_api.h>

#include <optional>

#include "trtutils/core/error.hpp"

namespace trtutils::core {

class Event;
class Stream;

/// A non-owning handle to a stream. Default-constructed = the legacy default
/// stream (cudaStream_t 0).
class StreamView {
 public:
  StreamView() = default;
  // Implicit on purpose: any API taking a StreamView accepts a Stream or a raw handle.
  StreamView(cudaStream_t stream) noexcept : stream_(stream) {}  // NOLINT(google-explicit-constructor)
  StreamView(const Stream& stream) noexcept;                      // NOLINT(google-explicit-constructor)

  cudaStream_t handle() const noexcept { return stream_; }
  /// Usable wherever the runtime API wants a cudaStream_t (as c10's CUDAStream
  /// is); comparisons then compare the handles.
  operator cudaStream_t() const noexcept { return stream_; }  // NOLINT(google-explicit-constructor)
  /// Blocks until all work queued on the stream has finished.
  void synchronize() const;
  /// True when all queued work has finished (cudaStreamQuery), false while busy.
  bool query() const;
  /// Makes later work on this stream wait until `event` has completed
  /// (cudaStreamWaitEvent); the host does not block.
  void wait(const Event& event) const;

 private:
  cudaStream_t stream_ = nullptr;
};

struct StreamOptions {
  /// Non-blocking streams do not synchronise with the legacy default stream.
  bool non_blocking = true;
  /// Lower numbers are higher priority; see priority_range(). Unset = default priority.
  std::optional<int> priority = std::nullopt;
};

struct StreamPriorityRange {
  int least = 0;     ///< lowest priority (numerically largest), the default
  int greatest = 0;  ///< highest priority (numerically smallest)
};
/// Valid priorities for streams on the current device. CUDA clamps values
/// outside the range.
StreamPriorityRange priority_range();

/// An owning CUDA stream, created on the current device and destroyed with
/// the object. Move-only.
class Stream {
 public:
  explicit Stream(StreamOptions options = {});
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  Stream(Stream&& other) noexcept;
  Stream& operator=(Stream&& other) noexcept;
  ~Stream();

  cudaStream_t handle() const noexcept { return stream_; }
  StreamView view() const noexcept { return StreamView(stream_); }
  int device() const noexcept { return device_; }
  int priority() const;

  void synchronize() const { view().synchronize(); }
  bool query() const { return view().query(); }
  void wait(const Event& event) const { view().wait(event); }

 private:
  void destroy() noexcept;

  cudaStream_t stream_ = nullptr;
  int device_ = -1;
};

inline StreamView::StreamView(const Stream& stream) noexcept : stream_(stream.handle()) {}

}  // namespace trtutils::core
