#pragma once
// A one-line progress bar for long steps (build, bench). On a terminal it
// redraws itself in place ("\r"); elsewhere (a pipe, a log file, CI) it
// prints one plain line per stage and per tenth of the work instead, so logs
// stay readable.
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

namespace trtutils::cli {

class ProgressBar {
 public:
  /// Writes to `stream` (stdout or stderr); `label` leads every line.
  /// Disabled: update() and finish() print nothing.
  ProgressBar(std::FILE* stream, std::string label, bool enabled = true);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// `fraction` in 0..1 (clamped); `stage` is shown beside the bar.
  void update(std::string_view stage, double fraction);
  /// Draws 100% and ends the line (once).
  void finish(std::string_view stage = "done");

  bool interactive() const noexcept { return interactive_; }

 private:
  void draw(std::string_view stage, double fraction);

  std::FILE* stream_;
  std::string label_;
  bool enabled_;
  bool interactive_;
  bool finished_ = false;
  bool drawn_ = false;
  std::string last_stage_;
  int last_tenth_ = -1;
  int last_percent_ = -1;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace trtutils::cli
