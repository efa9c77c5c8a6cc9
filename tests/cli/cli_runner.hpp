#pragma once
// Runs the `trtutils` binary (TRTUTILS_CLI, set by CMake) as a user would and
// captures its exit status, stdout and stderr separately.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace trtutils::testing {

struct CliResult {
  int status = -1;
  std::string out;
  std::string err;
};

/// A fresh folder under the system temp directory, removed at destruction.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            (std::string("trtutils_cli_") + info->test_suite_name() + "_" + info->name() + "_" +
             std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string shell_quote(const std::string& arg) {
  std::string quoted = "'";
  for (const char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

/// A copy of an ONNX backend node test model under tests/cli/data: from the
/// source tree when it is where the test was built, else relative to the
/// working directory (scripts/gpu-check.sh runs from the repository root).
inline std::filesystem::path onnx_node_model(const std::string& test) {
  const std::filesystem::path built =
      std::filesystem::path(TRTUTILS_CLI_TEST_DATA) / test / "model.onnx";
  if (std::filesystem::exists(built)) return built;
  return std::filesystem::absolute(std::filesystem::path("tests/cli/data") / test / "model.onnx");
}

/// The binary: $TRTUTILS_CLI, else the one CMake built, else `trtutils`
/// beside the test binary (scripts/gpu-check.sh copies both into .gpu/bin).
inline std::string cli_path() {
  if (const char* env = std::getenv("TRTUTILS_CLI"); env && *env) return env;
  if (std::filesystem::exists(TRTUTILS_CLI)) return TRTUTILS_CLI;
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "trtutils").string();
}

/// Runs `trtutils ARGS...` with stdout and stderr redirected to files (so
/// neither is a terminal).
inline CliResult run_cli(const std::vector<std::string>& args) {
  static int counter = 0;
  const std::filesystem::path base =
      std::filesystem::temp_directory_path() /
      ("trtutils_cli_run_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::string command = shell_quote(cli_path());
  for (const std::string& arg : args) command += " " + shell_quote(arg);
  command +=
      " >" + shell_quote(base.string() + ".out") + " 2>" + shell_quote(base.string() + ".err");
  const int raw = std::system(command.c_str());
  CliResult result;
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  result.out = read_text(base.string() + ".out");
  result.err = read_text(base.string() + ".err");
  std::filesystem::remove(base.string() + ".out");
  std::filesystem::remove(base.string() + ".err");
  return result;
}

}  // namespace trtutils::testing

/// Streams a CliResult into an assertion message.
#define TRTUTILS_CLI_DUMP(result) \
  "exit " << (result).status << "\n--- stdout\n" << (result).out << "\n--- stderr\n" << (result).err
