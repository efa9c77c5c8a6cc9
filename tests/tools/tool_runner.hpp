#pragma once
// Helpers for the stand-alone tools' command-line tests: parse_options on an
// argv built from strings, and running a tool binary as a script does
// (exit status, stdout and stderr apart).
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <variant>
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

/// What a tool's parse_options(argc, argv, out, err) gave: the options or an
/// exit status, and what it printed.
template <typename Options>
struct ParsedCommandLine {
  std::variant<Options, int> result;
  std::string out;
  std::string err;
};

template <typename Options, typename ParseOptions>
ParsedCommandLine<Options> parse_command_line(ParseOptions parse_options,
                                              std::vector<std::string> args) {
  const Argv argv(std::move(args));
  std::ostringstream out;
  std::ostringstream err;
  ParsedCommandLine<Options> parsed{parse_options(argv.argc(), argv.argv(), out, err), "", ""};
  parsed.out = out.str();
  parsed.err = err.str();
  return parsed;
}

/// The options of a command line expected to parse (a test failure naming
/// stderr, and default options, when it does not).
template <typename Options>
Options parsed_options(const ParsedCommandLine<Options>& parsed) {
  EXPECT_TRUE(std::holds_alternative<Options>(parsed.result)) << parsed.err;
  return std::holds_alternative<Options>(parsed.result) ? std::get<Options>(parsed.result)
                                                        : Options{};
}

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
