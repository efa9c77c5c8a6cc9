#include "trtutils/runtime/logger.hpp"

#include <cstdio>
#include <utility>

namespace trtutils::runtime {

std::string_view severity_name(Severity severity) noexcept {
  switch (severity) {
    case Severity::kVerbose:
      return "verbose";
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
  }
  return "unknown";
}

Logger::Logger(Severity min_severity, Sink sink)
    : min_severity_(min_severity), sink_(std::move(sink)) {}

void Logger::log(Severity severity, std::string_view message) const {
  if (!enabled(severity)) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (sink_) {
    sink_(severity, message);
    return;
  }
  static constexpr char kLetters[] = {'V', 'I', 'W', 'E'};
  std::fprintf(stderr, "[trtutils] [%c] %.*s\n", kLetters[static_cast<int>(severity)],
               static_cast<int>(message.size()), message.data());
}

std::shared_ptr<Logger> Logger::default_logger() {
  static const std::shared_ptr<Logger> logger = std::make_shared<Logger>();
  return logger;
}

}  // namespace trtutils::runtime
