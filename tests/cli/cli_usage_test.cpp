// `trtutils` usage: --help for every subcommand, exit status 2 with a message
// for every kind of bad command line. No GPU needed.
#include <gtest/gtest.h>

#include "cli/cli_runner.hpp"

namespace {

using trtutils::testing::onnx_node_model;
using trtutils::testing::run_cli;

TEST(CliUsage, NoSubcommandIsAUsageError) {
  const auto r = run_cli({});
  EXPECT_EQ(r.status, 2) << TRTUTILS_CLI_DUMP(r);
  EXPECT_NE(r.err.find("subcommand"), std::string::npos) << TRTUTILS_CLI_DUMP(r);
}

TEST(CliUsage, TopLevelHelpListsEverySubcommand) {
  const auto r = run_cli({"--help"});
  ASSERT_EQ(r.status, 0) << TRTUTILS_CLI_DUMP(r);
  for (const char* command : {"build", "run", "bench", "inspect", "compare"}) {
    EXPECT_NE(r.out.find(command), std::string::npos) << command << "\n" << r.out;
  }
}

TEST(CliUsage, VersionPrintsTheLibraryVersion) {
  const auto r = run_cli({"--version"});
  ASSERT_EQ(r.status, 0) << TRTUTILS_CLI_DUMP(r);
  EXPECT_NE(r.out.find(TRTUTILS_VERSION_TEXT), std::string::npos) << r.out;
}

struct HelpCase {
  const char* command;
  std::vector<const char*> flags;
};

TEST(CliUsage, EverySubcommandHasHelpNamingItsFlags) {
  const std::vector<HelpCase> cases = {
      {"build",
       {"--output", "--fp16", "--bf16", "--batch", "--timing-cache", "--workspace",
        "--constant-input", "--no-autotune", "--target-arch", "--json"}},
      {"run", {"--input", "--output-dir", "--seed", "--device", "--json"}},
      {"bench", {"--warmup", "--iterations", "--batch", "--cuda-graph", "--json"}},
      {"inspect", {"--json", "--no-layers"}},
      {"compare", {"--input", "--rtol", "--atol", "--json", "--fp16"}},
  };
  for (const HelpCase& c : cases) {
    const auto r = run_cli({c.command, "--help"});
    ASSERT_EQ(r.status, 0) << c.command << "\n" << TRTUTILS_CLI_DUMP(r);
    EXPECT_NE(r.out.find(std::string("Usage: trtutils ") + c.command), std::string::npos) << r.out;
    for (const char* flag : c.flags) {
      EXPECT_NE(r.out.find(flag), std::string::npos) << c.command << " --help lacks " << flag;
    }
  }
}

TEST(CliUsage, UnknownSubcommandIsAUsageError) {
  const auto r = run_cli({"frobnicate"});
  EXPECT_EQ(r.status, 2) << TRTUTILS_CLI_DUMP(r);
  EXPECT_NE(r.err.find("frobnicate"), std::string::npos) << TRTUTILS_CLI_DUMP(r);
}

TEST(CliUsage, UnknownFlagIsAUsageErrorNamingIt) {
  const auto r = run_cli({"inspect", "--bogus", onnx_node_model("test_relu").string()});
  EXPECT_EQ(r.status, 2) << TRTUTILS_CLI_DUMP(r);
  EXPECT_NE(r.err.find("--bogus"), std::string::npos) << TRTUTILS_CLI_DUMP(r);
}

TEST(CliUsage, MissingModelIsAUsageError) {
  for (const char* command : {"build", "run", "bench", "inspect", "compare"}) {
    const auto r = run_cli({command});
    EXPECT_EQ(r.status, 2) << command << "\n" << TRTUTILS_CLI_DUMP(r);
    EXPECT_NE(r.err.find("MODEL is required"), std::string::npos) << TRTUTILS_CLI_DUMP(r);
  }
}

TEST(CliUsage, NonexistentModelFileIsAUsageError) {
  const auto r = run_cli({"inspect", "/nonexistent/model.engine"});
  EXPECT_EQ(r.status, 2) << TRTUTILS_CLI_DUMP(r);
  EXPECT_NE(r.err.find("/nonexistent/model.engine"), std::string::npos) << TRTUTILS_CLI_DUMP(r);
}

TEST(CliUsage, Fp16AndBf16ExcludeEachOther) {
  const auto r = run_cli({"build", onnx_node_model("test_relu").string(), "--fp16", "--bf16"});
  EXPECT_EQ(r.status, 2) << TRTUTILS_CLI_DUMP(r);
  EXPECT_NE(r.err.find("excludes"), std::string::npos) << TRTUTILS_CLI_DUMP(r);
}

TEST(CliUsage, MalformedBatchProfilesAreUsageErrors) {
  for (const char* batch : {"0", "x", "1:2", "3:2:1", "1::4", "-1"}) {
    const auto r = run_cli({"build", onnx_node_model("test_relu").string(), "--no-autotune",
                            "--target-arch", "sm_90", "--batch", batch});
    EXPECT_EQ(r.status, 2) << batch << "\n" << TRTUTILS_CLI_DUMP(r);
    EXPECT_NE(r.err.find("--batch"), std::string::npos) << TRTUTILS_CLI_DUMP(r);
  }
}

TEST(CliUsage, MalformedNamedInputsAreUsageErrors) {
  const std::string model = onnx_node_model("test_relu").string();
  for (const char* pair : {"x", "=x.npy", "x="}) {
    const auto r = run_cli({"run", model, "--input", pair});
    EXPECT_EQ(r.status, 2) << pair << "\n" << TRTUTILS_CLI_DUMP(r);
    EXPECT_NE(r.err.find("NAME=FILE.npy"), std::string::npos) << TRTUTILS_CLI_DUMP(r);
  }
  const auto constant = run_cli({"build", model, "--constant-input", "shape"});
  EXPECT_EQ(constant.status, 2) << TRTUTILS_CLI_DUMP(constant);
  EXPECT_NE(constant.err.find("--constant-input"), std::string::npos)
      << TRTUTILS_CLI_DUMP(constant);
}

TEST(CliUsage, OutOfRangeNumbersAreUsageErrors) {
  const std::string model = onnx_node_model("test_relu").string();
  const auto iterations = run_cli({"bench", model, "--iterations", "0"});
  EXPECT_EQ(iterations.status, 2) << TRTUTILS_CLI_DUMP(iterations);
  const auto rtol = run_cli({"compare", model, "--rtol", "-1"});
  EXPECT_EQ(rtol.status, 2) << TRTUTILS_CLI_DUMP(rtol);
  const auto warmup = run_cli({"bench", model, "--warmup", "many"});
  EXPECT_EQ(warmup.status, 2) << TRTUTILS_CLI_DUMP(warmup);
}

TEST(CliUsage, CompareWantsTheOnnxModelFirst) {
  const std::string model = onnx_node_model("test_relu").string();
  const auto r = run_cli({"compare", "/etc/hostname"});
  EXPECT_EQ(r.status, 2) << TRTUTILS_CLI_DUMP(r);
  EXPECT_NE(r.err.find(".onnx"), std::string::npos) << TRTUTILS_CLI_DUMP(r);
  const auto two_models = run_cli({"compare", model, model});
  EXPECT_EQ(two_models.status, 2) << TRTUTILS_CLI_DUMP(two_models);
}

}  // namespace
