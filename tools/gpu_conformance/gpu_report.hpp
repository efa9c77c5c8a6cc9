#pragma once
// Results of the GPU conformance run and how they are reported: a table per
// op, the failures, and the verdict line "gpu-conformance: N passed, N failed".
#include <map>
#include <string>
#include <vector>

namespace trtutils::gpu_conformance {

enum class GpuStatus { kNotRun, kPassed, kFailed, kUnsupported };

const char* gpu_status_name(GpuStatus status);

struct GpuRecord {
  std::string test;
  std::string op;
  /// A candidate: the CPU reference passes it, its op is in scope and it is
  /// not a CPU known failure. Only candidates run on the GPU and count.
  bool candidate = false;
  /// Why it is not a candidate ("cpu failed: ...", "out of scope", ...).
  std::string skip_reason;
  GpuStatus status = GpuStatus::kNotRun;
  std::string message;
  /// Listed in gpu_known_failures.txt (with this reason).
  bool known = false;
  std::string known_reason;
  double seconds = 0;
  /// Engines built (one per distinct set of build-time constant inputs).
  int engines = 0;
  /// Inputs that had to be build-time constants, comma-separated.
  std::string constant_inputs;
};

struct Verdict {
  int passed = 0;
  int failed = 0;
  /// Known failures (not counted) and known failures that pass (stale).
  int known = 0;
  std::vector<const GpuRecord*> stale;
};

/// Candidates only: passed -> passed; failed or unsupported -> failed unless
/// the test is a known GPU failure (then neither; listed in `known`).
Verdict verdict(const std::vector<GpuRecord>& records);

/// One row per op with at least one candidate: op, passed, failed,
/// unsupported (candidates), not-run (the op's other tests), with a header.
std::string format_table(const std::vector<GpuRecord>& records);

/// First line of a message; when it ends with ':' (the builder's
/// "N node(s) cannot be built:"), the next line is joined to it.
std::string first_line(const std::string& message);

/// "in scope, CPU passing, not passing on the GPU:" then one line per test
/// ("  test [op, status]: first line"), then the known GPU failures likewise.
std::string format_failures(const std::vector<GpuRecord>& records);

/// Exactly "gpu-conformance: N passed, N failed".
std::string final_line(const Verdict& v);

}  // namespace trtutils::gpu_conformance
