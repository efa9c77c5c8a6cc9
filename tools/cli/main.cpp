// trtutils: the command line of the toolkit (build, run, bench, inspect,
// compare, detect). Exit status: 0 success, 1 failure (or compare over tolerance),
// 2 bad usage. See docs/parts/cli.md.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli_common.hpp"
#include "commands.hpp"
#include "trtutils/version.hpp"

int main(int argc, char** argv) {
  namespace cli = trtutils::cli;
  CLI::App app{
      "trtutils: build, run, benchmark, inspect and check GPU inference engines; detect "
      "objects in images",
      "trtutils"};
  app.set_version_flag("--version", std::string(trtutils::kVersionString));
  app.require_subcommand(1);
  app.footer(
      "Run `trtutils COMMAND --help` for a command's options.\n"
      "Exit status: 0 success, 1 failure (compare: an output over tolerance), 2 bad usage.");

  std::vector<cli::Command> commands = {
      cli::add_build_command(app),   cli::add_run_command(app),     cli::add_bench_command(app),
      cli::add_inspect_command(app), cli::add_compare_command(app), cli::add_detect_command(app)};

  // CLI11 would call an unknown command "A subcommand is required": name it.
  const auto is_command = [&commands](const std::string& name) {
    for (const cli::Command& command : commands) {
      if (command.app->get_name() == name) return true;
    }
    return false;
  };
  if (argc > 1 && argv[1][0] != '-' && !is_command(argv[1])) {
    std::cerr << "trtutils: unknown command '" << argv[1]
              << "' (commands: build, run, bench, inspect, compare, detect)\n"
                 "Run with --help for more information.\n";
    return cli::kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int status = app.exit(e);  // prints help / version, or the error
    return status == 0 ? cli::kExitOk : cli::kExitUsage;
  }

  for (const cli::Command& command : commands) {
    if (!command.app->parsed()) continue;
    const std::string name = "trtutils " + command.app->get_name();
    try {
      return command.run();
    } catch (const cli::UsageError& e) {
      std::cerr << name << ": " << e.what() << "\nRun with --help for more information.\n";
      return cli::kExitUsage;
    } catch (const cli::NoGpuError& e) {
      std::cerr << name << ": " << e.what() << "\n";
      return cli::kExitFailure;
    } catch (const std::exception& e) {
      std::cerr << name << ": error: " << e.what() << "\n";
      return cli::kExitFailure;
    }
  }
  return cli::kExitUsage;  // unreachable: require_subcommand(1)
}
