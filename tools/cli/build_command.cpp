// trtutils build MODEL.onnx [-o MODEL.engine] [--fp16|--bf16] [--batch MIN:OPT:MAX]
//                [--timing-cache F] [--workspace MiB] [--constant-input NAME=FILE.npy]...
//                [--layout auto|nchw|nhwc] [--no-autotune] [--target-arch sm_XX]
//                [--json] [--no-progress]
//
// Builds the engine with a progress bar fed by the builder's progress
// callback, writes it, and prints a summary: layers, fusions made, kernels by
// kind, weights and activation memory, build time.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "commands.hpp"
#include "plan_report.hpp"
#include "progress_bar.hpp"
#include "table.hpp"
#include "trtutils/builder/builder.hpp"
#include "trtutils/plan/plan_writer.hpp"

namespace trtutils::cli {

namespace {

namespace fs = std::filesystem;

struct BuildArgs {
  fs::path model;
  fs::path output;
  BuildFlags flags;
  bool json = false;
  bool no_progress = false;
};

int run_build(const BuildArgs& args) {
  builder::BuildOptions options = to_build_options(args.flags);
  const fs::path output =
      args.output.empty() ? fs::path(args.model).replace_extension(".engine") : args.output;
  if (options.autotune || options.target_arch.empty()) {
    require_gpu(options.autotune ? "building with autotuning" : "building for this GPU's arch");
  }

  // Progress goes to stdout, or to stderr when stdout carries the JSON.
  ProgressBar bar(args.json ? stderr : stdout, "build", !args.no_progress);
  options.progress = [&bar](std::string_view stage, double fraction) {
    bar.update(stage, fraction);
  };
  const auto start = std::chrono::steady_clock::now();
  builder::BuildReport report;
  const plan::Plan plan = builder::build(args.model, options, &report);
  const double build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  bar.finish();
  plan::write_plan(output, plan);

  const PlanMemoryReport memory = plan_memory(plan);
  nlohmann::json json = plan_json(plan, false);
  json["engine"] = output.string();
  json["model"] = args.model.string();
  json["engine_bytes"] = fs::file_size(output);
  json["build_seconds"] = build_seconds;
  json["fusions"] = {{"batchnorm_folds", report.batchnorms_folded},
                     {"epilogues", report.epilogues_fused},
                     {"residuals", report.residuals_fused},
                     {"elementwise_chains", report.elementwise_chains},
                     {"total", report.fusions()}};
  json["layout"] = {{"convolutions_nhwc", report.convolutions_nhwc},
                    {"transposes_inserted", report.transposes_inserted},
                    {"transposes_removed", report.transposes_removed},
                    {"transposes_left", report.transposes_left}};
  if (args.json) {
    std::cout << json.dump(2) << "\n";
    return kExitOk;
  }
  std::ostream& out = std::cout;
  out << "built " << output.string() << " from " << args.model.string() << "\n";
  KeyValueList summary;
  summary.add("target GPU", plan.header.target_arch);
  summary.add("precision", std::string(plan::precision_name(plan.header.precision)));
  summary.add("batch", batch_text(plan));
  summary.add("layers", plan.batch_range ? detail::concat(plan.layers.size(), " (opt bucket)")
                                         : std::to_string(plan.layers.size()));
  summary.add("fusions", detail::concat(report.fusions(), " (", report.batchnorms_folded,
                                        " BatchNorm folded, ", report.epilogues_fused,
                                        " epilogues, ", report.residuals_fused, " residual adds, ",
                                        report.elementwise_chains, " element-wise chains)"));
  if (report.convolutions_nhwc > 0) {
    summary.add("layout", detail::concat(report.convolutions_nhwc,
                                         " convolutions NHWC; transposes: ",
                                         report.transposes_inserted, " inserted, ",
                                         report.transposes_removed, " removed, ",
                                         report.transposes_left, " left"));
  }
  summary.add("weights", bytes_text(memory.weights_bytes));
  summary.add("activations", detail::concat(bytes_text(memory.arena_bytes), " per context"));
  summary.add("workspace", detail::concat(bytes_text(memory.workspace_bytes), " per context"));
  summary.add("engine file", bytes_text(fs::file_size(output)));
  summary.add("build time", fixed_text(build_seconds, 2) + " s");
  summary.print(out);
  out << "\nkernels chosen\n";
  print_kernels_by_kind(out, plan);
  out << "\ninputs and outputs\n";
  print_io(out, plan);
  return kExitOk;
}

}  // namespace

Command add_build_command(CLI::App& app) {
  auto args = std::make_shared<BuildArgs>();
  CLI::App* command = app.add_subcommand(
      "build", "Build an ONNX model into an engine file (autotuned on this GPU by default).");
  command->add_option("MODEL", args->model, "the .onnx model")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("-o,--output", args->output,
                      "the engine file to write (default: MODEL with .engine)");
  add_build_flags(*command, args->flags);
  command->add_flag("--json", args->json, "print the summary as JSON (progress goes to stderr)");
  command->add_flag("--no-progress", args->no_progress, "no progress bar");
  return {command, [args] { return run_build(*args); }};
}

}  // namespace trtutils::cli
