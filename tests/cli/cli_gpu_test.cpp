// `trtutils run`, `bench` and `compare`: without a GPU they refuse with exit 1
// and a message, before any CUDA work; with one (scripts/gpu-check.sh) they
// build, run and check an ONNX backend node model end to end.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/cli_models.hpp"
#include "cli/cli_runner.hpp"
#include "gpu_test_support.hpp"
#include "trtutils/tensor/host_tensor.hpp"
#include "trtutils/tensor/npy.hpp"

namespace {

using nlohmann::json;
using trtutils::HostTensor;
using trtutils::testing::onnx_node_model;
using trtutils::testing::run_cli;
using trtutils::testing::TempDir;

bool has_gpu() { return trtutils::testing::gpu_unavailable_reason().empty(); }

/// An engine of test_relu built without a GPU (valid on both machines).
std::filesystem::path relu_engine(const TempDir& dir, const std::string& arch = "sm_90") {
  const auto engine = dir / ("relu_" + arch + ".engine");
  const auto r = run_cli({"build", onnx_node_model("test_relu").string(), "-o", engine.string(),
                          "--no-autotune", "--target-arch", arch, "--kernel-cache-dir",
                          (dir / "kernels").string(), "--no-progress"});
  EXPECT_EQ(r.status, 0) << TRTUTILS_CLI_DUMP(r);
  return engine;
}

TEST(CliNoGpu, RunBenchCompareAndAutotunedBuildRefuseCleanly) {
  if (has_gpu()) GTEST_SKIP() << "a GPU is visible: this checks the refusal without one";
  TempDir dir;
  const std::string model = onnx_node_model("test_relu").string();
  const std::string engine = relu_engine(dir).string();
  const std::vector<std::vector<std::string>> commands = {
      {"run", engine, "--output-dir", (dir / "out").string()},
      {"bench", engine, "--iterations", "5"},
      {"bench", model},
      {"compare", model, engine},
      {"compare", model},
      {"build", model, "-o", (dir / "autotuned.engine").string()},
  };
  for (const auto& command : commands) {
    const auto r = run_cli(command);
    EXPECT_EQ(r.status, 1) << command[0] << "\n" << TRTUTILS_CLI_DUMP(r);
    EXPECT_NE(r.err.find("no CUDA device is visible"), std::string::npos) << TRTUTILS_CLI_DUMP(r);
    EXPECT_EQ(r.out, "") << command[0] << " printed before refusing";
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
  EXPECT_FALSE(std::filesystem::exists(dir / "autotuned.engine"));
}

/// x in [-1, 1) so that Relu has work to do, written as x.npy.
HostTensor write_relu_input(const TempDir& dir) {
  std::vector<float> values(60);
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = -1.0f + static_cast<float>(i) / 30.0f;
  }
  HostTensor x = HostTensor::from_values<float>({3, 4, 5}, values);
  trtutils::write_npy(dir / "x.npy", x.view());
  return x;
}

TEST(CliGpu, BuildRunWritesReluOfTheInput) {
  TRTUTILS_REQUIRE_GPU();
  TempDir dir;
  const HostTensor x = write_relu_input(dir);
  const auto engine = dir / "relu.engine";
  const auto built = run_cli(
      {"build", onnx_node_model("test_relu").string(), "-o", engine.string(), "--no-progress"});
  ASSERT_EQ(built.status, 0) << TRTUTILS_CLI_DUMP(built);
  const auto r = run_cli({"run", engine.string(), "--input", "x=" + (dir / "x.npy").string(),
                          "--output-dir", (dir / "out").string(), "--json"});
  ASSERT_EQ(r.status, 0) << TRTUTILS_CLI_DUMP(r);
  const json j = json::parse(r.out);
  EXPECT_EQ(j["inputs"][0]["source"], "file");
  const HostTensor y = trtutils::read_npy(dir / "out" / "y.npy");
  ASSERT_EQ(y.shape(), x.shape());
  const auto xs = x.values<float>();
  const auto ys = y.values<float>();
  for (std::size_t i = 0; i < xs.size(); ++i) EXPECT_EQ(ys[i], std::max(xs[i], 0.0f)) << i;
  EXPECT_EQ(j["outputs"][0]["max"].get<double>(),
            static_cast<double>(*std::max_element(xs.begin(), xs.end())));
}

TEST(CliGpu, RunWithoutInputsUsesRandomOnes) {
  TRTUTILS_REQUIRE_GPU();
  TempDir dir;
  const auto r = run_cli({"run", onnx_node_model("test_relu").string(), "--quiet", "--json",
                          "--save-inputs", "--output-dir", (dir / "out").string()});
  ASSERT_EQ(r.status, 0) << TRTUTILS_CLI_DUMP(r);
  EXPECT_EQ(json::parse(r.out)["inputs"][0]["source"], "random");
  const HostTensor x = trtutils::read_npy(dir / "out" / "input_x.npy");
  const HostTensor y = trtutils::read_npy(dir / "out" / "y.npy");
  // Random floats lie in [0, 1): Relu is the identity on them.
  EXPECT_TRUE(
      std::equal(x.values<float>().begin(), x.values<float>().end(), y.values<float>().begin()));
}

TEST(CliGpu, CompareAgreesWithinToleranceAndFailsWhenTooStrict) {
  TRTUTILS_REQUIRE_GPU();
  TempDir dir;
  write_relu_input(dir);
  const std::string model = onnx_node_model("test_relu").string();
  const auto ok =
      run_cli({"compare", model, "--input", "x=" + (dir / "x.npy").string(), "--json", "--quiet"});
  ASSERT_EQ(ok.status, 0) << TRTUTILS_CLI_DUMP(ok);
  const json j = json::parse(ok.out);
  EXPECT_EQ(j["passed"], true);
  EXPECT_EQ(j["outputs"][0]["max_abs_error"], 0.0);  // Relu is exact in fp32
  // fp16 storage rounds x = -1 + i/30: not exact, so zero tolerance fails.
  const auto strict =
      run_cli({"compare", model, "--fp16", "--input", "x=" + (dir / "x.npy").string(), "--rtol",
               "0", "--atol", "0", "--quiet"});
  EXPECT_EQ(strict.status, 1) << TRTUTILS_CLI_DUMP(strict);
  EXPECT_NE(strict.out.find("FAIL"), std::string::npos) << strict.out;
}

TEST(CliGpu, CompareAFusedChainBuiltAndSavedFirst) {
  TRTUTILS_REQUIRE_GPU();
  TempDir dir;
  trtutils::testing::write_add_relu_model(dir / "add_relu.onnx");
  const auto built = run_cli({"build", (dir / "add_relu.onnx").string(), "-o",
                              (dir / "add_relu.engine").string(), "--no-progress"});
  ASSERT_EQ(built.status, 0) << TRTUTILS_CLI_DUMP(built);
  const auto r = run_cli(
      {"compare", (dir / "add_relu.onnx").string(), (dir / "add_relu.engine").string(), "--json"});
  ASSERT_EQ(r.status, 0) << TRTUTILS_CLI_DUMP(r);
  const json j = json::parse(r.out);
  EXPECT_EQ(j["passed"], true);
  EXPECT_EQ(j["inputs"][0]["source"], "random");
  EXPECT_LE(j["outputs"][0]["max_abs_error"].get<double>(), 1e-6);  // one f32 add, one max
}

TEST(CliGpu, BenchReportsOrderedLatencyStatistics) {
  TRTUTILS_REQUIRE_GPU();
  TempDir dir;
  for (const bool graph : {false, true}) {
    std::vector<std::string> args = {"bench",        onnx_node_model("test_relu").string(),
                                     "--warmup",     "3",
                                     "--iterations", "20",
                                     "--json",       "--quiet"};
    if (graph) args.push_back("--cuda-graph");
    const auto r = run_cli(args);
    ASSERT_EQ(r.status, 0) << TRTUTILS_CLI_DUMP(r);
    const json j = json::parse(r.out);
    EXPECT_EQ(j["iterations"], 20);
    EXPECT_EQ(j["cuda_graph"], graph);
    if (graph) {
      EXPECT_GE(j["graph_captures"].get<int>(), 1);
    }
    const json& l = j["latency_ms"];
    EXPECT_LE(l["min"].get<double>(), l["median"].get<double>());
    EXPECT_LE(l["median"].get<double>(), l["p90"].get<double>());
    EXPECT_LE(l["p90"].get<double>(), l["p99"].get<double>());
    EXPECT_LE(l["p99"].get<double>(), l["max"].get<double>());
    EXPECT_GT(j["gpu_ms"]["mean"].get<double>(), 0.0);
    EXPECT_LE(j["gpu_ms"]["min"].get<double>(), l["max"].get<double>());
    EXPECT_GT(j["throughput"]["items_per_second"].get<double>(), 0.0);
    EXPECT_EQ(j["batch"], 3);  // x is [3, 4, 5]
  }
}

TEST(CliGpu, ADynamicBatchEngineRunsAndBenchesAnyBatchInItsRange) {
  TRTUTILS_REQUIRE_GPU();
  TempDir dir;
  trtutils::testing::write_dynamic_add_relu_model(dir / "dynamic.onnx");
  const auto engine = dir / "dynamic.engine";
  const auto built = run_cli({"build", (dir / "dynamic.onnx").string(), "-o", engine.string(),
                              "--batch", "1:4:16", "--no-progress"});
  ASSERT_EQ(built.status, 0) << TRTUTILS_CLI_DUMP(built);

  // run: an input of batch 3 (between the buckets 2 and 4) gives y of batch 3.
  HostTensor x(trtutils::Shape{3, 8}, trtutils::DType::kFloat32);
  for (std::size_t i = 0; i < 24; ++i) x.values<float>()[i] = static_cast<float>(i % 7) - 3.0f;
  trtutils::write_npy(dir / "x.npy", x.view());
  const auto r = run_cli({"run", engine.string(), "--input", "x=" + (dir / "x.npy").string(),
                          "--output-dir", (dir / "out").string(), "--json"});
  ASSERT_EQ(r.status, 0) << TRTUTILS_CLI_DUMP(r);
  const HostTensor y = trtutils::read_npy(dir / "out" / "y.npy");
  ASSERT_EQ(y.shape(), (trtutils::Shape{3, 8}));
  for (std::size_t i = 0; i < 24; ++i) {
    const float c = 0.5f * static_cast<float>(static_cast<int>(i % 8) - 4);
    EXPECT_EQ(y.values<float>()[i], std::max(x.values<float>()[i] + c, 0.0f)) << i;
  }

  for (const bool graph : {false, true}) {
    std::vector<std::string> args = {"bench", engine.string(), "--batch", "5",      "--warmup",
                                     "2",     "--iterations",  "5",       "--json", "--quiet"};
    if (graph) args.push_back("--cuda-graph");
    const auto b = run_cli(args);
    ASSERT_EQ(b.status, 0) << TRTUTILS_CLI_DUMP(b);
    EXPECT_EQ(json::parse(b.out)["batch"], 5);
  }
  const auto opt = run_cli({"bench", engine.string(), "--iterations", "3", "--json", "--quiet"});
  ASSERT_EQ(opt.status, 0) << TRTUTILS_CLI_DUMP(opt);
  EXPECT_EQ(json::parse(opt.out)["batch"], 4);
  const auto above = run_cli({"bench", engine.string(), "--batch", "17", "--quiet"});
  EXPECT_EQ(above.status, 1) << TRTUTILS_CLI_DUMP(above);
  EXPECT_NE(above.err.find("batch 17 is outside the engine's range 1..16"), std::string::npos)
      << TRTUTILS_CLI_DUMP(above);
}

TEST(CliGpu, BenchRefusesAnEngineOfAnotherBatch) {
  TRTUTILS_REQUIRE_GPU();
  TempDir dir;
  const auto built = run_cli({"build", onnx_node_model("test_relu").string(), "-o",
                              (dir / "relu.engine").string(), "--no-progress"});
  ASSERT_EQ(built.status, 0) << TRTUTILS_CLI_DUMP(built);
  const auto r = run_cli({"bench", (dir / "relu.engine").string(), "--batch", "8", "--quiet"});
  EXPECT_EQ(r.status, 1) << TRTUTILS_CLI_DUMP(r);
  EXPECT_NE(r.err.find("built for batch 3"), std::string::npos) << TRTUTILS_CLI_DUMP(r);
}

}  // namespace
