// trtutils build MODEL.onnx [-o MODEL.engine] [--fp16|--bf16] [--batch MIN:OPT:MAX]
//                [--timing-cache F] [--workspace MiB] [--constant-input NAME=FILE.npy]...
//                [--no-autotune] [--target-arch sm_XX] [--json] [--no-progress]
//
// Builds the engine with a progress bar fed by the builder's progress
// callback, writes it, and prints a summary: layers, fusions made, kernels by
// kind, weights and activation memory, build time.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "builder/graph_preparation.hpp"
#include "cli_common.hpp"
#include "commands.hpp"
#include "plan_report.hpp"
#include "progress_bar.hpp"
#include "table.hpp"
#include "trtutils/builder/builder.hpp"
#include "trtutils/builder/fusion.hpp"
#include "trtutils/onnx/importer.hpp"
#include "trtutils/ops/registry.hpp"
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

struct FusionCounts {
  int batchnorm_folds = 0;
  int epilogues = 0;
  int elementwise_chains = 0;
  int total() const { return batchnorm_folds + epilogues + elementwise_chains; }
};

/// The rewrites the builder's fusion passes make on this model: the same
/// deterministic passes run on a second import prepared the same way (the
/// builder does not report them).
FusionCounts count_fusions(const fs::path& model, const builder::BuildOptions& options) {
  FusionCounts counts;
  if (!options.fuse) return counts;
  ir::Graph graph = onnx::import_model(model);
  builder::prepare_graph(graph, options, ops::OpRegistry::builtin());
  counts.batchnorm_folds = builder::fold_batchnorm_into_conv(graph);
  counts.epilogues = builder::fuse_epilogues(graph);
  builder::FusedSubgraphs subgraphs;
  counts.elementwise_chains = builder::fuse_elementwise_chains(graph, subgraphs);
  return counts;
}

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
  const plan::Plan plan = builder::build(args.model, options);
  const double build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  bar.finish();
  plan::write_plan(output, plan);

  std::optional<FusionCounts> fusions;
  std::string fusion_problem;
  try {
    fusions = count_fusions(args.model, options);
  } catch (const std::exception& e) {
    fusion_problem = e.what();
  }

  const PlanMemoryReport memory = plan_memory(plan);
  nlohmann::json json = plan_json(plan, false);
  json["engine"] = output.string();
  json["model"] = args.model.string();
  json["engine_bytes"] = fs::file_size(output);
  json["build_seconds"] = build_seconds;
  if (fusions) {
    json["fusions"] = {{"batchnorm_folds", fusions->batchnorm_folds},
                       {"epilogues", fusions->epilogues},
                       {"elementwise_chains", fusions->elementwise_chains},
                       {"total", fusions->total()}};
  } else {
    json["fusions"] = nullptr;
  }
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
  if (fusions) {
    summary.add("fusions", detail::concat(fusions->total(), " (", fusions->batchnorm_folds,
                                          " BatchNorm folded, ", fusions->epilogues, " epilogues, ",
                                          fusions->elementwise_chains, " element-wise chains)"));
  } else {
    summary.add("fusions", "not counted: " + fusion_problem);
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
