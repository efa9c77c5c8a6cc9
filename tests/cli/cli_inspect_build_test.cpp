// `trtutils inspect` of ONNX models and engines, and `trtutils build` without
// a GPU (--no-autotune --target-arch sm_90), checked through --json against
// what the model files and the built file are known to hold.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.hpp"
#include "trtutils/tensor/host_tensor.hpp"
#include "trtutils/tensor/npy.hpp"

namespace {

using nlohmann::json;
using trtutils::testing::CliResult;
using trtutils::testing::onnx_node_model;
using trtutils::testing::run_cli;
using trtutils::testing::TempDir;

json parse_json(const CliResult& r) {
  try {
    return json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "stdout is not JSON: " << e.what() << "\n" << TRTUTILS_CLI_DUMP(r);
    return json::object();
  }
}

/// Builds without a GPU into `engine`; returns the result.
CliResult build_no_gpu(const std::filesystem::path& model, const std::filesystem::path& engine,
                       const TempDir& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {
      "build",         model.string(),       "-o",
      engine.string(), "--no-autotune",      "--target-arch",
      "sm_90",         "--kernel-cache-dir", (dir / "kernels").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_cli(args);
}

TEST(CliInspect, OnnxModelJsonDescribesTheGraphAndItsSupport) {
  // test_relu: one Relu, x: f32 [3, 4, 5] -> y: f32 [3, 4, 5], opset 14.
  const auto r = run_cli({"inspect", onnx_node_model("test_relu").string(), "--json"});
  ASSERT_EQ(r.status, 0) << TRTUTILS_CLI_DUMP(r);
  const json j = parse_json(r);
  EXPECT_EQ(j["kind"], "onnx");
  EXPECT_EQ(j["node_count"], 1);
  ASSERT_EQ(j["inputs"].size(), 1u);
  EXPECT_EQ(j["inputs"][0]["name"], "x");
  EXPECT_EQ(j["inputs"][0]["dtype"], "f32");
  EXPECT_EQ(j["inputs"][0]["dims"], json::array({3, 4, 5}));
  ASSERT_EQ(j["outputs"].size(), 1u);
  EXPECT_EQ(j["outputs"][0]["name"], "y");
  EXPECT_EQ(j["opset_imports"][""], 14);
  ASSERT_EQ(j["ops"].size(), 1u);
  EXPECT_EQ(j["ops"][0]["op"], "Relu");
  EXPECT_EQ(j["ops"][0]["count"], 1);
  EXPECT_EQ(j["ops"][0]["cpu_reference"], true);
  EXPECT_EQ(j["ops"][0]["gpu"], true);
  EXPECT_EQ(j["supported"]["gpu"], true);
  EXPECT_EQ(j["import_problems"], "");
}

TEST(CliInspect, OnnxModelTextListsInputsAndOps) {
  const auto r = run_cli({"inspect", onnx_node_model("test_reshape_reordered_all_dims").string()});
  ASSERT_EQ(r.status, 0) << TRTUTILS_CLI_DUMP(r);
  for (const char* text : {"Reshape", "data", "shape", "reshaped", "[2, 3, 4]", "i64"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  }
}

TEST(CliInspect, NotAModelFileFailsWithExit1) {
  TempDir dir;
  {
    std::ofstream junk(dir / "junk.engine");
    junk << "this is not a plan";
  }
  const auto r = run_cli({"inspect", (dir / "junk.engine").string()});
  EXPECT_EQ(r.status, 1) << TRTUTILS_CLI_DUMP(r);
  EXPECT_NE(r.err.find("junk.engine"), std::string::npos) << TRTUTILS_CLI_DUMP(r);
}

TEST(CliBuild, BuildsWithoutAGpuAndPrintsProgressLinesAndASummary) {
  TempDir dir;
  const auto r = build_no_gpu(onnx_node_model("test_relu"), dir / "relu.engine", dir);
  ASSERT_EQ(r.status, 0) << TRTUTILS_CLI_DUMP(r);
  ASSERT_TRUE(std::filesystem::exists(dir / "relu.engine"));
  // stdout is a file here, so the progress bar prints plain lines, no '\r'.
  EXPECT_EQ(r.out.find('\r'), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("build: 100% done"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("lower"), std::string::npos) << r.out;
  for (const char* text : {"layers:", "fusions:", "weights:", "activations:", "build time:",
                           "nvrtc.kernel", "sm_90"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  }
}

TEST(CliBuild, JsonSummaryMatchesTheWrittenEngine) {
  TempDir dir;
  const auto r = build_no_gpu(onnx_node_model("test_relu"), dir / "relu.engine", dir, {"--json"});
  ASSERT_EQ(r.status, 0) << TRTUTILS_CLI_DUMP(r);
  const json j = parse_json(r);  // progress went to stderr
  EXPECT_NE(r.err.find("build: 100% done"), std::string::npos) << r.err;
  EXPECT_EQ(j["engine_bytes"], std::filesystem::file_size(dir / "relu.engine"));
  EXPECT_EQ(j["target_arch"], "sm_90");
  EXPECT_EQ(j["precision"], "fp32");
  EXPECT_GE(j["build_seconds"].get<double>(), 0.0);
  EXPECT_EQ(j["fusions"]["total"], 0);  // a single Relu has nothing to fuse
  // One Relu, f32 in and out: one generated kernel, no weights.
  EXPECT_EQ(j["layer_count"], 1);
  EXPECT_EQ(j["kernels_by_kind"], json({{"nvrtc.kernel", 1}}));
  EXPECT_EQ(j["memory"]["weights_bytes"], 0);
  EXPECT_EQ(j["memory"]["io_bytes"], 2 * 3 * 4 * 5 * 4);
}

TEST(CliBuild, Fp16AddsBoundaryCasts) {
  TempDir dir;
  const auto r = build_no_gpu(onnx_node_model("test_relu"), dir / "relu16.engine", dir,
                              {"--fp16", "--json", "--no-progress"});
  ASSERT_EQ(r.status, 0) << TRTUTILS_CLI_DUMP(r);
  EXPECT_EQ(r.err, "");
  const json j = parse_json(r);
  EXPECT_EQ(j["precision"], "fp16");
  // f32 input cast to f16, Relu in f16, f16 result cast back to the f32 output.
  EXPECT_EQ(j["layer_count"], 3);
  EXPECT_EQ(j["inputs"][0]["dtype"], "f32");
  EXPECT_EQ(j["outputs"][0]["dtype"], "f32");
}

TEST(CliBuild, ShapeInputMustBeFixedAndConstantInputFixesIt) {
  TempDir dir;
  const auto model = onnx_node_model("test_reshape_reordered_all_dims");
  const auto refused = build_no_gpu(model, dir / "reshape.engine", dir);
  EXPECT_EQ(refused.status, 1) << TRTUTILS_CLI_DUMP(refused);
  EXPECT_NE(refused.err.find("shape"), std::string::npos) << TRTUTILS_CLI_DUMP(refused);
  EXPECT_FALSE(std::filesystem::exists(dir / "reshape.engine"));

  trtutils::write_npy(dir / "shape.npy",
                      trtutils::HostTensor::from_values<std::int64_t>({3}, {4, 2, 3}).view());
  const auto built = build_no_gpu(model, dir / "reshape.engine", dir,
                                  {"--constant-input", "shape=" + (dir / "shape.npy").string()});
  ASSERT_EQ(built.status, 0) << TRTUTILS_CLI_DUMP(built);

  const auto r = run_cli({"inspect", (dir / "reshape.engine").string(), "--json"});
  ASSERT_EQ(r.status, 0) << TRTUTILS_CLI_DUMP(r);
  const json j = parse_json(r);
  ASSERT_EQ(j["inputs"].size(), 1u);  // 'shape' is no longer an input
  EXPECT_EQ(j["inputs"][0]["name"], "data");
  EXPECT_EQ(j["outputs"][0]["dims"], json::array({4, 2, 3}));
  EXPECT_EQ(j["builder_options"]["constant_inputs"], "shape");
}

TEST(CliInspect, EngineJsonDescribesHeaderIoLayersAndFile) {
  TempDir dir;
  ASSERT_EQ(build_no_gpu(onnx_node_model("test_relu"), dir / "relu.engine", dir).status, 0);
  const auto r = run_cli({"inspect", (dir / "relu.engine").string(), "--json"});
  ASSERT_EQ(r.status, 0) << TRTUTILS_CLI_DUMP(r);
  const json j = parse_json(r);
  EXPECT_EQ(j["kind"], "engine");
  EXPECT_EQ(j["file_bytes"], std::filesystem::file_size(dir / "relu.engine"));
  EXPECT_EQ(j["format_version"], 2);
  EXPECT_EQ(j["library_version"], TRTUTILS_VERSION_TEXT);
  EXPECT_EQ(j["target_arch"], "sm_90");
  EXPECT_EQ(j["builder_options"]["autotune"], "0");
  ASSERT_EQ(j["inputs"].size(), 1u);
  EXPECT_EQ(j["inputs"][0], json({{"name", "x"}, {"dtype", "f32"}, {"dims", {3, 4, 5}}}));
  EXPECT_EQ(j["outputs"][0], json({{"name", "y"}, {"dtype", "f32"}, {"dims", {3, 4, 5}}}));
  ASSERT_EQ(j["layers"].size(), 1u);
  const json& layer = j["layers"][0];
  EXPECT_EQ(layer["kernel"], "nvrtc.kernel");
  EXPECT_EQ(layer["precision"], "fp32");
  EXPECT_EQ(layer["inputs"], json::array({"x"}));
  EXPECT_EQ(layer["outputs"], json::array({"y"}));
  EXPECT_NE(layer["detail"].get<std::string>().find("grid"), std::string::npos);
  std::vector<std::string> tags;
  for (const json& section : j["sections"]) tags.push_back(section["tag"]);
  EXPECT_EQ(tags, (std::vector<std::string>{"HEAD", "IOSP", "TNSR", "LAYR", "BTCH", "WGHT"}));
  EXPECT_TRUE(j["batch"].is_null());  // a static engine
  EXPECT_TRUE(j["gpu"]["visible"].is_boolean());
  if (!j["gpu"]["visible"].get<bool>()) {
    EXPECT_EQ(j["gpu"]["runnable"], false);
  }
}

TEST(CliBuild, NoRuntimeFusionIsRecordedInTheEngine) {
  // Default builds may pick cuDNN engines that compile at load; --no-runtime-fusion says so in
  // the engine's builder options (and nothing when left on).
  TempDir dir;
  ASSERT_EQ(build_no_gpu(onnx_node_model("test_relu"), dir / "on.engine", dir).status, 0);
  ASSERT_EQ(build_no_gpu(onnx_node_model("test_relu"), dir / "off.engine", dir,
                         {"--no-runtime-fusion"})
                .status,
            0);
  const json on = parse_json(run_cli({"inspect", (dir / "on.engine").string(), "--json"}));
  const json off = parse_json(run_cli({"inspect", (dir / "off.engine").string(), "--json"}));
  EXPECT_FALSE(on["builder_options"].contains("cudnn_runtime_fusion"));
  EXPECT_EQ(off["builder_options"]["cudnn_runtime_fusion"], "off");
}

TEST(CliInspect, EngineTextShowsLayersUnlessAskedNotTo) {
  TempDir dir;
  ASSERT_EQ(build_no_gpu(onnx_node_model("test_relu"), dir / "relu.engine", dir).status, 0);
  const auto r = run_cli({"inspect", (dir / "relu.engine").string()});
  ASSERT_EQ(r.status, 0) << TRTUTILS_CLI_DUMP(r);
  for (const char* text : {"target GPU:", "sm_90", "memory", "layers", "nvrtc.kernel", "x -> y"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  }
  const auto brief = run_cli({"inspect", (dir / "relu.engine").string(), "--no-layers"});
  ASSERT_EQ(brief.status, 0) << TRTUTILS_CLI_DUMP(brief);
  EXPECT_EQ(brief.out.find("x -> y"), std::string::npos) << brief.out;
}

}  // namespace
