// trtutils-bench-engine's command line: defaults, every flag that
// bench/run_benchmarks.py passes, and exit status 2 with a message naming the
// problem for bad usage. No GPU needed (the binary parses before any CUDA call).
#include <gtest/gtest.h>

#include <variant>

#include "bench_options.hpp"
#include "tools/tool_runner.hpp"

namespace trtutils::tools::bench_engine {
namespace {

using trtutils::testing::run_tool;

using Parsed = trtutils::testing::ParsedCommandLine<Options>;

Parsed parse(std::vector<std::string> args) {
  return trtutils::testing::parse_command_line<Options>(parse_options, std::move(args));
}

Options options_of(std::vector<std::string> args) {
  return trtutils::testing::parsed_options(parse(std::move(args)));
}

TEST(BenchEngineOptions, OnlyTheModelGivesTheDocumentedDefaults) {
  const Options o = options_of({"/models/resnet50/model.onnx"});
  EXPECT_EQ(o.model, "/models/resnet50/model.onnx");
  EXPECT_EQ(o.batch, 1);
  EXPECT_EQ(o.precision, plan::Precision::kFloat16);
  EXPECT_TRUE(o.engine.empty());
  EXPECT_FALSE(o.rebuild);
  EXPECT_TRUE(o.autotune);
  EXPECT_TRUE(o.timing_cache.empty());
  EXPECT_EQ(o.warmup, 20);
  EXPECT_EQ(o.iterations, 200);
  EXPECT_EQ(o.host_calls, 1000);
  EXPECT_EQ(o.configs, (std::vector<std::string>{"no_graph", "graph"}));
  EXPECT_EQ(o.name, "resnet50") << "the default name is MODEL's folder";
  EXPECT_EQ(o.seed, 1u);
  EXPECT_EQ(o.device, 0);
  EXPECT_FALSE(o.build_only);
  EXPECT_FALSE(o.verbose);
}

TEST(BenchEngineOptions, TheBenchmarkScriptsBuildCommandParses) {
  // bench/run_benchmarks.py engine_cmd(..., ["--build-only"]).
  const Options o =
      options_of({"/w/vit_b_16-b32/model.onnx", "--batch", "32", "--precision", "fp16", "--name",
                  "vit_b_16", "--timing-cache", "/w/timing.cache", "--build-only"});
  EXPECT_EQ(o.batch, 32);
  EXPECT_EQ(o.precision, plan::Precision::kFloat16);
  EXPECT_EQ(o.name, "vit_b_16");
  EXPECT_EQ(o.timing_cache, "/w/timing.cache");
  EXPECT_TRUE(o.build_only);
}

TEST(BenchEngineOptions, TheBenchmarkScriptsTimingCommandParses) {
  const Options o = options_of({"/w/m/model.onnx", "--batch", "32", "--precision", "fp16", "--name",
                                "m", "--timing-cache", "/w/t", "--iterations", "300", "--warmup",
                                "30", "--host-calls", "50", "--seed", "4"});
  EXPECT_EQ(o.iterations, 300);
  EXPECT_EQ(o.warmup, 30);
  EXPECT_EQ(o.host_calls, 50);
  EXPECT_EQ(o.seed, 4u);
  EXPECT_FALSE(o.build_only);
}

TEST(BenchEngineOptions, EveryOtherFlagIsRead) {
  const Options o = options_of({"--precision", "bf16", "--engine", "/e/x.engine", "--rebuild",
                                "--no-autotune", "--device", "1", "--verbose", "m.engine"});
  EXPECT_EQ(o.model, "m.engine") << "MODEL may follow the flags";
  EXPECT_EQ(o.precision, plan::Precision::kBFloat16);
  EXPECT_EQ(o.engine, "/e/x.engine");
  EXPECT_TRUE(o.rebuild);
  EXPECT_FALSE(o.autotune);
  EXPECT_EQ(o.device, 1);
  EXPECT_TRUE(o.verbose);
  EXPECT_EQ(options_of({"m.onnx", "--precision", "fp32"}).precision, plan::Precision::kFloat32);
}

TEST(BenchEngineOptions, ConfigsIsACommaSeparatedListWithoutEmptyParts) {
  EXPECT_EQ(options_of({"m.onnx", "--configs", "graph"}).configs,
            (std::vector<std::string>{"graph"}));
  EXPECT_EQ(options_of({"m.onnx", "--configs", "graph,no_graph,"}).configs,
            (std::vector<std::string>{"graph", "no_graph"}));
  // One value per occurrence: a following MODEL is not taken as a config.
  EXPECT_EQ(options_of({"--configs", "no_graph", "m.onnx"}).model, "m.onnx");
}

TEST(BenchEngineOptions, HelpNamesEveryFlagAndExitsZero) {
  const Parsed parsed = parse({"--help"});
  ASSERT_TRUE(std::holds_alternative<int>(parsed.result));
  EXPECT_EQ(std::get<int>(parsed.result), 0);
  for (const char* flag :
       {"MODEL", "--batch", "--precision", "--engine", "--rebuild", "--no-autotune",
        "--timing-cache", "--warmup", "--iterations", "--host-calls", "--configs", "--name",
        "--seed", "--device", "--build-only", "--verbose", "Exit status"}) {
    EXPECT_NE(parsed.out.find(flag), std::string::npos) << "--help lacks " << flag << "\n"
                                                        << parsed.out;
  }
  EXPECT_TRUE(parsed.err.empty()) << parsed.err;
}

struct BadUsage {
  std::vector<std::string> args;
  const char* mentions;  // what the message must name
};

TEST(BenchEngineOptions, BadUsageIsExitStatusTwoWithAMessageNamingTheProblem) {
  const std::vector<BadUsage> cases = {
      {{}, "MODEL"},
      {{"m.onnx", "--bogus"}, "--bogus"},
      {{"a.onnx", "b.onnx"}, "b.onnx"},
      {{"m.onnx", "--batch"}, "--batch"},
      {{"m.onnx", "--batch", "0"}, "--batch: must be >= 1, got 0"},
      {{"m.onnx", "--batch", "thirty"}, "--batch"},
      {{"m.onnx", "--precision", "fp8"}, "fp8"},
      {{"m.onnx", "--warmup", "-1"}, "--warmup: must be >= 0"},
      {{"m.onnx", "--iterations", "0"}, "--iterations: must be >= 1"},
      {{"m.onnx", "--host-calls", "0"}, "--host-calls: must be >= 1"},
      {{"m.onnx", "--configs", "fast"}, "fast"},
      {{"m.onnx", "--configs", ","}, "--configs"},
      {{"m.onnx", "--seed", "x"}, "--seed"},
  };
  for (const BadUsage& c : cases) {
    const Parsed parsed = parse(c.args);
    std::string line;
    for (const std::string& a : c.args) line += a + " ";
    ASSERT_TRUE(std::holds_alternative<int>(parsed.result)) << line;
    EXPECT_EQ(std::get<int>(parsed.result), 2) << line;
    EXPECT_EQ(parsed.err.rfind("trtutils-bench-engine: ", 0), 0u) << line << "\n" << parsed.err;
    EXPECT_NE(parsed.err.find(c.mentions), std::string::npos) << line << "\n" << parsed.err;
    EXPECT_TRUE(parsed.out.empty()) << line << "\n" << parsed.out;
  }
}

TEST(BenchEngineOptions, ModelNameIsTheModelsFolderName) {
  EXPECT_EQ(model_name("/tmp/trtutils-bench/convnext_tiny-b32/model.onnx"), "convnext_tiny-b32");
  EXPECT_EQ(model_name("/model.engine"), "model") << "no folder name: the file's stem";
}

TEST(BenchEngineBinary, BadFlagExitsTwoBeforeAnyGpuWork) {
  const auto r = run_tool(TRTUTILS_BENCH_ENGINE_BINARY, {"model.onnx", "--bogus"});
  EXPECT_EQ(r.status, 2) << TRTUTILS_TOOL_DUMP(r);
  EXPECT_NE(r.err.find("--bogus"), std::string::npos) << TRTUTILS_TOOL_DUMP(r);
  EXPECT_TRUE(r.out.empty()) << "stdout carries JSON lines only\n" << TRTUTILS_TOOL_DUMP(r);
}

TEST(BenchEngineBinary, HelpExitsZero) {
  const auto r = run_tool(TRTUTILS_BENCH_ENGINE_BINARY, {"--help"});
  EXPECT_EQ(r.status, 0) << TRTUTILS_TOOL_DUMP(r);
  EXPECT_NE(r.out.find("--host-calls"), std::string::npos) << TRTUTILS_TOOL_DUMP(r);
}

}  // namespace
}  // namespace trtutils::tools::bench_engine
