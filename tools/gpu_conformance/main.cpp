// trtutils-gpu-conformance: every ONNX backend node test that the CPU
// reference passes (in scope, not a CPU known failure) is built with the
// engine builder and run with TRTEngine on the GPU, then compared with the
// expected outputs. Table per op, failures, and as the last line
// "gpu-conformance: N passed, N failed". See docs/parts/conformance.md.
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gpu_report.hpp"
#include "gpu_run.hpp"
#include "list_file.hpp"
#include "op_keying.hpp"
#include "run_test.hpp"
#include "trtutils/core/device.hpp"
#include "trtutils/ops/registry.hpp"

namespace fs = std::filesystem;
namespace conf = trtutils::conformance;
namespace gc = trtutils::gpu_conformance;
using gc::GpuRecord;
using gc::GpuStatus;

namespace {

constexpr int kExitUsage = 2;

struct Options {
  fs::path data = "/usr/include/onnx/backend/test/data/node";
  std::string filter;
  bool verbose = false;
  bool list_failures = false;
  fs::path json;
  fs::path scope = TRTUTILS_CONFORMANCE_DEFAULT_SCOPE;
  fs::path known_failures = TRTUTILS_CONFORMANCE_DEFAULT_KNOWN_FAILURES;
  fs::path gpu_known_failures = TRTUTILS_GPU_CONFORMANCE_DEFAULT_KNOWN_FAILURES;
  int timeout_s = 180;
  int jobs = 4;
  bool isolate = true;
  gc::GpuRunOptions gpu;
};

const char* kUsage =
    "usage: trtutils-gpu-conformance [--data DIR] [--filter REGEX] [--precision fp32|fp16]\n"
    "                                [--verbose] [--list-failures] [--json FILE]\n"
    "                                [--scope FILE] [--known-failures FILE]\n"
    "                                [--gpu-known-failures FILE] [--timeout-seconds N]\n"
    "                                [--jobs N] [--no-fork] [--no-autotune]\n"
    "                                [--build-only --target-arch sm_XX]\n"
    "  --data DIR                  ONNX backend node tests (default\n"
    "                              /usr/include/onnx/backend/test/data/node)\n"
    "  --filter REGEX              only tests whose folder name matches (std::regex_search)\n"
    "  --precision fp32|fp16       engine precision (default fp32: the CPU runner's\n"
    "                              tolerances; fp16: relative L2 <= 1e-2, integers exact)\n"
    "  --verbose                   one line per test as it finishes, and the slowest tests\n"
    "  --list-failures             the GPU failures with the first line of their message\n"
    "  --json FILE                 every result as JSON\n"
    "  --scope FILE                the CPU runner's scope (default its scope.txt)\n"
    "  --known-failures FILE       the CPU runner's known failures (never candidates)\n"
    "  --gpu-known-failures FILE   'test_name  reason' lines left out of the verdict\n"
    "                              (default gpu_known_failures.txt next to the sources)\n"
    "  --timeout-seconds N         per-test limit, CPU run + builds + GPU runs (default 180)\n"
    "  --jobs N                    tests run at once, each in its own process (default 4)\n"
    "  --no-fork                   run in this process, one at a time (for a debugger; a\n"
    "                              crash or a sticky CUDA error then ends or spoils the run)\n"
    "  --no-autotune               build without timing cuDNN / cuBLASLt algorithms\n"
    "  --target-arch sm_XX         build for this arch (default: the GPU's)\n"
    "  --build-only                build every engine, load and run none (with\n"
    "                              --target-arch: no GPU needed, autotune off); 'passed'\n"
    "                              means built, and the last line says 'build only'\n"
    "Candidates: tests the CPU reference passes (run exactly as trtutils-conformance\n"
    "does), whose op is in scope and that are not CPU known failures. The last line is\n"
    "'gpu-conformance: N passed, N failed' over the candidates; an unsupported test counts\n"
    "as failed unless it is a GPU known failure. Exit code 1 when N failed > 0; 0 with no\n"
    "CUDA device (after printing 'gpu-conformance: no CUDA device; skipped').\n";

int parse_int(const std::string& flag, const std::string& text, int low, int high) {
  char* end = nullptr;
  const long parsed = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || parsed < low || parsed > high) {
    std::cerr << flag << " needs a number in " << low << ".." << high << ", got '" << text
              << "'\n";
    std::exit(kExitUsage);
  }
  return static_cast<int>(parsed);
}

Options parse(int argc, char** argv) {
  Options o;
  auto value = [&](int& i) -> std::string {
    if (i + 1 >= argc) {
      std::cerr << argv[i] << " needs a value\n" << kUsage;
      std::exit(kExitUsage);
    }
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--data") {
      o.data = value(i);
    } else if (arg == "--filter") {
      o.filter = value(i);
    } else if (arg == "--precision") {
      const std::string p = value(i);
      if (p == "fp32") {
        o.gpu.precision = trtutils::plan::Precision::kFloat32;
      } else if (p == "fp16") {
        o.gpu.precision = trtutils::plan::Precision::kFloat16;
      } else {
        std::cerr << "--precision takes fp32 or fp16, got '" << p << "'\n";
        std::exit(kExitUsage);
      }
    } else if (arg == "--verbose") {
      o.verbose = true;
    } else if (arg == "--list-failures") {
      o.list_failures = true;
    } else if (arg == "--json") {
      o.json = value(i);
    } else if (arg == "--scope") {
      o.scope = value(i);
    } else if (arg == "--known-failures") {
      o.known_failures = value(i);
    } else if (arg == "--gpu-known-failures") {
      o.gpu_known_failures = value(i);
    } else if (arg == "--timeout-seconds" || arg == "--timeout") {
      o.timeout_s = parse_int(arg, value(i), 1, 86400);
    } else if (arg == "--jobs" || arg == "-j") {
      o.jobs = parse_int(arg, value(i), 1, 256);
    } else if (arg == "--no-fork") {
      o.isolate = false;
    } else if (arg == "--no-autotune") {
      o.gpu.autotune = false;
    } else if (arg == "--target-arch") {
      o.gpu.target_arch = value(i);
    } else if (arg == "--build-only") {
      o.gpu.build_only = true;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else {
      std::cerr << "unknown argument '" << arg << "'\n" << kUsage;
      std::exit(kExitUsage);
    }
  }
  if (!o.isolate) o.jobs = 1;
  if (o.gpu.build_only && !o.gpu.target_arch.empty()) o.gpu.autotune = false;
  return o;
}

std::map<std::string, std::string> read_list(const fs::path& path) {
  std::optional<std::map<std::string, std::string>> entries = conf::read_list_file(path);
  if (!entries) {
    std::cerr << "cannot read " << path << "\n";
    std::exit(kExitUsage);
  }
  return std::move(*entries);
}

// ---- one test (in a child process unless --no-fork) ----

/// What a test's process reports: the CPU outcome, then (candidates the CPU
/// passes) the GPU outcome. Sent as records "<tag> <int> <int> <length>\n<bytes>".
struct TestReport {
  bool has_cpu = false;
  conf::Status cpu = conf::Status::kFailed;
  std::string cpu_message;
  bool has_gpu = false;
  gc::GpuOutcome gpu;
};

std::string record(char tag, int a, int b, const std::string& text) {
  return std::string(1, tag) + " " + std::to_string(a) + " " + std::to_string(b) + " " +
         std::to_string(text.size()) + "\n" + text;
}

/// Parses what was received (possibly cut short by a crash or a timeout).
TestReport parse_report(const std::string& payload) {
  TestReport report;
  std::size_t pos = 0;
  while (pos < payload.size()) {
    const std::size_t eol = payload.find('\n', pos);
    if (eol == std::string::npos) break;
    std::istringstream head(payload.substr(pos, eol - pos));
    char tag = 0;
    int a = 0;
    int b = 0;
    std::size_t length = 0;
    if (!(head >> tag >> a >> b >> length) || eol + 1 + length > payload.size()) break;
    const std::string text = payload.substr(eol + 1, length);
    pos = eol + 1 + length;
    if (tag == 'C') {
      report.has_cpu = true;
      report.cpu = static_cast<conf::Status>(a);
      report.cpu_message = text;
    } else if (tag == 'G') {
      report.has_gpu = true;
      report.gpu.status = static_cast<GpuStatus>(a);
      report.gpu.engines = b;
      report.gpu.message = text;
    } else if (tag == 'K') {
      report.gpu.constant_inputs = text;
    }
  }
  return report;
}

/// Runs the CPU reference, then (when `want_gpu` and the CPU passes) the GPU
/// engine; `emit` receives each part as soon as it is known.
template <typename Emit>
void run_one(const fs::path& dir, bool want_gpu, const gc::GpuRunOptions& gpu, Emit&& emit) {
  const conf::TestOutcome cpu = conf::run_test(dir);
  emit(record('C', static_cast<int>(cpu.status), 0, cpu.message));
  if (!want_gpu || cpu.status != conf::Status::kPassed) return;
  const gc::GpuOutcome outcome = gc::run_gpu_test(dir, gpu);
  emit(record('K', 0, 0, outcome.constant_inputs) +
       record('G', static_cast<int>(outcome.status), outcome.engines, outcome.message));
}

void write_all(int fd, const std::string& text) {
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    written += static_cast<std::size_t>(n);
  }
}

/// A test's process being waited for.
struct Running {
  pid_t pid = -1;
  int fd = -1;
  std::size_t index = 0;
  std::chrono::steady_clock::time_point start;
  std::string payload;
};

/// The CUDA device check runs in a child too: the parent must not initialise
/// CUDA before forking (a child could not use it then).
bool cuda_device_present(bool isolate) {
  if (!isolate) return trtutils::core::device_count() > 0;
  std::cout.flush();
  std::cerr.flush();
  const pid_t child = fork();
  if (child < 0) return trtutils::core::device_count() > 0;
  if (child == 0) _exit(trtutils::core::device_count() > 0 ? 0 : 3);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text;
}

void write_json(const fs::path& path, const std::vector<GpuRecord>& records) {
  nlohmann::json list = nlohmann::json::array();
  for (const GpuRecord& r : records) {
    list.push_back({{"test", r.test},
                    {"op", r.op},
                    {"candidate", r.candidate},
                    {"skip_reason", r.skip_reason},
                    {"status", gc::gpu_status_name(r.status)},
                    {"known_failure", r.known},
                    {"seconds", r.seconds},
                    {"engines", r.engines},
                    {"constant_inputs", r.constant_inputs},
                    {"message", r.message}});
  }
  // Messages may quote bytes from a model: invalid UTF-8 is replaced, not thrown on.
  std::ofstream(path) << list.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

/// Fills the record from its process's report.
void settle(GpuRecord& r, const TestReport& report, const std::string& failure) {
  if (!report.has_cpu) {
    r.candidate = false;
    r.skip_reason = "cpu failed: " + (failure.empty() ? "no report" : failure);
    return;
  }
  if (report.cpu != conf::Status::kPassed) {
    r.candidate = false;
    r.skip_reason = std::string("cpu ") + conf::status_name(report.cpu) + ": " + one_line(report.cpu_message);
    return;
  }
  if (!r.candidate) return;
  if (report.has_gpu) {
    r.status = report.gpu.status;
    r.message = report.gpu.message;
    r.engines = report.gpu.engines;
    r.constant_inputs = report.gpu.constant_inputs;
  } else {
    r.status = GpuStatus::kFailed;
    r.message = failure.empty() ? "the test process reported no GPU result" : failure;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  const bool needs_gpu = !(options.gpu.build_only && !options.gpu.target_arch.empty());
  if (needs_gpu && !cuda_device_present(options.isolate)) {
    std::cout << "gpu-conformance: no CUDA device; skipped" << std::endl;
    return 0;
  }
  if (!fs::is_directory(options.data)) {
    std::cerr << "no ONNX backend test data at " << options.data
              << " (install libonnx-dev's test data or pass --data DIR)\n";
    return kExitUsage;
  }
  const std::map<std::string, std::string> scope_list = read_list(options.scope);
  const std::map<std::string, std::string> cpu_known = read_list(options.known_failures);
  const std::map<std::string, std::string> gpu_known = read_list(options.gpu_known_failures);
  for (const auto& [test, reason] : gpu_known) {
    if (reason.empty()) {
      std::cerr << options.gpu_known_failures << ": '" << test
                << "' has no reason; write 'test_name  reason'\n";
      return kExitUsage;
    }
  }
  std::set<std::string> scope;
  for (const auto& [op, rest] : scope_list) scope.insert(op);

  conf::TestSuite suite;
  try {
    suite = conf::discover_tests(options.data, options.filter, scope);
  } catch (const std::regex_error& e) {
    std::cerr << "--filter '" << options.filter
              << "' is not a valid regular expression: " << e.what() << "\n";
    return kExitUsage;
  }
  const std::vector<fs::path>& tests = suite.tests;
  std::map<fs::path, std::set<std::string>>& op_types = suite.op_types;
  const std::set<std::string>& candidates = suite.candidates;

  std::vector<GpuRecord> records(tests.size());
  std::vector<std::size_t> to_run;
  for (std::size_t i = 0; i < tests.size(); ++i) {
    GpuRecord& r = records[i];
    r.test = tests[i].filename().string();
    r.op = conf::key_test(r.test, op_types[tests[i]], candidates);
    const auto known = gpu_known.find(r.test);
    r.known = known != gpu_known.end();
    if (r.known) r.known_reason = known->second;
    if (scope.count(r.op) == 0) {
      r.skip_reason = "out of scope";
    } else if (cpu_known.count(r.test) != 0) {
      r.skip_reason = "CPU known failure";
    } else {
      r.candidate = true;  // until the CPU reference says otherwise
      to_run.push_back(i);
    }
  }

  std::size_t finished = 0;
  auto report_done = [&](const GpuRecord& r) {
    ++finished;
    if (!options.verbose) return;
    std::cout << "[" << std::setw(4) << finished << "/" << to_run.size() << "] " << std::left
              << std::setw(58) << r.test << std::setw(22) << r.op << std::right
              << (r.candidate ? gc::gpu_status_name(r.status) : "not a candidate")
              << (r.known ? " (known GPU failure)" : "") << "  " << std::fixed
              << std::setprecision(1) << r.seconds << " s" << std::defaultfloat;
    if (!r.candidate) {
      std::cout << "\n        " << one_line(r.skip_reason);
    } else if (r.status != GpuStatus::kPassed) {
      std::cout << "\n        " << gc::first_line(r.message);
    }
    std::cout << std::endl;
  };

  if (!options.isolate) {
    for (const std::size_t i : to_run) {
      GpuRecord& r = records[i];
      const auto start = std::chrono::steady_clock::now();
      std::string payload;
      run_one(tests[i], true, options.gpu, [&](const std::string& part) { payload += part; });
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      settle(r, parse_report(payload), {});
      report_done(r);
    }
  } else {
    std::vector<Running> running;
    std::size_t next = 0;
    while (next < to_run.size() || !running.empty()) {
      while (next < to_run.size() && static_cast<int>(running.size()) < options.jobs) {
        const std::size_t i = to_run[next++];
        int fds[2];
        std::string failure;
        pid_t child = -1;
        if (pipe(fds) != 0) {
          failure = std::string("pipe: ") + std::strerror(errno);
        } else {
          std::cout.flush();
          std::cerr.flush();
          child = fork();
          if (child < 0) {
            failure = std::string("fork: ") + std::strerror(errno);
            close(fds[0]);
            close(fds[1]);
          }
        }
        if (child == 0) {
          close(fds[0]);
          run_one(tests[i], true, options.gpu,
                  [&](const std::string& part) { write_all(fds[1], part); });
          close(fds[1]);
          _exit(0);
        }
        if (child < 0) {
          records[i].seconds = 0;
          settle(records[i], TestReport{}, failure);
          report_done(records[i]);
          continue;
        }
        close(fds[1]);
        running.push_back({child, fds[0], i, std::chrono::steady_clock::now(), {}});
      }

      std::vector<pollfd> fds;
      auto now = std::chrono::steady_clock::now();
      long wait_ms = 1000;
      for (const Running& job : running) {
        fds.push_back({job.fd, POLLIN, 0});
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                              job.start + std::chrono::seconds(options.timeout_s) - now)
                              .count();
        wait_ms = std::max(0L, std::min(wait_ms, static_cast<long>(left)));
      }
      const int ready = poll(fds.data(), fds.size(), static_cast<int>(wait_ms));
      if (ready < 0 && errno != EINTR) {
        std::cerr << "poll: " << std::strerror(errno) << "\n";
        return 1;
      }
      now = std::chrono::steady_clock::now();
      std::vector<Running> still;
      for (std::size_t k = 0; k < running.size(); ++k) {
        Running& job = running[k];
        bool done = false;
        bool timed_out = false;
        if (ready > 0 && (fds[k].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
          char buffer[8192];
          const ssize_t n = read(job.fd, buffer, sizeof buffer);
          if (n > 0) {
            job.payload.append(buffer, static_cast<std::size_t>(n));
          } else if (n == 0 || errno != EINTR) {
            done = true;
          }
        }
        if (!done && now >= job.start + std::chrono::seconds(options.timeout_s)) {
          timed_out = true;
          done = true;
          kill(job.pid, SIGKILL);
        }
        if (!done) {
          still.push_back(std::move(job));
          continue;
        }
        close(job.fd);
        int wait_status = 0;
        while (waitpid(job.pid, &wait_status, 0) < 0 && errno == EINTR) {
        }
        GpuRecord& r = records[job.index];
        r.seconds = std::chrono::duration<double>(now - job.start).count();
        std::string failure;
        if (timed_out) {
          failure = "timed out after " + std::to_string(options.timeout_s) + " s";
        } else if (WIFSIGNALED(wait_status)) {
          failure = std::string("crashed: ") + strsignal(WTERMSIG(wait_status));
        } else if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) != 0) {
          failure = "exited with status " + std::to_string(WEXITSTATUS(wait_status));
        }
        settle(r, parse_report(job.payload), failure);
        report_done(r);
      }
      running = std::move(still);
    }
  }

  const gc::Verdict v = gc::verdict(records);
  std::cout << gc::format_table(records);
  if (options.list_failures) std::cout << gc::format_failures(records);
  for (const GpuRecord* r : v.stale) {
    std::cout << "note: " << r->test << " passes but is listed in " << options.gpu_known_failures
              << "; remove it there\n";
  }
  if (options.verbose) {
    std::vector<const GpuRecord*> slow;
    for (const GpuRecord& r : records) {
      if (r.candidate) slow.push_back(&r);
    }
    std::sort(slow.begin(), slow.end(),
              [](const GpuRecord* a, const GpuRecord* b) { return a->seconds > b->seconds; });
    if (slow.size() > 5) slow.resize(5);
    std::cout << "slowest:";
    for (const GpuRecord* r : slow) {
      std::cout << " " << r->test << " (" << std::fixed << std::setprecision(1) << r->seconds
                << " s)" << std::defaultfloat;
    }
    std::cout << "\n";
  }
  if (!options.json.empty()) write_json(options.json, records);
  int cpu_not_passing = 0;
  for (const std::size_t i : to_run) cpu_not_passing += records[i].candidate ? 0 : 1;
  std::cout << "candidates: " << (to_run.size() - static_cast<std::size_t>(cpu_not_passing))
            << " (in-scope tests the CPU reference passes, of " << tests.size()
            << " tests); GPU known failures left out: " << v.known << "\n";
  if (options.gpu.build_only) {
    std::cout << "gpu-conformance (build only, nothing run): " << v.passed << " built, "
              << v.failed << " failed" << std::endl;
  } else {
    std::cout << gc::final_line(v) << std::endl;
  }
  return v.failed > 0 ? 1 : 0;
}
