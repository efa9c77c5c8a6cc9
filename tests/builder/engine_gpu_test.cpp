// GPU: a tiny CNN (Conv -> Relu -> GlobalAveragePool -> Flatten -> Gemm) built
// with the real op lowerings and run through TRTEngine, against the CPU
// reference; and the plan written, read back in a fresh process (this binary
// re-run with an environment variable) giving identical outputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <unistd.h>

#include "builder/tiny_models.hpp"
#include "gpu_test_support.hpp"
#include "trtutils/builder/builder.hpp"
#include "trtutils/ops/reference_executor.hpp"
#include "trtutils/passes/passes.hpp"
#include "trtutils/plan/plan_reader.hpp"
#include "trtutils/plan/plan_writer.hpp"
#include "trtutils/runtime/trt_engine.hpp"
#include "trtutils/tensor/npy.hpp"

namespace trtutils::builder {
namespace {

using test_models::ramp;

ir::Graph tiny_cnn() { return test_models::conv_relu_gemm(2); }

void expect_close(const HostTensor& got, const HostTensor& want, double rtol) {
  ASSERT_EQ(got.shape(), want.shape());
  ASSERT_EQ(got.dtype(), want.dtype());
  for (std::size_t i = 0; i < want.values<float>().size(); ++i) {
    const double w = want.values<float>()[i];
    EXPECT_NEAR(got.values<float>()[i], w, rtol * (1e-2 + std::fabs(w))) << "element " << i;
  }
}

HostTensor reference_output(const HostTensor& image) {
  const ir::Graph g = [] {
    ir::Graph graph = tiny_cnn();
    passes::infer_shapes(graph);
    return graph;
  }();
  return ops::ReferenceExecutor(g).run({{"image", image}}).at("Gemm_out");
}

TEST(EngineGpu, TinyCnnMatchesTheCpuReference) {
  TRTUTILS_REQUIRE_GPU();
  const HostTensor image = ramp({2, 3, 8, 8}, 1.0f, 0.0f);
  runtime::TRTEngine engine(build(tiny_cnn()));
  const std::vector<HostTensor> out = engine.execute({image});
  ASSERT_EQ(out.size(), 1u);
  expect_close(out[0], reference_output(image), 1e-3);
}

TEST(EngineGpu, Fp16EngineIsClose) {
  TRTUTILS_REQUIRE_GPU();
  BuildOptions o;
  o.precision = plan::Precision::kFloat16;
  const HostTensor image = ramp({2, 3, 8, 8}, 1.0f, 0.0f);
  runtime::TRTEngine engine(build(tiny_cnn(), o));
  expect_close(engine.execute({image}).at(0), reference_output(image), 2e-2);
}

double max_relative_error(const HostTensor& got, const HostTensor& want) {
  double worst = 0.0;
  for (std::size_t i = 0; i < want.values<float>().size(); ++i) {
    const double w = want.values<float>()[i];
    worst = std::max(worst, std::fabs(got.values<float>()[i] - w) / (1e-2 + std::fabs(w)));
  }
  return worst;
}

TEST(EngineGpu, Fp32NodesInAnFp16BuildMatchTheReferenceMoreClosely) {
  TRTUTILS_REQUIRE_GPU();
  const HostTensor image = ramp({2, 3, 8, 8}, 1.0f, 0.0f);
  const HostTensor want = reference_output(image);
  BuildOptions o;
  o.precision = plan::Precision::kFloat16;
  const double pure = max_relative_error(runtime::TRTEngine(build(tiny_cnn(), o)).execute({image}).at(0), want);
  o.fp32_nodes = {"."};  // every node: an fp16 build computing all in f32
  const plan::Plan all_f32 = build(tiny_cnn(), o);
  for (const plan::LayerDesc& layer : all_f32.layers) {
    EXPECT_EQ(layer.precision, plan::Precision::kFloat32) << layer.name;
  }
  const double pinned = max_relative_error(runtime::TRTEngine(plan::Plan(all_f32)).execute({image}).at(0), want);
  EXPECT_LT(pinned, 1e-4);   // f32 arithmetic throughout
  EXPECT_GT(pure, 1e-4);     // while the pure fp16 build rounds
  o.fp32_nodes = {"^Conv$"};  // only the convolution: casts on both sides of it
  const double conv_only = max_relative_error(runtime::TRTEngine(build(tiny_cnn(), o)).execute({image}).at(0), want);
  EXPECT_LT(conv_only, 2e-2);
}

// Child side of the round trip: runs only when the parent sets the variables.
TEST(EngineGpu, RoundTripChild) {
  const char* plan_path = std::getenv("TRTUTILS_BUILDER_ROUNDTRIP_PLAN");
  const char* out_path = std::getenv("TRTUTILS_BUILDER_ROUNDTRIP_OUT");
  if (!plan_path || !out_path) GTEST_SKIP() << "run by EngineGpu.WrittenPlanGivesIdenticalOutputsInAFreshProcess";
  runtime::TRTEngine engine{std::filesystem::path(plan_path)};
  write_npy(out_path, engine.execute({ramp({2, 3, 8, 8}, 1.0f, 0.0f)}).at(0).view());
}

TEST(EngineGpu, WrittenPlanGivesIdenticalOutputsInAFreshProcess) {
  TRTUTILS_REQUIRE_GPU();
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("trtutils_builder_roundtrip_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const plan::Plan p = build(tiny_cnn());
  plan::write_plan(dir / "tiny.engine", p);
  runtime::TRTEngine engine{plan::Plan(p)};
  const HostTensor here = engine.execute({ramp({2, 3, 8, 8}, 1.0f, 0.0f)}).at(0);
  const std::string command = "TRTUTILS_BUILDER_ROUNDTRIP_PLAN='" + (dir / "tiny.engine").string() +
                              "' TRTUTILS_BUILDER_ROUNDTRIP_OUT='" + (dir / "out.npy").string() +
                              "' " + std::filesystem::read_symlink("/proc/self/exe").string() +
                              " --gtest_filter=EngineGpu.RoundTripChild > /dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0);
  const HostTensor there = read_npy(dir / "out.npy");
  ASSERT_EQ(there.shape(), here.shape());
  for (std::size_t i = 0; i < here.values<float>().size(); ++i) {
    EXPECT_EQ(there.values<float>()[i], here.values<float>()[i]) << "element " << i;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trtutils::builder
