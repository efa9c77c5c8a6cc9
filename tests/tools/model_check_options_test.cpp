// trtutils-model-check's command line: defaults, every flag that
// scripts/model-check.sh passes, and exit status 2 with a message naming the
// problem for bad usage. No GPU needed (the binary parses before any CUDA call).
#include "model_check_options.hpp"

#include <gtest/gtest.h>

#include <variant>

#include "tools/tool_runner.hpp"

namespace trtutils::tools::model_check {
namespace {

using trtutils::testing::run_tool;

using Parsed = trtutils::testing::ParsedCommandLine<Options>;

Parsed parse(std::vector<std::string> args) {
  return trtutils::testing::parse_command_line<Options>(parse_options, std::move(args));
}

Options options_of(std::vector<std::string> args) {
  return trtutils::testing::parsed_options(parse(std::move(args)));
}

TEST(ModelCheckOptions, OnlyAFolderGivesTheDocumentedDefaults) {
  const Options o = options_of({"/m/resnet50"});
  EXPECT_EQ(o.dirs, (std::vector<std::filesystem::path>{"/m/resnet50"}));
  EXPECT_EQ(o.precisions,
            (std::vector<plan::Precision>{plan::Precision::kFloat32, plan::Precision::kFloat16}))
      << "both: fp32 first, then fp16";
  EXPECT_TRUE(o.json.empty());
  EXPECT_FALSE(o.cpu_reference);
  EXPECT_DOUBLE_EQ(o.cpu_reference_max_mb, 2.0);
  EXPECT_TRUE(o.autotune);
  EXPECT_TRUE(o.timing_cache.empty());
  EXPECT_TRUE(o.target_arch.empty());
  EXPECT_EQ(o.runs, 5);
  EXPECT_DOUBLE_EQ(o.fp32_tolerance, 1e-4);
  EXPECT_DOUBLE_EQ(o.fp16_tolerance, 1e-2);
  EXPECT_FALSE(o.verbose);
}

TEST(ModelCheckOptions, TheModelCheckScriptsCommandParses) {
  // scripts/model-check.sh: "$tool" "${dirs[@]}" --precision P --json F --timing-cache T
  const Options o =
      options_of({"/m/resnet50", "/m/vit_b_16", "/m/yolov8n_style", "--precision", "fp16", "--json",
                  "/out/model-check.json", "--timing-cache", "/m/timing.cache", "--cpu-reference"});
  EXPECT_EQ(o.dirs,
            (std::vector<std::filesystem::path>{"/m/resnet50", "/m/vit_b_16", "/m/yolov8n_style"}));
  EXPECT_EQ(o.precisions, std::vector<plan::Precision>{plan::Precision::kFloat16});
  EXPECT_EQ(o.json, "/out/model-check.json");
  EXPECT_EQ(o.timing_cache, "/m/timing.cache");
  EXPECT_TRUE(o.cpu_reference);
  EXPECT_EQ(options_of({"d", "--precision", "fp32"}).precisions,
            std::vector<plan::Precision>{plan::Precision::kFloat32});
}

TEST(ModelCheckOptions, EveryOtherFlagIsRead) {
  const Options o = options_of({"--cpu-reference-max-mb", "7.5", "--no-autotune", "--target-arch",
                                "sm_90", "--runs", "0", "--fp32-tolerance", "2e-5",
                                "--fp16-tolerance", "0.03", "--verbose", "d1", "d2"});
  EXPECT_EQ(o.dirs, (std::vector<std::filesystem::path>{"d1", "d2"}));
  EXPECT_DOUBLE_EQ(o.cpu_reference_max_mb, 7.5);
  EXPECT_FALSE(o.autotune);
  EXPECT_EQ(o.target_arch, "sm_90");
  EXPECT_EQ(o.runs, 0);
  EXPECT_DOUBLE_EQ(o.fp32_tolerance, 2e-5);
  EXPECT_DOUBLE_EQ(o.fp16_tolerance, 0.03);
  EXPECT_TRUE(o.verbose);
}

TEST(ModelCheckOptions, HelpNamesEveryFlagAndExitsZero) {
  const Parsed parsed = parse({"--help"});
  ASSERT_TRUE(std::holds_alternative<int>(parsed.result));
  EXPECT_EQ(std::get<int>(parsed.result), 0);
  for (const char* flag :
       {"DIR", "--precision", "--json", "--cpu-reference", "--cpu-reference-max-mb",
        "--no-autotune", "--target-arch", "--timing-cache", "--runs", "--fp32-tolerance",
        "--fp16-tolerance", "--verbose", "fp32_nodes.txt", "Exit status"}) {
    EXPECT_NE(parsed.out.find(flag), std::string::npos) << "--help lacks " << flag << "\n"
                                                        << parsed.out;
  }
}

struct BadUsage {
  std::vector<std::string> args;
  const char* mentions;
};

TEST(ModelCheckOptions, BadUsageIsExitStatusTwoWithAMessageNamingTheProblem) {
  const std::vector<BadUsage> cases = {
      {{}, "DIR"},
      {{"d", "--bogus"}, "--bogus"},
      {{"d", "--precision", "bf16"}, "bf16"},
      {{"d", "--precision"}, "--precision"},
      {{"d", "--runs", "-1"}, "--runs: must be >= 0"},
      {{"d", "--fp16-tolerance", "tight"}, "--fp16-tolerance"},
      {{"d", "--cpu-reference-max-mb", "big"}, "--cpu-reference-max-mb"},
  };
  for (const BadUsage& c : cases) {
    const Parsed parsed = parse(c.args);
    std::string line;
    for (const std::string& a : c.args) line += a + " ";
    ASSERT_TRUE(std::holds_alternative<int>(parsed.result)) << line;
    EXPECT_EQ(std::get<int>(parsed.result), 2) << line;
    EXPECT_EQ(parsed.err.rfind("trtutils-model-check: ", 0), 0u) << line << "\n" << parsed.err;
    EXPECT_NE(parsed.err.find(c.mentions), std::string::npos) << line << "\n" << parsed.err;
  }
}

TEST(ModelCheckBinary, BadFlagExitsTwoWithoutPrintingTheTable) {
  const auto r = run_tool(TRTUTILS_MODEL_CHECK_BINARY, {"/nonexistent/model", "--bogus"});
  EXPECT_EQ(r.status, 2) << TRTUTILS_TOOL_DUMP(r);
  EXPECT_NE(r.err.find("--bogus"), std::string::npos) << TRTUTILS_TOOL_DUMP(r);
  EXPECT_EQ(r.out.find("model-check:"), std::string::npos) << TRTUTILS_TOOL_DUMP(r);
}

TEST(ModelCheckBinary, HelpExitsZero) {
  const auto r = run_tool(TRTUTILS_MODEL_CHECK_BINARY, {"--help"});
  EXPECT_EQ(r.status, 0) << TRTUTILS_TOOL_DUMP(r);
  EXPECT_NE(r.out.find("--fp16-tolerance"), std::string::npos) << TRTUTILS_TOOL_DUMP(r);
}

}  // namespace
}  // namespace trtutils::tools::model_check
