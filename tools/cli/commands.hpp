#pragma once
// The subcommands of `trtutils`. Each add_*_command registers its options on
// the app and returns the subcommand; run_* runs it after a successful parse
// and returns the exit status (exceptions are turned into statuses by main).
#include <CLI/CLI.hpp>
#include <functional>

namespace trtutils::cli {

/// A registered subcommand and what runs it once parsed.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command add_build_command(CLI::App& app);
Command add_run_command(CLI::App& app);
Command add_bench_command(CLI::App& app);
Command add_inspect_command(CLI::App& app);
Command add_compare_command(CLI::App& app);
Command add_detect_command(CLI::App& app);

}  // namespace trtutils::cli
