#pragma once
// Helpers for the stand-alone tools' command-line tests: parse_options on an
// argv built from strings, and running a tool binary as a script does
// (exit status, stdout and stderr apart).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace trtutils::testing {

/// argv for parse_options: the program name, then `args`.
class Argv {
 public:
  explicit Argv(std::vector<std::string> args) : storage_(std::move(args)) {
    storage_.insert(storage_.begin(), "tool");
    for (const std::string& s : storage_) pointers_.push_back(s.c_str());
  }
  int argc() const { return static_cast<int>(pointers_.size()); }
  const char* const* argv() const { return pointers_.data(); }

 private:
  std::vector<std::string> storage_;
  std::vector<const char*> pointers_;
};

struct ToolResult {
  int status = -1;
  std::string out;
  std::string err;
};

inline std::string read_file_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string quoted(const std::string& arg) {
  std::string text = "'";
  for (const char c : arg) text += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return text + "'";
}

/// Runs `binary ARGS...` with stdout and stderr redirected to files.
inline ToolResult run_tool(const std::string& binary, const std::vector<std::string>& args) {
  static int counter = 0;
  const std::filesystem::path base =
      std::filesystem::temp_directory_path() /
      ("trtutils_tool_run_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::string command = quoted(binary);
  for (const std::string& arg : args) command += " " + quoted(arg);
  command += " >" + quoted(base.string() + ".out") + " 2>" + quoted(base.string() + ".err");
  const int raw = std::system(command.c_str());
  ToolResult result;
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  result.out = read_file_text(base.string() + ".out");
  result.err = read_file_text(base.string() + ".err");
  std::filesystem::remove(base.string() + ".out");
  std::filesystem::remove(base.string() + ".err");
  return result;
}

}  // namespace trtutils::testing

#define TRTUTILS_TOOL_DUMP(result) \
  "exit " << (result).status << "\n--- stdout\n" << (result).out << "\n--- stderr\n" << (result).err
