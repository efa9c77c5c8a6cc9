#include "model_check_options.hpp"

#include <CLI/CLI.hpp>

#include "cli_parse.hpp"

namespace trtutils::tools::model_check {

std::variant<Options, int> parse_options(int argc, const char* const* argv, std::ostream& out,
                                         std::ostream& err) {
  Options options;
  CLI::App app{
      "Whole-model correctness of the engine against a PyTorch float64 oracle: each DIR is "
      "built at each precision, run with TRTEngine and compared by relative L2 error. Prints a "
      "table ending with \"model-check: N passed, N failed\".",
      "trtutils-model-check"};
  app.footer(
      "The table's 'build s' column is the build time; on cpu-ref rows, the CPU run time.\n"
      "Exit status: 0 when every model passes at every precision, 1 otherwise, 2 on bad usage.");
  app.add_option("DIR", options.dirs,
                 "a model folder: model.onnx, input.npy (or input_<i>.npy), output_<i>.npy (see "
                 "bench/models/export_models.py), and optionally fp32_nodes.txt: node-name "
                 "regexes (one per line) kept in fp32 in an fp16 build. Then the fp16 row is "
                 "built with them ('fp16-mixed', counted) and without ('fp16', information only)")
      ->required();
  std::string precision = "both";
  app.add_option("--precision", precision, "fp32, fp16 or both (default both)")
      ->check(CLI::IsMember({"fp32", "fp16", "both"}));
  app.add_option("--json", options.json, "also write the results as JSON");
  app.add_flag("--cpu-reference", options.cpu_reference,
               "run the CPU ReferenceExecutor (fp32) on every model, for information; by default "
               "only on models whose model.onnx is at most --cpu-reference-max-mb (default 2) MB");
  app.add_option("--cpu-reference-max-mb", options.cpu_reference_max_mb,
                 "the model.onnx size up to which the CPU reference runs without --cpu-reference "
                 "(default 2)");
  bool no_autotune = false;
  app.add_flag("--no-autotune", no_autotune, "build without timing cuDNN / cuBLASLt candidates");
  app.add_option("--target-arch", options.target_arch,
                 "build for this architecture, sm_XX (default: the GPU's; with --no-autotune the "
                 "build itself needs no GPU)");
  app.add_option("--timing-cache", options.timing_cache, "reuse autotuning results across builds");
  app.add_option("--runs", options.runs,
                 "timed executions after the checked one (default 5; 0: none)")
      ->check(at_least(0));
  app.add_option("--fp32-tolerance", options.fp32_tolerance,
                 "pass threshold on relative L2 for fp32 (default 1e-4)");
  app.add_option("--fp16-tolerance", options.fp16_tolerance,
                 "pass threshold on relative L2 for fp16 (default 1e-2)");
  app.add_flag("--verbose", options.verbose, "print the builder's progress");

  const std::optional<int> status = parse_command_line(app, argc, argv, out, err, [&] {
    options.autotune = !no_autotune;
    if (precision == "both") {
      options.precisions = {plan::Precision::kFloat32, plan::Precision::kFloat16};
    } else {
      options.precisions = {plan::precision_from_name(precision)};
    }
  });
  if (status) return *status;
  return options;
}

}  // namespace trtutils::tools::model_check
