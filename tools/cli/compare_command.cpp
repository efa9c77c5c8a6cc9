// trtutils compare MODEL.onnx [MODEL.engine] [--input NAME=FILE.npy]... [--rtol R]
//                  [--atol A] [--seed N] [--device N] [--json] [build options]
//
// Runs the engine (the given one, or MODEL.onnx built with the build options)
// and the CPU reference executor on the same inputs and compares every output
// element-wise as numpy.allclose does: |engine - reference| <= atol + rtol *
// |reference| (NaN equal to NaN). Prints per output the max absolute and max
// relative error and how many elements are over tolerance; exit 1 when any is.
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli_common.hpp"
#include "commands.hpp"
#include "table.hpp"
#include "trtutils/onnx/importer.hpp"
#include "trtutils/ops/reference_executor.hpp"
#include "trtutils/plan/plan_reader.hpp"
#include "trtutils/runtime/trt_engine.hpp"

namespace trtutils::cli {

namespace {

namespace fs = std::filesystem;

struct CompareArgs {
  fs::path onnx;
  fs::path engine;
  std::vector<std::string> inputs;
  std::optional<double> rtol;
  std::optional<double> atol;
  std::uint64_t seed = 0;
  int device = 0;
  bool json = false;
  bool quiet = false;
  BuildFlags flags;
};

struct OutputComparison {
  std::string name;
  std::string shape;
  std::string reference_shape;
  double max_abs = 0.0;
  double max_rel = 0.0;
  std::int64_t over_tolerance = 0;
  std::int64_t elements = 0;
  std::string problem;
  bool passed() const { return problem.empty() && over_tolerance == 0; }
};

OutputComparison compare_output(const std::string& name, const HostTensor& engine,
                                const HostTensor& reference, double rtol, double atol) {
  OutputComparison c;
  c.name = name;
  c.shape = dims_text(engine.shape());
  c.reference_shape = dims_text(reference.shape());
  c.elements = engine.element_count();
  if (engine.shape() != reference.shape()) {
    c.problem = detail::concat("shape ", c.shape, " but the reference's is ", c.reference_shape);
    return c;
  }
  for (std::int64_t i = 0; i < engine.element_count(); ++i) {
    const double a = element_as_double(engine.view(), i);
    const double b = element_as_double(reference.view(), i);
    if (std::isnan(a) || std::isnan(b)) {
      if (std::isnan(a) != std::isnan(b)) ++c.over_tolerance;
      continue;
    }
    if (std::isinf(a) || std::isinf(b)) {
      if (a != b) ++c.over_tolerance;
      continue;
    }
    const double diff = std::abs(a - b);
    c.max_abs = std::max(c.max_abs, diff);
    if (b != 0.0) c.max_rel = std::max(c.max_rel, diff / std::abs(b));
    if (diff > atol + rtol * std::abs(b)) ++c.over_tolerance;
  }
  return c;
}

std::string sci(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3e", v);
  return text;
}

/// Default tolerances by the precision the engine was built in.
std::pair<double, double> default_tolerances(plan::Precision precision) {
  switch (precision) {
    case plan::Precision::kFloat16:
      return {1e-2, 1e-2};
    case plan::Precision::kBFloat16:
      return {5e-2, 5e-2};
    case plan::Precision::kFloat32:
      break;
  }
  return {1e-3, 1e-4};
}

int run_compare(const CompareArgs& args) {
  if (!is_onnx_path(args.onnx)) {
    throw UsageError(
        detail::concat("the first argument must be the .onnx model (the CPU "
                       "reference runs it), not ",
                       args.onnx.string()));
  }
  if (!args.engine.empty() && is_onnx_path(args.engine)) {
    throw UsageError("the second argument is the .engine file to check, not another .onnx");
  }
  const std::map<std::string, HostTensor> given = read_named_tensors(args.inputs, "--input");
  const std::map<std::string, HostTensor> constants =
      read_named_tensors(args.flags.constant_inputs, "--constant-input");
  require_gpu("comparing an engine with the CPU reference");

  plan::Plan plan = args.engine.empty()
                        ? load_or_build_plan(args.onnx, args.flags, args.quiet || args.json)
                        : plan::read_plan(args.engine);
  const auto [default_rtol, default_atol] = default_tolerances(plan.header.precision);
  const double rtol = args.rtol.value_or(default_rtol);
  const double atol = args.atol.value_or(default_atol);
  std::vector<std::string> sources;
  const std::vector<HostTensor> inputs = prepare_inputs(plan.io, given, args.seed, &sources);

  runtime::TRTEngineOptions options;
  options.device = args.device;
  runtime::TRTEngine engine(std::move(plan), options);
  const std::vector<HostTensor> outputs = engine.execute(inputs);
  const std::vector<std::string> input_names = engine.input_names();
  const std::vector<std::string> output_names = engine.output_names();

  // The reference runs the original graph: engine inputs by name, and the
  // values the engine has fixed at build time.
  const ir::Graph graph = onnx::import_model(args.onnx);
  ops::TensorMap feed;
  for (const ir::Value* input : graph.inputs()) {
    if (input->is_constant()) continue;
    const auto named = std::find(input_names.begin(), input_names.end(), input->name());
    HostTensor value;
    if (named != input_names.end()) {
      value = inputs[static_cast<std::size_t>(named - input_names.begin())];
    } else if (const auto constant = constants.find(input->name()); constant != constants.end()) {
      value = constant->second;
    } else {
      throw UsageError(detail::concat("model input '", input->name(),
                                      "' is not an input of the engine (it was fixed at build "
                                      "time): give the same value with --constant-input ",
                                      input->name(), "=FILE.npy"));
    }
    feed.emplace(input->name(),
                 value.dtype() == input->dtype() ? value : value.cast(input->dtype()));
  }
  const ops::ReferenceExecutor executor(graph);
  const ops::TensorMap reference = executor.run(feed);

  std::vector<OutputComparison> comparisons;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const auto found = reference.find(output_names[i]);
    if (found == reference.end()) {
      OutputComparison missing;
      missing.name = output_names[i];
      missing.shape = dims_text(outputs[i].shape());
      missing.problem = "the ONNX model has no output of this name";
      comparisons.push_back(missing);
      continue;
    }
    comparisons.push_back(compare_output(output_names[i], outputs[i], found->second, rtol, atol));
  }
  const bool passed = std::all_of(comparisons.begin(), comparisons.end(),
                                  [](const OutputComparison& c) { return c.passed(); });

  if (args.json) {
    nlohmann::json json;
    json["onnx"] = args.onnx.string();
    json["engine"] =
        args.engine.empty() ? nlohmann::json(nullptr) : nlohmann::json(args.engine.string());
    json["rtol"] = rtol;
    json["atol"] = atol;
    json["passed"] = passed;
    json["inputs"] = nlohmann::json::array();
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      json["inputs"].push_back({{"name", input_names[i]}, {"source", sources[i]}});
    }
    json["outputs"] = nlohmann::json::array();
    for (const OutputComparison& c : comparisons) {
      json["outputs"].push_back({{"name", c.name},
                                 {"shape", c.shape},
                                 {"max_abs_error", c.max_abs},
                                 {"max_rel_error", c.max_rel},
                                 {"over_tolerance", c.over_tolerance},
                                 {"elements", c.elements},
                                 {"problem", c.problem},
                                 {"passed", c.passed()}});
    }
    std::cout << json.dump(2) << "\n";
    return passed ? kExitOk : kExitFailure;
  }
  std::cout << "compare "
            << (args.engine.empty() ? args.onnx.string() + " (built)" : args.engine.string())
            << " with the CPU reference of " << args.onnx.string() << "\n"
            << "tolerance: |engine - reference| <= " << sci(atol) << " + " << sci(rtol)
            << " * |reference|\n\n";
  Table table({{"output"},
               {"shape"},
               {"max abs err", Table::Align::kRight},
               {"max rel err", Table::Align::kRight},
               {"over tol", Table::Align::kRight},
               {"result"}});
  for (const OutputComparison& c : comparisons) {
    table.add_row({c.name, c.shape, sci(c.max_abs), sci(c.max_rel),
                   detail::concat(c.over_tolerance, "/", c.elements),
                   c.passed() ? "PASS" : "FAIL" + (c.problem.empty() ? "" : ": " + c.problem)});
  }
  table.print(std::cout);
  std::cout << "\n"
            << (passed ? "all outputs within tolerance" : "some outputs over tolerance") << "\n";
  return passed ? kExitOk : kExitFailure;
}

}  // namespace

Command add_compare_command(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* command = app.add_subcommand(
      "compare",
      "Check an engine against the CPU reference executor on the same inputs; exit 1 "
      "when an output is over tolerance.");
  command->add_option("MODEL", args->onnx, "the .onnx model (run by the CPU reference)")
      ->required()
      ->check(CLI::ExistingFile);
  command
      ->add_option("ENGINE", args->engine,
                   "the .engine built from it (default: build MODEL with the build options)")
      ->check(CLI::ExistingFile);
  command->add_option("-i,--input", args->inputs,
                      "NAME=FILE.npy: an input's value; repeatable (inputs not given are random)");
  command
      ->add_option("--rtol", args->rtol,
                   "relative tolerance (default 1e-3 fp32, 1e-2 fp16, 5e-2 bf16 engines)")
      ->check(CLI::Range(0.0, 1e30));
  command
      ->add_option("--atol", args->atol,
                   "absolute tolerance (default 1e-4 fp32, 1e-2 fp16, 5e-2 bf16 engines)")
      ->check(CLI::Range(0.0, 1e30));
  command->add_option("--seed", args->seed, "seed of the random inputs")->capture_default_str();
  command->add_option("--device", args->device, "CUDA device")->capture_default_str();
  command->add_flag("--json", args->json, "print the comparison as JSON");
  command->add_flag("-q,--quiet", args->quiet, "no build progress bar");
  add_build_flags(*command, args->flags);
  return {command, [args] { return run_compare(*args); }};
}

}  // namespace trtutils::cli
