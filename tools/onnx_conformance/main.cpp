// trtutils-conformance: runs ONNX's backend node tests through the importer,
// shape inference and the CPU reference executor, and reports per op.
// See docs/parts/conformance.md.
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

#include "list_file.hpp"
#include "op_keying.hpp"
#include "run_test.hpp"
#include "trtutils/ops/registry.hpp"

namespace fs = std::filesystem;
using trtutils::conformance::Status;
using trtutils::conformance::TestOutcome;

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitNoData = 77;  // CTest SKIP_RETURN_CODE

struct Options {
  fs::path data = "/usr/include/onnx/backend/test/data/node";
  std::string filter;
  bool verbose = false;
  bool list_failures = false;
  fs::path scope = TRTUTILS_CONFORMANCE_DEFAULT_SCOPE;
  fs::path known_failures = TRTUTILS_CONFORMANCE_DEFAULT_KNOWN_FAILURES;
  fs::path json;
  int timeout_s = 120;
  bool isolate = true;
  trtutils::conformance::RunOptions run;
};

const char* kUsage =
    "usage: trtutils-conformance [--data DIR] [--filter REGEX] [--verbose] [--list-failures]\n"
    "                            [--scope FILE] [--known-failures FILE] [--json FILE]\n"
    "                            [--timeout SECONDS] [--no-fork] [--simplify]\n"
    "                            [--constant-inputs]\n"
    "  --data DIR             ONNX backend node tests (default "
    "/usr/include/onnx/backend/test/data/node)\n"
    "  --filter REGEX         only tests whose folder name matches (std::regex_search)\n"
    "  --verbose              one line per test as it finishes\n"
    "  --list-failures        list failing/unsupported tests with their messages\n"
    "  --scope FILE           ops in scope, one per line (default: the source tree's scope.txt)\n"
    "  --known-failures FILE  'test_name  reason' lines excluded from the verdict\n"
    "  --json FILE            every result as JSON\n"
    "  --timeout SECONDS      per-test limit (default 120)\n"
    "  --no-fork              run tests in this process (for debuggers; a crash stops the run)\n"
    "  --simplify             run passes::simplify (not just infer_shapes) before executing\n"
    "  --constant-inputs      make each data set's inputs graph constants and simplify, so the\n"
    "                         whole model folds at build time (tests the folding path)\n"
    "The last line is 'N passed, N failed' over in-scope tests, known failures excluded and\n"
    "unsupported counted as failed; the exit code is 1 when N failed > 0.\n";

int parse_seconds(const std::string& text) {
  char* end = nullptr;
  const long parsed = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || parsed <= 0 || parsed > 86400) {
    std::cerr << "--timeout needs a number of seconds (1..86400), got '" << text << "'\n";
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
    } else if (arg == "--verbose") {
      o.verbose = true;
    } else if (arg == "--list-failures") {
      o.list_failures = true;
    } else if (arg == "--scope") {
      o.scope = value(i);
    } else if (arg == "--known-failures") {
      o.known_failures = value(i);
    } else if (arg == "--json") {
      o.json = value(i);
    } else if (arg == "--timeout") {
      o.timeout_s = parse_seconds(value(i));
    } else if (arg == "--no-fork") {
      o.isolate = false;
    } else if (arg == "--simplify") {
      o.run.simplify = true;
    } else if (arg == "--constant-inputs") {
      o.run.constant_inputs = true;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else {
      std::cerr << "unknown argument '" << arg << "'\n" << kUsage;
      std::exit(kExitUsage);
    }
  }
  return o;
}

/// Non-empty lines without '#' comments, split into first word and the rest.
std::map<std::string, std::string> read_list(const fs::path& path) {
  std::optional<std::map<std::string, std::string>> entries =
      trtutils::conformance::read_list_file(path);
  if (!entries) {
    std::cerr << "cannot read " << path << "\n";
    std::exit(kExitUsage);
  }
  return std::move(*entries);
}

/// Runs the test in a child process so that a crash or a hang in one op is
/// that test's failure, not the runner's end.
TestOutcome run_isolated(const fs::path& dir, const trtutils::conformance::RunOptions& run,
                         int timeout_s) {
  int fds[2];
  if (pipe(fds) != 0) return {Status::kFailed, std::string("pipe: ") + std::strerror(errno), {}};
  std::cout.flush();
  std::cerr.flush();
  const pid_t child = fork();
  if (child < 0) {
    close(fds[0]);
    close(fds[1]);
    return {Status::kFailed, std::string("fork: ") + std::strerror(errno), {}};
  }
  if (child == 0) {
    close(fds[0]);
    const TestOutcome outcome = trtutils::conformance::run_test(dir, run);
    const std::string payload = std::to_string(static_cast<int>(outcome.status)) + "\n" +
                                outcome.unknown_shapes + "\n" + outcome.message;
    std::size_t written = 0;
    while (written < payload.size()) {
      const ssize_t n = write(fds[1], payload.data() + written, payload.size() - written);
      if (n <= 0) break;
      written += static_cast<std::size_t>(n);
    }
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string payload;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  bool timed_out = false;
  char buffer[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      timed_out = ready == 0;
      break;
    }
    const ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    payload.append(buffer, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  if (timed_out) kill(child, SIGKILL);
  int wait_status = 0;
  waitpid(child, &wait_status, 0);
  if (timed_out) {
    return {Status::kFailed, "timed out after " + std::to_string(timeout_s) + " s", {}};
  }
  if (WIFSIGNALED(wait_status)) {
    return {Status::kFailed, std::string("crashed: ") + strsignal(WTERMSIG(wait_status)), {}};
  }
  // "status\nunknown_shapes\nmessage" (the message may span lines).
  const auto first = payload.find('\n');
  const auto second = first == std::string::npos ? first : payload.find('\n', first + 1);
  if (second == std::string::npos) {
    return {Status::kFailed, "the test process reported nothing", {}};
  }
  return {static_cast<Status>(std::stoi(payload.substr(0, first))), payload.substr(second + 1),
          payload.substr(first + 1, second - first - 1)};
}

struct Record {
  std::string name;
  std::string op;
  bool in_scope = false;
  bool known = false;
  TestOutcome outcome;
  double seconds = 0;
};

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text;
}

void write_json(const fs::path& path, const std::vector<Record>& records) {
  nlohmann::json list = nlohmann::json::array();
  for (const Record& r : records) {
    list.push_back({{"test", r.name},
                    {"op", r.op},
                    {"in_scope", r.in_scope},
                    {"known_failure", r.known},
                    {"status", trtutils::conformance::status_name(r.outcome.status)},
                    {"seconds", r.seconds},
                    {"message", r.outcome.message},
                    {"unknown_output_shapes", r.outcome.unknown_shapes}});
  }
  // Messages may quote bytes from a model: invalid UTF-8 is replaced, not thrown on.
  std::ofstream(path) << list.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  if (!fs::is_directory(options.data)) {
    std::cerr << "no ONNX backend test data at " << options.data
              << " (install libonnx-dev's test data or pass --data DIR)\n";
    return kExitNoData;
  }
  std::map<std::string, std::string> scope_list = read_list(options.scope);
  const std::map<std::string, std::string> known_failures = read_list(options.known_failures);
  std::set<std::string> scope;
  for (const auto& [op, rest] : scope_list) scope.insert(op);

  trtutils::conformance::TestSuite suite;
  try {
    suite = trtutils::conformance::discover_tests(options.data, options.filter, scope);
  } catch (const std::regex_error& e) {
    std::cerr << "--filter '" << options.filter
              << "' is not a valid regular expression: " << e.what() << "\n";
    return kExitUsage;
  }
  const std::vector<fs::path>& tests = suite.tests;
  std::map<fs::path, std::set<std::string>>& op_types = suite.op_types;
  const std::set<std::string>& candidates = suite.candidates;

  std::vector<Record> records;
  records.reserve(tests.size());
  for (std::size_t i = 0; i < tests.size(); ++i) {
    Record r;
    r.name = tests[i].filename().string();
    r.op = trtutils::conformance::key_test(r.name, op_types[tests[i]], candidates);
    r.in_scope = scope.count(r.op) != 0;
    r.known = known_failures.count(r.name) != 0;
    const auto start = std::chrono::steady_clock::now();
    r.outcome = options.isolate ? run_isolated(tests[i], options.run, options.timeout_s)
                                : trtutils::conformance::run_test(tests[i], options.run);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (options.verbose) {
      std::cout << "[" << std::setw(4) << i + 1 << "/" << tests.size() << "] " << std::left
                << std::setw(58) << r.name << std::setw(22) << r.op << std::right
                << trtutils::conformance::status_name(r.outcome.status)
                << (r.in_scope ? "" : " (out of scope)") << (r.known ? " (known failure)" : "");
      if (r.outcome.status != Status::kPassed) {
        std::cout << "\n        " << one_line(r.outcome.message);
      }
      std::cout << std::endl;
    }
    records.push_back(std::move(r));
  }

  struct Counts {
    int passed = 0;
    int failed = 0;
    int unsupported = 0;
  };
  std::map<std::string, Counts> per_op;
  Counts in_scope;
  int verdict_passed = 0;
  int verdict_failed = 0;
  std::vector<const Record*> stale_known;
  for (const Record& r : records) {
    Counts& c = per_op[r.op];
    (r.outcome.status == Status::kPassed   ? c.passed
     : r.outcome.status == Status::kFailed ? c.failed
                                           : c.unsupported)++;
    if (!r.in_scope) continue;
    (r.outcome.status == Status::kPassed   ? in_scope.passed
     : r.outcome.status == Status::kFailed ? in_scope.failed
                                           : in_scope.unsupported)++;
    if (r.known) {
      if (r.outcome.status == Status::kPassed) stale_known.push_back(&r);
      continue;
    }
    (r.outcome.status == Status::kPassed ? verdict_passed : verdict_failed)++;
  }

  std::cout << std::left << std::setw(26) << "op" << std::right << std::setw(7) << "scope"
            << std::setw(8) << "passed" << std::setw(8) << "failed" << std::setw(13)
            << "unsupported"
            << "\n";
  for (const auto& [op, c] : per_op) {
    std::cout << std::left << std::setw(26) << op << std::right << std::setw(7)
              << (scope.count(op) ? "*" : "") << std::setw(8) << c.passed << std::setw(8)
              << c.failed << std::setw(13) << c.unsupported << "\n";
  }
  std::vector<std::string> untested;
  for (const std::string& op : scope) {
    if (!per_op.count(op)) untested.push_back(op);
  }
  if (!untested.empty() && options.filter.empty()) {
    std::cout << "in-scope ops without a test here:";
    for (const std::string& op : untested) std::cout << " " << op;
    std::cout << "\n";
  }
  if (options.list_failures) {
    auto list = [&](const char* title, auto&& wanted) {
      bool any = false;
      for (const Record& r : records) {
        if (!wanted(r)) continue;
        if (!any) std::cout << title << "\n";
        any = true;
        std::cout << "  " << r.name << " [" << r.op << ", "
                  << trtutils::conformance::status_name(r.outcome.status)
                  << "]: " << one_line(r.outcome.message) << "\n";
      }
    };
    list("in-scope failures:", [](const Record& r) {
      return r.in_scope && !r.known && r.outcome.status != Status::kPassed;
    });
    list("known failures:", [](const Record& r) {
      return r.in_scope && r.known && r.outcome.status != Status::kPassed;
    });
    list("out-of-scope failures (unsupported not listed):",
         [](const Record& r) { return !r.in_scope && r.outcome.status == Status::kFailed; });
  }
  for (const Record* r : stale_known) {
    std::cout << "note: " << r->name << " passes but is listed in " << options.known_failures
              << "; remove it there\n";
  }
  if (!options.json.empty()) write_json(options.json, records);
  std::cout << "in scope: " << in_scope.passed << " passed, " << in_scope.failed << " failed, "
            << in_scope.unsupported << " unsupported\n";
  std::cout << verdict_passed << " passed, " << verdict_failed << " failed" << std::endl;
  return verdict_failed > 0 ? 1 : 0;
}
