#pragma once
// The parse step of the stand-alone tools (trtutils-bench-engine,
// trtutils-model-check): CLI11, as the trtutils CLI uses, with the tools'
// exit statuses: --help prints the help on `out` and ends with 0, bad usage
// prints "TOOL: what is wrong" on `err` and ends with 2.
#include <CLI/CLI.hpp>
#include <charconv>
#include <optional>
#include <ostream>
#include <string>
#include <system_error>

namespace trtutils::tools {

/// Exit status for bad usage (unknown flag, missing or malformed value).
inline constexpr int kExitUsage = 2;

/// A CLI11 check for an integer option: at least `min` ("--batch: must be
/// >= 1, got 0"). Text that is no integer passes here; the conversion to the
/// option's type reports it.
inline CLI::Validator at_least(long long min) {
  return CLI::Validator(
      [min](std::string& text) {
        long long value = 0;
        const char* end = text.data() + text.size();
        const auto [stop, status] = std::from_chars(text.data(), end, value);
        if (status != std::errc() || stop != end || value >= min) return std::string();
        return "must be >= " + std::to_string(min) + ", got " + text;
      },
      ">= " + std::to_string(min));
}

/// Parses `argv` into the options `app` binds, then runs `validate` (which
/// throws CLI::ValidationError for values no single flag can check). Nothing
/// when the tool should go on; otherwise the exit status, with the help or
/// the error already printed.
template <typename Validate>
std::optional<int> parse_command_line(CLI::App& app, int argc, const char* const* argv,
                                      std::ostream& out, std::ostream& err, Validate&& validate) {
  try {
    app.parse(argc, argv);
    validate();
    return std::nullopt;
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return 0;
  } catch (const CLI::Error& e) {
    err << app.get_name() << ": " << e.what() << "\nRun with --help for more information.\n";
    return kExitUsage;
  }
}

}  // namespace trtutils::tools
