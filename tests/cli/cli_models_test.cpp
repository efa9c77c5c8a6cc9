// `trtutils build` and `inspect` on generated models: fusions counted in the
// build summary, and unsupported ops reported by inspect (no GPU needed).
#include "cli/cli_models.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_runner.hpp"

namespace {

using nlohmann::json;
using trtutils::testing::run_cli;
using trtutils::testing::TempDir;

json build_json(const TempDir& dir, const std::filesystem::path& model,
                std::vector<std::string> extra) {
  std::vector<std::string> args = {"build",
                                   model.string(),
                                   "-o",
                                   (dir / "model.engine").string(),
                                   "--no-autotune",
                                   "--target-arch",
                                   "sm_90",
                                   "--kernel-cache-dir",
                                   (dir / "kernels").string(),
                                   "--json",
                                   "--no-progress"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = run_cli(args);
  EXPECT_EQ(r.status, 0) << TRTUTILS_CLI_DUMP(r);
  return r.status == 0 ? json::parse(r.out) : json::object();
}

TEST(CliModels, BuildSummaryCountsTheElementwiseChainItFused) {
  TempDir dir;
  trtutils::testing::write_add_relu_model(dir / "add_relu.onnx");
  const json fused = build_json(dir, dir / "add_relu.onnx", {});
  ASSERT_TRUE(fused.contains("fusions")) << fused.dump(2);
  EXPECT_EQ(fused["fusions"]["elementwise_chains"], 1);  // Add + Relu
  EXPECT_EQ(fused["fusions"]["batchnorm_folds"], 0);
  EXPECT_EQ(fused["fusions"]["epilogues"], 0);
  EXPECT_EQ(fused["fusions"]["residuals"], 0);
  EXPECT_EQ(fused["layout"]["convolutions_nhwc"], 0);  // no convolution, fp32
  EXPECT_EQ(fused["layer_count"], 1);          // one generated kernel
  EXPECT_EQ(fused["memory"]["constants"], 1);  // c

  const json unfused = build_json(dir, dir / "add_relu.onnx", {"--no-fuse"});
  EXPECT_EQ(unfused["fusions"]["total"], 0);
  EXPECT_EQ(unfused["layer_count"], 2);  // Add, then Relu
  EXPECT_EQ(unfused["builder_options"]["fuse"], "0");
}

TEST(CliModels, BatchRangeBuildsBucketsThatBuildAndInspectReport) {
  TempDir dir;
  trtutils::testing::write_dynamic_add_relu_model(dir / "dynamic.onnx");
  const json built = build_json(dir, dir / "dynamic.onnx", {"--batch", "1:4:16"});
  ASSERT_TRUE(built.contains("batch")) << built.dump(2);
  EXPECT_EQ(built["batch"]["min"], 1);
  EXPECT_EQ(built["batch"]["opt"], 4);
  EXPECT_EQ(built["batch"]["max"], 16);
  ASSERT_EQ(built["batch"]["buckets"].size(), 5u);
  EXPECT_EQ(built["batch"]["buckets"][4]["batch"], 16);
  EXPECT_EQ(built["inputs"][0]["dims"], json::array({-1, 8}));
  EXPECT_EQ(built["builder_options"]["batch"], "1/4/16 (buckets 1,2,4,8,16)");
  EXPECT_EQ(built["memory"]["constants"], 1);  // c, shared by the five buckets

  const auto text = run_cli({"inspect", (dir / "model.engine").string()});
  ASSERT_EQ(text.status, 0) << TRTUTILS_CLI_DUMP(text);
  EXPECT_NE(text.out.find("1..16 (opt 4), buckets 1, 2, 4, 8, 16"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("batch buckets"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("[?,8]"), std::string::npos) << text.out;

  const json fixed = build_json(dir, dir / "dynamic.onnx", {"--batch", "3"});
  EXPECT_TRUE(fixed["batch"].is_null());
  EXPECT_EQ(fixed["inputs"][0]["dims"], json::array({3, 8}));
}

TEST(CliModels, InspectReportsAnOpNobodyImplements) {
  TempDir dir;
  trtutils::testing::write_unknown_op_model(dir / "unknown.onnx");
  const auto r = run_cli({"inspect", (dir / "unknown.onnx").string(), "--json"});
  ASSERT_EQ(r.status, 0) << TRTUTILS_CLI_DUMP(r);
  const json j = json::parse(r.out);
  EXPECT_EQ(j["supported"]["gpu"], false);
  EXPECT_EQ(j["supported"]["cpu_reference"], false);
  ASSERT_EQ(j["ops"].size(), 1u);
  EXPECT_EQ(j["ops"][0]["op"], "com.example::Frobnicate");
  EXPECT_EQ(j["ops"][0]["gpu"], false);
  EXPECT_NE(j["import_problems"].get<std::string>().find("Frobnicate"), std::string::npos);

  const auto text = run_cli({"inspect", (dir / "unknown.onnx").string()});
  ASSERT_EQ(text.status, 0) << TRTUTILS_CLI_DUMP(text);
  EXPECT_NE(text.out.find("NOT fully supported"), std::string::npos) << text.out;
}

TEST(CliModels, BuildingAnUnsupportedModelFailsWithExit1) {
  TempDir dir;
  trtutils::testing::write_unknown_op_model(dir / "unknown.onnx");
  const auto r =
      run_cli({"build", (dir / "unknown.onnx").string(), "-o", (dir / "unknown.engine").string(),
               "--no-autotune", "--target-arch", "sm_90", "--no-progress"});
  EXPECT_EQ(r.status, 1) << TRTUTILS_CLI_DUMP(r);
  EXPECT_NE(r.err.find("Frobnicate"), std::string::npos) << TRTUTILS_CLI_DUMP(r);
  EXPECT_FALSE(std::filesystem::exists(dir / "unknown.engine"));
}

}  // namespace
