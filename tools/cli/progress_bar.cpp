#include "progress_bar.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace trtutils::cli {

namespace {
constexpr int kBarWidth = 30;
}  // namespace

ProgressBar::ProgressBar(std::FILE* stream, std::string label, bool enabled)
    : stream_(stream),
      label_(std::move(label)),
      enabled_(enabled),
      interactive_(enabled && isatty(fileno(stream)) == 1) {}

ProgressBar::~ProgressBar() {
  // An exception left the bar mid-line: end the line so the error starts clean.
  if (enabled_ && interactive_ && drawn_ && !finished_) {
    std::fputc('\n', stream_);
    std::fflush(stream_);
  }
}

void ProgressBar::update(std::string_view stage, double fraction) {
  if (!enabled_ || finished_) return;
  fraction = std::clamp(std::isfinite(fraction) ? fraction : 0.0, 0.0, 1.0);
  const int percent = static_cast<int>(fraction * 100.0);
  const bool new_stage = stage != last_stage_;
  if (!interactive_) {
    const int tenth = percent / 10;
    if (!new_stage && tenth == last_tenth_) return;
    last_tenth_ = tenth;
    last_stage_ = std::string(stage);
    std::fprintf(stream_, "%s: %3d%% %.*s\n", label_.c_str(), percent,
                 static_cast<int>(stage.size()), stage.data());
    std::fflush(stream_);
    return;
  }
  // Redraw at most every 50 ms unless something visible changed.
  const auto now = std::chrono::steady_clock::now();
  if (!new_stage && percent == last_percent_) return;
  if (!new_stage && now - last_draw_ < std::chrono::milliseconds(50)) return;
  last_draw_ = now;
  last_percent_ = percent;
  last_stage_ = std::string(stage);
  draw(stage, fraction);
}

void ProgressBar::draw(std::string_view stage, double fraction) {
  const int filled = static_cast<int>(std::lround(fraction * kBarWidth));
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(kBarWidth - filled), '.');
  // Pad the stage so a shorter stage name overwrites a longer one.
  std::fprintf(stream_, "\r%s [%s] %3d%% %-24.*s", label_.c_str(), bar.c_str(),
               static_cast<int>(fraction * 100.0), static_cast<int>(stage.size()), stage.data());
  std::fflush(stream_);
  drawn_ = true;
}

void ProgressBar::finish(std::string_view stage) {
  if (!enabled_ || finished_) return;
  if (interactive_) {
    draw(stage, 1.0);
    std::fputc('\n', stream_);
    std::fflush(stream_);
  } else if (last_tenth_ != 10 || stage != last_stage_) {
    std::fprintf(stream_, "%s: 100%% %.*s\n", label_.c_str(), static_cast<int>(stage.size()),
                 stage.data());
    std::fflush(stream_);
  }
  finished_ = true;
}

}  // namespace trtutils::cli
