#include "gpu_report.hpp"

#include <iomanip>
#include <sstream>

namespace trtutils::gpu_conformance {

const char* gpu_status_name(GpuStatus status) {
  switch (status) {
    case GpuStatus::kNotRun:
      return "not run";
    case GpuStatus::kPassed:
      return "passed";
    case GpuStatus::kFailed:
      return "failed";
    case GpuStatus::kUnsupported:
      return "unsupported";
  }
  return "?";
}

Verdict verdict(const std::vector<GpuRecord>& records) {
  Verdict v;
  for (const GpuRecord& r : records) {
    if (!r.candidate) continue;
    if (r.status == GpuStatus::kPassed) {
      ++v.passed;
      if (r.known) v.stale.push_back(&r);
    } else if (r.known) {
      ++v.known;
    } else {
      ++v.failed;
    }
  }
  return v;
}

std::string format_table(const std::vector<GpuRecord>& records) {
  struct Counts {
    int passed = 0;
    int failed = 0;
    int unsupported = 0;
    int not_run = 0;
    bool any_candidate = false;
  };
  std::map<std::string, Counts> per_op;
  for (const GpuRecord& r : records) {
    Counts& c = per_op[r.op];
    if (!r.candidate) {
      ++c.not_run;
      continue;
    }
    c.any_candidate = true;
    switch (r.status) {
      case GpuStatus::kPassed:
        ++c.passed;
        break;
      case GpuStatus::kUnsupported:
        ++c.unsupported;
        break;
      default:
        ++c.failed;
    }
  }
  std::ostringstream out;
  out << std::left << std::setw(26) << "op" << std::right << std::setw(8) << "passed"
      << std::setw(8) << "failed" << std::setw(13) << "unsupported" << std::setw(9) << "not-run"
      << "\n";
  for (const auto& [op, c] : per_op) {
    if (!c.any_candidate) continue;
    out << std::left << std::setw(26) << op << std::right << std::setw(8) << c.passed
        << std::setw(8) << c.failed << std::setw(13) << c.unsupported << std::setw(9) << c.not_run
        << "\n";
  }
  return out.str();
}

std::string first_line(const std::string& message) {
  const std::size_t eol = message.find('\n');
  if (eol == std::string::npos) return message;
  // "1 node(s) cannot be built:\n  Foo 'x': why" -> both lines, joined.
  if (eol > 0 && message[eol - 1] == ':') {
    const std::size_t next = message.find_first_not_of(' ', eol + 1);
    const std::size_t end = message.find('\n', eol + 1);
    if (next != std::string::npos && next < end) {
      return message.substr(0, eol) + " " + message.substr(next, end - next);
    }
  }
  return message.substr(0, eol);
}

std::string format_failures(const std::vector<GpuRecord>& records) {
  std::ostringstream out;
  auto list = [&](const char* title, bool known) {
    bool any = false;
    for (const GpuRecord& r : records) {
      if (!r.candidate || r.status == GpuStatus::kPassed || r.known != known) continue;
      if (!any) out << title << "\n";
      any = true;
      out << "  " << r.test << " [" << r.op << ", " << gpu_status_name(r.status)
          << "]: " << first_line(r.message);
      if (known) out << " (known: " << r.known_reason << ")";
      out << "\n";
    }
  };
  list("GPU failures (CPU reference passes):", false);
  list("known GPU failures:", true);
  return out.str();
}

std::string final_line(const Verdict& v) {
  std::ostringstream out;
  out << "gpu-conformance: " << v.passed << " passed, " << v.failed << " failed";
  return out.str();
}

}  // namespace trtutils::gpu_conformance
