// GPU: engines built with a batch range 1/4/16 run every batch in it, exact
// buckets and padded ones, against the CPU reference at that batch; batches
// outside the range are refused before any GPU work; CUDA-graph replay with
// alternating batches; no device memory taken by enqueues once warm.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "builder/tiny_models.hpp"
#include "gpu_test_support.hpp"
#include "trtutils/builder/builder.hpp"
#include "trtutils/core/device.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/ops/reference_executor.hpp"
#include "trtutils/passes/passes.hpp"
#include "trtutils/plan/plan_reader.hpp"
#include "trtutils/plan/plan_writer.hpp"
#include "trtutils/runtime/execution_context.hpp"
#include "trtutils/runtime/trt_engine.hpp"

namespace trtutils::builder {
namespace {

using test_models::conv_relu_gemm;
using test_models::ramp;

using GraphFactory = std::function<ir::Graph(ir::Dim batch)>;

/// An element-wise chain the fusion pass turns into one generated kernel.
ir::Graph elementwise_chain(ir::Dim batch) {
  ir::Graph g;
  g.opset_imports[""] = 17;
  ir::Value* x = g.add_value("x");
  x->set_dtype(DType::kFloat32);
  x->set_shape(ir::DimList{batch, 37});
  g.inputs().push_back(x);
  const auto constant = [&](const char* name, HostTensor t) {
    ir::Value* v = g.add_value(name);
    v->set_constant(std::move(t));
    return v;
  };
  ir::Value* scale = constant("scale", ramp({37}, 2.0f, 0.5f));
  ir::Value* shift = constant("shift", ramp({1}, 1.0f, 0.2f));
  const auto node = [&](const char* op, std::vector<ir::Value*> ins) {
    ir::Value* out = g.add_value(std::string(op) + "_out");
    g.add_node(op, op, std::move(ins), {out});
    return out;
  };
  ir::Value* y = node("Mul", {x, scale});
  y = node("Add", {y, shift});
  y = node("Sigmoid", {y});
  y = node("Tanh", {y});
  g.outputs().push_back(y);
  return g;
}

HostTensor reference(const GraphFactory& make, const HostTensor& input) {
  ir::Graph g = make(ir::Dim(input.shape()[0]));
  passes::infer_shapes(g);
  const std::string in = g.inputs()[0]->name();
  const std::string out = g.outputs()[0]->name();
  return ops::ReferenceExecutor(g).run({{in, input}}).at(out);
}

void expect_close(const HostTensor& got, const HostTensor& want, double rtol,
                  const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  for (std::size_t i = 0; i < want.values<float>().size(); ++i) {
    const double w = want.values<float>()[i];
    ASSERT_NEAR(got.values<float>()[i], w, rtol * (1e-2 + std::fabs(w)))
        << what << ", element " << i;
  }
}

plan::Plan build_dynamic(const GraphFactory& make) {
  BuildOptions o;
  o.batch = BatchProfile{1, 4, 16};
  return build(make(ir::Dim::symbolic("n")), o);
}

Shape input_shape(const GraphFactory& make, std::int64_t batch) {
  const ir::Graph g = make(ir::Dim(batch));
  return ir::to_static(*g.inputs()[0]->shape());
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

const std::int64_t kBatches[] = {1, 2, 3, 4, 5, 8, 13, 16};

void check_every_batch(const GraphFactory& make, runtime::TRTEngine& engine) {
  for (const std::int64_t b : kBatches) {
    const HostTensor input = ramp(input_shape(make, b), 1.0f, 0.05f * static_cast<float>(b));
    const std::vector<HostTensor> out = engine.execute({input});
    ASSERT_EQ(out.size(), 1u);
    expect_close(out[0], reference(make, input), 1e-3, "batch " + std::to_string(b));
  }
}

TEST(DynamicBatchGpu, ConvReluGemmMatchesTheReferenceAtEveryBatch) {
  TRTUTILS_REQUIRE_GPU();
  runtime::TRTEngine engine(build_dynamic(conv_relu_gemm));
  EXPECT_EQ(engine.engine().batch_buckets(), (std::vector<std::int64_t>{1, 2, 4, 8, 16}));
  check_every_batch(conv_relu_gemm, engine);
}

TEST(DynamicBatchGpu, ElementwiseChainMatchesTheReferenceAtEveryBatch) {
  TRTUTILS_REQUIRE_GPU();
  runtime::TRTEngine engine(build_dynamic(elementwise_chain));
  check_every_batch(elementwise_chain, engine);
}

TEST(DynamicBatchGpu, WrittenAndReadBackEngineRunsEveryBatch) {
  TRTUTILS_REQUIRE_GPU();
  const plan::Plan p = build_dynamic(conv_relu_gemm);
  runtime::TRTEngine engine(plan::read_plan_bytes(plan::write_plan_bytes(p)));
  check_every_batch(conv_relu_gemm, engine);
}

TEST(DynamicBatchGpu, BatchesOutsideTheRangeAreRefusedNamingTheInput) {
  TRTUTILS_REQUIRE_GPU();
  runtime::TRTEngine engine(build_dynamic(conv_relu_gemm));
  const std::string above =
      error_of([&] { engine.execute({ramp(input_shape(conv_relu_gemm, 17), 1.0f, 0.0f)}); });
  EXPECT_NE(above.find("input 'image' [17, 3, 8, 8]: batch 17 is outside the engine's range "
                       "1..16"),
            std::string::npos)
      << above;
  const std::string zero = error_of([&] {
    engine.execute({HostTensor(Shape{0, 3, 8, 8}, DType::kFloat32)});
  });
  EXPECT_NE(zero.find("batch 0 is outside the engine's range 1..16"), std::string::npos) << zero;
  runtime::ExecutionContext& context = engine.context();
  const std::string direct = error_of([&] { context.set_batch(17); });
  EXPECT_NE(direct.find("batch 17 is outside the engine's range 1..16 for input 'image'"),
            std::string::npos)
      << direct;
  EXPECT_THROW(context.set_input_shape("image", {0, 3, 8, 8}), InvalidArgument);
  EXPECT_THROW(context.set_input_shape("image", {4, 3, 8, 9}), InvalidArgument);
  // The context still runs afterwards.
  check_every_batch(conv_relu_gemm, engine);
}

TEST(DynamicBatchGpu, ContextReportsShapesAtTheCurrentBatch) {
  TRTUTILS_REQUIRE_GPU();
  runtime::TRTEngine engine(build_dynamic(conv_relu_gemm));
  runtime::ExecutionContext& context = engine.context();
  EXPECT_EQ(context.batch(), 4);  // opt
  EXPECT_EQ(engine.input_shapes().at(0), (Shape{4, 3, 8, 8}));
  EXPECT_EQ(engine.input_specs().at(0).dims, (std::vector<std::int64_t>{-1, 3, 8, 8}));
  context.set_input_shape("image", {13, 3, 8, 8});
  EXPECT_EQ(context.batch(), 13);
  EXPECT_EQ(context.output_dims(0), (std::vector<std::int64_t>{13, 5}));
  EXPECT_EQ(context.input_dims(0), (std::vector<std::int64_t>{13, 3, 8, 8}));
}

TEST(DynamicBatchGpu, GraphReplayWithAlternatingBatchesStaysCorrect) {
  TRTUTILS_REQUIRE_GPU();
  runtime::TRTEngine engine(build_dynamic(conv_relu_gemm), {.use_cuda_graph = true});
  const std::int64_t sequence[] = {3, 4, 3, 16, 3, 5, 4, 5, 16, 3};
  for (std::size_t i = 0; i < std::size(sequence); ++i) {
    const std::int64_t b = sequence[i];
    const HostTensor input =
        ramp(input_shape(conv_relu_gemm, b), 1.0f, 0.11f * static_cast<float>(i));
    expect_close(engine.execute({input}).at(0), reference(conv_relu_gemm, input), 1e-3,
                 "step " + std::to_string(i) + ", batch " + std::to_string(b));
  }
  // One recording per distinct batch (3, 4, 16, 5): later ones replay.
  EXPECT_EQ(engine.context().graph_capture_count(), 4u);
}

TEST(DynamicBatchGpu, DirectExecOnCallerBuffersOfTheBatch) {
  TRTUTILS_REQUIRE_GPU();
  runtime::TRTEngine engine(build_dynamic(conv_relu_gemm));
  const std::int64_t b = 5;
  const HostTensor input = ramp(input_shape(conv_relu_gemm, b), 1.0f, 0.3f);
  core::DeviceBuffer in(input.byte_size());
  core::DeviceBuffer out(static_cast<std::size_t>(b) * 5 * sizeof(float));
  core::memcpy_host_to_device(in.data(), input.data(), input.byte_size());
  const void* inputs[] = {in.data()};
  void* outputs[] = {out.data()};
  engine.direct_exec(inputs, outputs, b);
  engine.stream().synchronize();
  HostTensor got(Shape{b, 5}, DType::kFloat32);
  core::memcpy_device_to_host(got.data(), out.data(), got.byte_size());
  expect_close(got, reference(conv_relu_gemm, input), 1e-3, "direct_exec batch 5");
}

TEST(DynamicBatchGpu, EnqueuesTakeNoDeviceMemoryOnceWarm) {
  TRTUTILS_REQUIRE_GPU();
  for (const bool graphs : {false, true}) {
    runtime::TRTEngine engine(build_dynamic(conv_relu_gemm), {.use_cuda_graph = graphs});
    // The first pass may load kernel modules lazily (the driver's, not ours)
    // and record graphs; after it, every batch must run in the memory it has.
    for (const std::int64_t b : kBatches) {
      engine.context().set_batch(b);
      engine.warmup(1);
    }
    const std::size_t free_before = core::memory_info().free_bytes;
    for (int round = 0; round < 3; ++round) {
      for (const std::int64_t b : kBatches) {
        engine.context().set_batch(b);
        engine.warmup(1);
      }
    }
    EXPECT_EQ(core::memory_info().free_bytes, free_before) << "graphs " << graphs;
  }
}

}  // namespace
}  // namespace trtutils::builder
