// The runtime on the GPU, with plans built by hand (runtime_test_plans.hpp)
// and outputs checked against values computed on the CPU.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <thread>

#include "gpu_test_support.hpp"
#include "runtime_test_plans.hpp"
#include "trtutils/core/cuda_graph.hpp"
#include "trtutils/core/device.hpp"
#include "trtutils/core/kernel.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/gpu/cublaslt_handle.hpp"
#include "trtutils/gpu/matmul_plan.hpp"
#include "trtutils/plan/plan_writer.hpp"
#include "trtutils/runtime/create_engine.hpp"
#include "trtutils/runtime/engine.hpp"
#include "trtutils/runtime/execution_context.hpp"
#include "trtutils/runtime/library_layer_params.hpp"
#include "trtutils/runtime/trt_engine.hpp"

namespace trtutils::runtime {
namespace {

using testing::chain_expected;
using testing::chain_plan;
using testing::kChainLength;

std::vector<float> chain_input(float offset = 0.0f) {
  std::vector<float> x(kChainLength);
  for (std::int64_t i = 0; i < kChainLength; ++i) {
    x[i] = std::sin(0.01f * static_cast<float>(i)) * 10.0f + offset;
  }
  return x;
}

std::vector<float> to_vector(const HostTensor& tensor) {
  const auto values = tensor.values<float>();
  return {values.begin(), values.end()};
}

std::vector<float> download(const void* device, std::size_t count) {
  std::vector<float> host(count);
  core::memcpy_device_to_host(host.data(), device, count * sizeof(float));
  return host;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

TEST(EngineGpu, ChainOfKernelCopyKernelMatchesCpu) {
  TRTUTILS_REQUIRE_GPU();
  const auto engine = Engine::from_plan(chain_plan(core::current_device_arch()));
  EXPECT_EQ(engine->memory().weights_bytes, kChainLength * sizeof(float));
  EXPECT_EQ(engine->memory().arena_bytes, 8192U);
  ASSERT_EQ(engine->layers().size(), 3U);
  EXPECT_EQ(engine->layers()[1].kernel, "copy");
  EXPECT_EQ(engine->layers()[0].inputs, (std::vector<std::string>{"x", "bias"}));
  auto context = engine->create_execution_context();
  const std::vector<float> x = chain_input();
  core::DeviceBuffer in(x.size() * sizeof(float));
  core::DeviceBuffer out(x.size() * sizeof(float));
  core::memcpy_host_to_device(in.data(), x.data(), in.size());
  core::Stream stream;
  context->enqueue(stream, {in.data(), out.data()});
  stream.synchronize();
  EXPECT_EQ(download(out.data(), x.size()), chain_expected(x));
  // The map form binds by name.
  core::memset_device(out, 0);
  context->enqueue(stream, std::map<std::string, void*>{{"x", in.data()}, {"y", out.data()}});
  stream.synchronize();
  EXPECT_EQ(download(out.data(), x.size()), chain_expected(x));
}

TEST(EngineGpu, EnqueueRefusesWrongPointerCountAndNull) {
  TRTUTILS_REQUIRE_GPU();
  auto context =
      Engine::from_plan(chain_plan(core::current_device_arch()))->create_execution_context();
  core::DeviceBuffer buffer(kChainLength * sizeof(float));
  core::Stream stream;
  EXPECT_NE(error_of([&] {
              context->enqueue(stream, {buffer.data()});
            }).find("takes 1 inputs and 1 outputs (2 device pointers, inputs first), got 1"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              context->enqueue(stream, {buffer.data(), nullptr});
            }).find("output 'y' is bound to a null pointer"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              context->enqueue(stream, std::map<std::string, void*>{{"x", buffer.data()}});
            }).find("output 'y' is not bound"),
            std::string::npos);
}

TEST(EngineGpu, TrtEngineExecuteRoundTrip) {
  TRTUTILS_REQUIRE_GPU();
  TRTEngine engine(chain_plan(core::current_device_arch()), {.warmup_iterations = 3});
  EXPECT_EQ(engine.input_names(), (std::vector<std::string>{"x"}));
  EXPECT_EQ(engine.output_names(), (std::vector<std::string>{"y"}));
  EXPECT_EQ(engine.input_shapes(), (std::vector<Shape>{{kChainLength}}));
  EXPECT_EQ(engine.output_dtypes(), (std::vector<DType>{DType::kFloat32}));
  const std::vector<float> x = chain_input(1.0f);
  const auto outputs = engine.execute({HostTensor::from_values<float>({kChainLength}, x)});
  ASSERT_EQ(outputs.size(), 1U);
  EXPECT_EQ(outputs[0].shape(), (Shape{kChainLength}));
  EXPECT_EQ(to_vector(outputs[0]), chain_expected(x));
}

TEST(EngineGpu, TrtEngineRefusesWrongInputsNamingThem) {
  TRTUTILS_REQUIRE_GPU();
  TRTEngine engine(chain_plan(core::current_device_arch()));
  const HostTensor good({kChainLength}, DType::kFloat32);
  EXPECT_NE(error_of([&] {
              (void)engine.execute({good, good});
            }).find("the engine takes 1 input (x), got 2"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              (void)engine.execute({HostTensor({10}, DType::kFloat32)});
            }).find("input 'x': expected shape [1000], got [10]"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              (void)engine.execute({HostTensor({kChainLength}, DType::kFloat64)});
            }).find("expected dtype f32, got f64; cast it first"),
            std::string::npos);
}

TEST(EngineGpu, DirectExecOnDevicePointers) {
  TRTUTILS_REQUIRE_GPU();
  TRTEngine engine(chain_plan(core::current_device_arch()));
  const std::vector<float> x = chain_input(-2.0f);
  core::DeviceBuffer in(x.size() * sizeof(float));
  core::memcpy_host_to_device(in.data(), x.data(), in.size());
  const void* inputs[] = {in.data()};
  const std::vector<void*> outputs = engine.direct_exec(inputs);
  engine.stream().synchronize();
  ASSERT_EQ(outputs.size(), 1U);
  EXPECT_EQ(download(outputs[0], x.size()), chain_expected(x));
  core::DeviceBuffer mine(x.size() * sizeof(float));
  void* my_outputs[] = {mine.data()};
  engine.direct_exec(inputs, my_outputs);
  engine.stream().synchronize();
  EXPECT_EQ(download(mine.data(), x.size()), chain_expected(x));
}

TEST(EngineGpu, CudaGraphReplaysIdenticallyAndCapturesOncePerPointerSet) {
  TRTUTILS_REQUIRE_GPU();
  TRTEngine plain(chain_plan(core::current_device_arch()));
  TRTEngine graphed(chain_plan(core::current_device_arch()), {.use_cuda_graph = true});
  for (int run = 0; run < 5; ++run) {
    const std::vector<float> x = chain_input(static_cast<float>(run));
    const std::vector<HostTensor> inputs = {HostTensor::from_values<float>({kChainLength}, x)};
    const auto expected = plain.execute(inputs);
    const auto got = graphed.execute(inputs);
    EXPECT_EQ(to_vector(got[0]), to_vector(expected[0])) << run;
    EXPECT_EQ(to_vector(got[0]), chain_expected(x)) << run;
  }
  EXPECT_EQ(graphed.context().graph_capture_count(), 1U);
  EXPECT_EQ(plain.context().graph_capture_count(), 0U);
  // New output pointers: recorded again, and the result lands in them.
  const std::vector<float> x = chain_input(7.0f);
  core::DeviceBuffer in(x.size() * sizeof(float));
  core::DeviceBuffer out(x.size() * sizeof(float));
  core::memcpy_host_to_device(in.data(), x.data(), in.size());
  const void* inputs[] = {in.data()};
  void* outputs[] = {out.data()};
  graphed.direct_exec(inputs, outputs);
  graphed.direct_exec(inputs, outputs);
  graphed.stream().synchronize();
  EXPECT_EQ(graphed.context().graph_capture_count(), 2U);
  EXPECT_EQ(download(out.data(), x.size()), chain_expected(x));
}

TEST(EngineGpu, RecordedGraphHoldsOneNodePerLayerInALine) {
  TRTUTILS_REQUIRE_GPU();
  const auto engine = Engine::from_plan(chain_plan(core::current_device_arch()));
  auto context = engine->create_execution_context();
  core::DeviceBuffer in(kChainLength * sizeof(float));
  core::DeviceBuffer out(kChainLength * sizeof(float));
  core::memset_device(in, 0);
  core::Stream stream;
  context->enqueue(stream, {in.data(), out.data()});
  EXPECT_EQ(context->recorded_graph(), nullptr) << "nothing is recorded without graphs";
  context->set_use_cuda_graph(true);
  context->enqueue(stream, {in.data(), out.data()});
  stream.synchronize();
  const core::CudaGraph* graph = context->recorded_graph();
  ASSERT_NE(graph, nullptr);
  // kernel, copy, kernel (chain_plan), each one node, one after the other.
  const core::GraphSummary summary = graph->summary();
  EXPECT_EQ(summary.nodes, 3U);
  EXPECT_EQ(summary.kernel_nodes, 2U);
  EXPECT_EQ(summary.memcpy_nodes, 1U);
  EXPECT_EQ(summary.memset_nodes, 0U);
  EXPECT_EQ(summary.edges, 2U);
  EXPECT_TRUE(summary.straight_line);
  context->reset_cuda_graph();
  EXPECT_EQ(context->recorded_graph(), nullptr);
}

TEST(EngineGpu, TwoContextsOnTwoThreadsAgree) {
  TRTUTILS_REQUIRE_GPU();
  const auto engine = Engine::from_plan(chain_plan(core::current_device_arch()));
  const int device = core::current_device();
  const std::vector<float> x = chain_input(3.0f);
  std::vector<float> results[2];
  auto run = [&](int which) {
    core::set_device(device);
    auto context = engine->create_execution_context();
    context->set_use_cuda_graph(which == 1);
    core::Stream stream;
    core::DeviceBuffer in(x.size() * sizeof(float));
    core::DeviceBuffer out(x.size() * sizeof(float));
    core::memcpy_host_to_device(in.data(), x.data(), in.size());
    for (int i = 0; i < 20; ++i) context->enqueue(stream, {in.data(), out.data()});
    stream.synchronize();
    results[which] = download(out.data(), x.size());
  };
  std::thread first(run, 0);
  std::thread second(run, 1);
  first.join();
  second.join();
  EXPECT_EQ(results[0], chain_expected(x));
  EXPECT_EQ(results[1], results[0]);
}

TEST(EngineGpu, CreatingAndDestroyingReturnsDeviceMemory) {
  TRTUTILS_REQUIRE_GPU();
  const plan::Plan plan = chain_plan(core::current_device_arch());
  { auto warm = Engine::from_plan(plan)->create_execution_context(); }  // first-use allocations
  const std::size_t before = core::memory_info().free_bytes;
  for (int i = 0; i < 100; ++i) {
    auto engine = Engine::from_plan(plan);
    auto context = engine->create_execution_context();
  }
  const std::size_t after = core::memory_info().free_bytes;
  // A leak of one arena + weights per round would be well above 1 MiB over 100 rounds.
  const std::size_t tolerance = std::size_t{2} << 20;
  EXPECT_LE(before > after ? before - after : 0, tolerance) << before << " -> " << after;
}

TEST(EngineGpu, PlanForAnotherArchitectureIsRefused) {
  TRTUTILS_REQUIRE_GPU();
  const std::string here = core::current_device_arch();
  const std::string other = here == "sm_80" ? "sm_86" : "sm_80";
  const std::string message = error_of([&] { (void)Engine::from_plan(chain_plan(other)); });
  EXPECT_NE(message.find("engine built for " + other + ", this GPU is " + here), std::string::npos)
      << message;
}

TEST(EngineGpu, CubinForAnotherArchitectureInsideAPlanIsRefusedNamingTheLayer) {
  TRTUTILS_REQUIRE_GPU();
  const std::string here = core::current_device_arch();
  const std::string other = here == "sm_80" ? "sm_86" : "sm_80";
  plan::Plan plan = chain_plan(here);
  plan.layers[2].params = chain_plan(other).layers[2].params;
  const std::string message = error_of([&] { (void)Engine::from_plan(plan); });
  EXPECT_NE(message.find("layer 'scale'"), std::string::npos) << message;
  EXPECT_NE(message.find("compiled for " + other), std::string::npos) << message;
}

TEST(EngineGpu, UnknownLayerKindIsRefused) {
  TRTUTILS_REQUIRE_GPU();
  plan::Plan plan = chain_plan(core::current_device_arch());
  plan.layers[1].kernel = "ref.Gather";
  EXPECT_THROW((void)Engine::from_plan(plan), ModelError);
}

TEST(EngineGpu, DataDependentOutputIsTrimmed) {
  TRTUTILS_REQUIRE_GPU();
  for (const bool graph : {false, true}) {
    TRTEngine engine(testing::positives_plan(core::current_device_arch()),
                     {.use_cuda_graph = graph});
    std::vector<float> x(testing::kPositivesLength, -1.0f);
    x[2] = 4.0f;
    x[5] = 0.5f;
    x[11] = 9.0f;
    const auto outputs = engine.execute({HostTensor::from_values<float>({16}, x)});
    EXPECT_EQ(outputs[0].shape(), (Shape{3})) << graph;
    EXPECT_EQ(to_vector(outputs[0]), (std::vector<float>{4.0f, 0.5f, 9.0f})) << graph;
    EXPECT_EQ(engine.context().dynamic_extent(0), 3);
    x[0] = 1.0f;
    EXPECT_EQ(engine.execute({HostTensor::from_values<float>({16}, x)})[0].shape(), (Shape{4}));
  }
}

TEST(EngineGpu, MockExecuteGivesOutputsOfTheRightShape) {
  TRTUTILS_REQUIRE_GPU();
  TRTEngine engine(chain_plan(core::current_device_arch()));
  const auto random = engine.get_random_input(5);
  ASSERT_EQ(random.size(), 1U);
  const auto outputs = engine.mock_execute(5);
  ASSERT_EQ(outputs.size(), 1U);
  EXPECT_EQ(to_vector(outputs[0]), chain_expected(to_vector(random[0])));
}

TEST(EngineGpu, CreateEngineFromAFile) {
  TRTUTILS_REQUIRE_GPU();
  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("runtime_chain_" + std::to_string(::getpid()) + ".engine");
  plan::write_plan(path, chain_plan(core::current_device_arch()));
  auto [engine, context, logger, stream] = create_engine(path);
  ASSERT_NE(logger, nullptr);
  const std::vector<float> x = chain_input();
  core::DeviceBuffer in(x.size() * sizeof(float));
  core::DeviceBuffer out(x.size() * sizeof(float));
  core::memcpy_host_to_device(in.data(), x.data(), in.size());
  context->enqueue(stream, {in.data(), out.data()});
  stream.synchronize();
  EXPECT_EQ(download(out.data(), x.size()), chain_expected(x));
  TRTEngine from_file(path);
  EXPECT_EQ(to_vector(from_file.execute({HostTensor::from_values<float>({kChainLength}, x)})[0]),
            chain_expected(x));
  std::filesystem::remove(path);
}

TEST(EngineGpu, MatmulLayerWithAStoredAlgorithmMatchesCpu) {
  TRTUTILS_REQUIRE_GPU();
  using plan::TensorKind;
  const std::int64_t m = 5, k = 3, n = 4;
  gpu::MatmulDesc desc;
  desc.m = m;
  desc.n = n;
  desc.k = k;
  std::vector<float> a(m * k), b(k * n);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i % 7) - 3.0f;
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = 0.25f * static_cast<float>(i);
  // The builder's job, done here: tune once, store the winner.
  gpu::MatmulAlgorithm algorithm;
  {
    gpu::MatmulPlan tuning(desc);
    gpu::CublasLtHandle handle;
    core::Stream stream;
    core::DeviceBuffer da(a.size() * 4), db(b.size() * 4), dd(m * n * 4), workspace(1 << 20);
    algorithm = tuning.autotune(handle, stream, {da.data(), db.data(), nullptr, dd.data(), nullptr},
                                workspace.data(), workspace.size());
  }
  plan::Plan p;
  p.header.target_arch = core::current_device_arch();
  plan::PlanWeightsBuilder weights;
  const plan::ByteRange b_range =
      weights.append({reinterpret_cast<const std::byte*>(b.data()), b.size() * 4});
  p.weights = weights.finish();
  p.tensors.push_back(testing::tensor(0, "a", DType::kFloat32, {m, k}, TensorKind::kInput));
  p.tensors.push_back(testing::tensor(1, "b", DType::kFloat32, {k, n}, TensorKind::kConstant));
  p.tensors[1].weights = b_range;
  p.tensors.push_back(testing::tensor(2, "d", DType::kFloat32, {m, n}, TensorKind::kOutput));
  p.io = {testing::spec_of(p.tensors[0]), testing::spec_of(p.tensors[2])};
  p.workspace_bytes = algorithm.workspace_bytes;
  p.layers.push_back({"matmul",
                      plan::layer_kinds::kCublasLtMatmul,
                      {0, 1},
                      {2},
                      matmul_layer_params(desc, algorithm),
                      plan::Precision::kFloat32});
  TRTEngine engine(std::move(p));
  const auto d = to_vector(engine.execute({HostTensor::from_values<float>({m, k}, a)})[0]);
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      double expected = 0.0;
      for (std::int64_t t = 0; t < k; ++t) expected += double{a[i * k + t]} * b[t * n + j];
      EXPECT_NEAR(d[i * n + j], expected, 1e-5) << i << "," << j;
    }
  }
}

TEST(EngineGpu, OnnxPathWithoutABuilderSaysWhatToDo) {
  TRTEngine::set_onnx_builder({});
  EXPECT_NE(error_of([] { TRTEngine engine("model.onnx"); }).find("no builder is registered"),
            std::string::npos);
}

}  // namespace
}  // namespace trtutils::runtime
