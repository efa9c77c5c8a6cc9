#pragma once
// A small logger with severity levels, as the Python trtutils' create_engine
// returns beside the engine (TensorRT's ILogger). Messages below the minimum
// severity are dropped; the rest go to a sink (stderr unless given one).
// Thread-safe: the sink is called under a lock.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace trtutils::runtime {

enum class Severity : int { kVerbose = 0, kInfo = 1, kWarning = 2, kError = 3 };

/// "verbose", "info", "warning", "error".
std::string_view severity_name(Severity severity) noexcept;

class Logger {
 public:
  using Sink = std::function<void(Severity, std::string_view)>;

  /// `sink` empty: lines "[trtutils] [W] message" on stderr.
  explicit Logger(Severity min_severity = Severity::kWarning, Sink sink = {});

  void log(Severity severity, std::string_view message) const;
  void verbose(std::string_view message) const { log(Severity::kVerbose, message); }
  void info(std::string_view message) const { log(Severity::kInfo, message); }
  void warning(std::string_view message) const { log(Severity::kWarning, message); }
  void error(std::string_view message) const { log(Severity::kError, message); }

  bool enabled(Severity severity) const noexcept { return severity >= min_severity(); }
  Severity min_severity() const noexcept { return min_severity_.load(); }
  void set_min_severity(Severity severity) noexcept { min_severity_.store(severity); }

  /// The process-wide logger used when none is given (warnings and errors to stderr).
  static std::shared_ptr<Logger> default_logger();

 private:
  std::atomic<Severity> min_severity_;
  Sink sink_;
  mutable std::mutex mutex_;
};

}  // namespace trtutils::runtime
