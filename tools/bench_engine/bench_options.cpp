#include "bench_options.hpp"

#include <CLI/CLI.hpp>

#include "cli_parse.hpp"

namespace trtutils::tools::bench_engine {

namespace fs = std::filesystem;

std::string model_name(const fs::path& model) {
  const fs::path dir = fs::absolute(model).lexically_normal().parent_path();
  return dir.filename().empty() ? model.stem().string() : dir.filename().string();
}

std::variant<Options, int> parse_options(int argc, const char* const* argv, std::ostream& out,
                                         std::ostream& err) {
  Options options;
  CLI::App app{
      "GPU latency of one engine, without and with a CUDA graph, and the host cost of one "
      "direct_exec call. Prints one JSON line per configuration on stdout.",
      "trtutils-bench-engine"};
  app.footer(
      "Exit status: 0 when every configuration ran, 1 on an error (a JSON line with "
      "\"error\" is printed), 2 on bad usage.");
  std::string precision{plan::precision_name(options.precision)};
  app.add_option("MODEL", options.model,
                 "MODEL.onnx (built, and cached as an engine next to it) or MODEL.engine")
      ->required();
  app.add_option("--batch", options.batch,
                 "batch size (default 1): BuildOptions::batch for a dynamic axis 0; a static "
                 "axis 0 must equal N (export with --batch N)")
      ->check(at_least(1));
  app.add_option("--precision", precision, "builder precision (default fp16)")
      ->check(CLI::IsMember({"fp16", "fp32", "bf16"}));
  app.add_option("--engine", options.engine,
                 "engine cache (default MODEL dir/model.b<N>.<prec>.engine)");
  app.add_flag("--rebuild", options.rebuild, "build even when a usable cached engine exists");
  bool no_autotune = false;
  app.add_flag("--no-autotune", no_autotune, "build without timing cuDNN / cuBLASLt candidates");
  app.add_option("--timing-cache", options.timing_cache, "reuse autotuning results across builds");
  app.add_option("--warmup", options.warmup, "untimed calls before each configuration (default 20)")
      ->check(at_least(0));
  app.add_option("--iterations", options.iterations, "timed calls per configuration (default 200)")
      ->check(at_least(1));
  app.add_option("--host-calls", options.host_calls,
                 "calls timed on the host for the enqueue cost (default 1000)")
      ->check(at_least(1));
  app.add_option("--configs", options.configs, "comma-separated: no_graph, graph (default both)")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->check(CLI::IsMember({"no_graph", "graph"}));
  app.add_option("--name", options.name,
                 "the model name in the JSON (default: MODEL's folder name)");
  app.add_option("--seed", options.seed, "input seed (default 1)");
  app.add_option("--device", options.device, "CUDA device (default 0)");
  app.add_flag("--build-only", options.build_only,
               "build (or check the cached engine), print one \"build\" line, time nothing");
  app.add_flag("--verbose", options.verbose, "print the builder's progress on stderr");

  const std::optional<int> status = parse_command_line(app, argc, argv, out, err, [&] {
    options.precision = plan::precision_from_name(precision);
    options.autotune = !no_autotune;
    if (options.name.empty()) options.name = model_name(options.model);
  });
  if (status) return *status;
  return options;
}

}  // namespace trtutils::tools::bench_engine
