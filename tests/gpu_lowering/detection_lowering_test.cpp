// GPU lowerings of the detection family (TopK, CumSum, Trilu, NonZero,
// NonMaxSuppression). CPU: every generated source compiles with NVRTC for
// sm_90, size-deciding inputs must be constant, NonZero/NMS declare their
// dynamic extent. GPU (skipped without one): random inputs vs the CPU
// reference; data-dependent outputs are trimmed to the count the GPU wrote.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "gpu_lowering/lowering_harness.hpp"
#include "ops/support.hpp"

namespace trtutils::testing {
namespace {

using plan::Precision;

HostTensor random_floats(Shape shape, float low = -2.0F, float high = 2.0F, unsigned seed = 5) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(low, high);
  std::vector<float> v(static_cast<std::size_t>(element_count(shape)));
  for (float& x : v) x = dist(rng);
  return HostTensor::from_values(std::move(shape), v);
}
/// Values from a small set, so that ties are frequent.
HostTensor tied_floats(Shape shape, unsigned seed = 3) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(-3, 3);
  std::vector<float> v(static_cast<std::size_t>(element_count(shape)));
  for (float& x : v) x = static_cast<float>(dist(rng)) * 0.5F;
  return HostTensor::from_values(std::move(shape), v);
}
HostTensor floats(Shape shape, std::vector<float> v) {
  return HostTensor::from_values(std::move(shape), v);
}
HostTensor ints(Shape shape, std::vector<std::int64_t> v) {
  return HostTensor::from_values(std::move(shape), v);
}

void expect_unsupported(const NodeUnderTest& t, const std::string& message) {
  try {
    t.lower(Precision::kFloat32);
    ADD_FAILURE() << "lowering accepted a run-time input";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
  }
}

/// NMS boxes [B, S, 4] as random corners in [0, 10).
HostTensor random_boxes(std::int64_t batches, std::int64_t spatial, unsigned seed = 9) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> corner(0.0F, 10.0F), size(0.5F, 4.0F);
  std::vector<float> v;
  for (std::int64_t i = 0; i < batches * spatial; ++i) {
    const float y = corner(rng), x = corner(rng);
    v.insert(v.end(), {y, x, y + size(rng), x + size(rng)});
  }
  return HostTensor::from_values(Shape{batches, spatial, 4}, v);
}

std::unique_ptr<NodeUnderTest> nms(const HostTensor& boxes, const HostTensor& scores,
                                   std::int64_t max_per_class, float iou, float score_threshold,
                                   std::int64_t center = 0) {
  ir::Attributes a;
  a.set("center_point_box", center);
  auto t = std::make_unique<NodeUnderTest>(
      "NonMaxSuppression",
      std::vector<HostTensor>{boxes, scores, ints({1}, {max_per_class}), floats({1}, {iou}),
                              floats({1}, {score_threshold})},
      a, 11, 1, std::set<std::size_t>{2, 3, 4});
  const std::int64_t bound =
      boxes.shape()[0] * scores.shape()[1] * std::min(max_per_class, boxes.shape()[1]);
  t->node().output(0)->set_shape(ir::from_static({bound, 3}));
  return t;
}

std::unique_ptr<NodeUnderTest> non_zero(const HostTensor& x) {
  auto t =
      std::make_unique<NodeUnderTest>("NonZero", std::vector<HostTensor>{x}, ir::Attributes{}, 13);
  t->node().output(0)->set_shape(
      ir::from_static({static_cast<std::int64_t>(x.rank()), x.element_count()}));
  return t;
}

// --- CPU: generated sources compile, constants, dynamic extents -------------------

TEST(DetectionLoweringSource, TopKCompilesForSortAndSelect) {
  for (const std::int64_t n : {1, 37, 20000}) {  // 20000 keys exceed shared memory: selection
    for (const std::int64_t largest : {0, 1}) {
      ir::Attributes a;
      a.set("axis", std::int64_t{1});
      a.set("largest", largest);
      NodeUnderTest t("TopK", {random_floats({2, n, 3}), ints({1}, {std::min<std::int64_t>(n, 5)})},
                      a, 11, 2, {1});
      const auto launches = expect_compiles(t, Precision::kFloat16);
      ASSERT_EQ(launches.size(), 1u);
      EXPECT_EQ(launches[0].shared_bytes != 0, n < 20000);
    }
  }
  NodeUnderTest integers("TopK", {ints({4, 9}, std::vector<std::int64_t>(36, 3)), ints({1}, {4})},
                         {}, 11, 2, {1});
  expect_compiles(integers, Precision::kFloat32);
  NodeUnderTest runtime_k("TopK", {random_floats({2, 9}), ints({1}, {4})}, {}, 11, 2, {});
  runtime_k.node().output(0)->set_shape(ir::from_static({2, 4}));  // as a builder would know
  runtime_k.node().output(1)->set_shape(ir::from_static({2, 4}));
  expect_unsupported(runtime_k, "input 'K' of TopK must be known at build time");
}

TEST(DetectionLoweringSource, CumSumAndTriluCompileAndNeedConstants) {
  for (const std::int64_t exclusive : {0, 1}) {
    for (const std::int64_t reverse : {0, 1}) {
      ir::Attributes a;
      a.set("exclusive", exclusive);
      a.set("reverse", reverse);
      NodeUnderTest t("CumSum", {random_floats({3, 4, 5}), ints({}, {1})}, a, 14, 1, {1});
      expect_compiles(t, reverse ? Precision::kFloat16 : Precision::kFloat32);
    }
  }
  NodeUnderTest cum_ints("CumSum", {ints({7}, {1, 2, 3, 4, 5, 6, 7}), ints({}, {0})}, {}, 14, 1,
                         {1});
  expect_compiles(cum_ints, Precision::kFloat32);
  NodeUnderTest runtime_axis("CumSum", {random_floats({3, 4}), ints({}, {1})}, {}, 14, 1, {});
  expect_unsupported(runtime_axis, "input 'axis' of CumSum must be known at build time");

  for (const std::int64_t upper : {0, 1}) {
    ir::Attributes a;
    a.set("upper", upper);
    NodeUnderTest t("Trilu", {random_floats({2, 4, 5}), ints({}, {-1})}, a, 14, 1, {1});
    expect_compiles(t, Precision::kFloat32);
  }
  NodeUnderTest runtime_k("Trilu", {random_floats({4, 5}), ints({}, {1})}, {}, 14, 1, {});
  expect_unsupported(runtime_k, "input 'k' of Trilu must be known at build time");
}

TEST(DetectionLoweringSource, NonZeroCompilesAndDeclaresItsExtent) {
  auto t = non_zero(random_floats({3, 5, 7}));
  expect_compiles(*t, Precision::kFloat16);
  const auto ctx = t->lower(Precision::kFloat32);
  ASSERT_EQ(ctx->dynamic_extents().count(0), 1u);
  const ops::GpuTensor count = ctx->dynamic_extents().at(0);
  EXPECT_EQ(count.dtype, DType::kInt64);
  EXPECT_EQ(count.element_count(), 1);
  // The count is written by a layer of this node.
  bool written = false;
  for (const EmittedLayer& layer : ctx->layers()) {
    written |= std::count(layer.inputs.begin(), layer.inputs.end(), count.id) > 0;
  }
  EXPECT_TRUE(written);
}

TEST(DetectionLoweringSource, NonMaxSuppressionCompilesAndDeclaresItsExtent) {
  for (const std::int64_t center : {0, 1}) {
    auto t = nms(random_boxes(2, 13), random_floats({2, 3, 13}, 0, 1), 4, 0.5F, 0.2F, center);
    expect_compiles(*t, Precision::kFloat32);
    const auto ctx = t->lower(Precision::kFloat32);
    ASSERT_EQ(ctx->dynamic_extents().count(0), 1u);
    EXPECT_EQ(ctx->dynamic_extents().at(0).dtype, DType::kInt64);
  }
  // Run-time thresholds are read on the device.
  NodeUnderTest runtime_thresholds("NonMaxSuppression",
                                   {random_boxes(1, 5), random_floats({1, 2, 5}, 0, 1),
                                    ints({1}, {3}), floats({1}, {0.5F}), floats({1}, {0.1F})},
                                   {}, 11, 1, {2});
  runtime_thresholds.node().output(0)->set_shape(ir::from_static({6, 3}));
  expect_compiles(runtime_thresholds, Precision::kFloat16);
  NodeUnderTest runtime_max("NonMaxSuppression",
                            {random_boxes(1, 5), random_floats({1, 2, 5}, 0, 1), ints({1}, {3})},
                            {}, 11, 1, {});
  runtime_max.node().output(0)->set_shape(ir::from_static({6, 3}));
  expect_unsupported(runtime_max,
                     "input 'max_output_boxes_per_class' of NonMaxSuppression must be known");
}

// --- GPU --------------------------------------------------------------------------

/// Lowers `t` and runs it on the GPU like run_lowered, but also reads each
/// declared dynamic extent and trims the output's first data-dependent axis
/// (axis 1 of NonZero's [rank, N], axis 0 of NMS's [N, 3]) to it.
std::vector<HostTensor> run_trimmed(const NodeUnderTest& t, Precision precision,
                                    std::size_t dynamic_axis) {
  const auto ctx = t.lower(precision);
  std::map<plan::TensorId, core::DeviceBuffer> buffers;
  std::map<plan::TensorId, ops::GpuTensor> tensors;
  for (const auto* list : {&ctx->inputs(), &ctx->outputs(), &ctx->scratch()}) {
    for (const ops::GpuTensor& g : *list) {
      if (g.present()) tensors[g.id] = g;
    }
  }
  for (const auto& [id, g] : tensors) {
    buffers.emplace(id, core::DeviceBuffer(std::max<std::size_t>(
                            1, static_cast<std::size_t>(g.element_count()) * dtype_size(g.dtype))));
  }
  for (std::size_t i = 0; i < ctx->inputs().size(); ++i) {
    const ops::GpuTensor& g = ctx->inputs()[i];
    if (!g.present()) continue;
    const HostTensor stored = t.inputs()[i].cast(g.dtype);
    if (stored.byte_size() != 0) {
      core::memcpy_host_to_device(buffers.at(g.id).data(), stored.data(), stored.byte_size());
    }
  }
  for (const ops::KernelLaunch& launch : ctx->launches()) {
    const core::Kernel kernel(launch.source, launch.entry);
    core::KernelArgs args;
    for (const ops::KernelArgument& a : launch.arguments) args.push(buffers.at(a.tensor).data());
    kernel.call(dim3(launch.grid[0], launch.grid[1], launch.grid[2]),
                dim3(launch.block[0], launch.block[1], launch.block[2]), core::StreamView(), args,
                launch.shared_bytes);
  }
  core::StreamView().synchronize();
  std::vector<HostTensor> outputs;
  for (std::size_t i = 0; i < ctx->outputs().size(); ++i) {
    const ops::GpuTensor& g = ctx->outputs()[i];
    HostTensor full(g.shape, g.dtype);
    if (full.byte_size() != 0) {
      core::memcpy_device_to_host(full.data(), buffers.at(g.id).data(), full.byte_size());
    }
    if (!ctx->dynamic_extents().count(i)) {
      outputs.push_back(std::move(full));
      continue;
    }
    std::int64_t count = -1;
    core::memcpy_device_to_host(&count, buffers.at(ctx->dynamic_extents().at(i).id).data(),
                                sizeof count);
    EXPECT_GE(count, 0);
    EXPECT_LE(count, g.shape[dynamic_axis]);
    Shape trimmed = g.shape;
    trimmed[dynamic_axis] = count;
    HostTensor out(trimmed, g.dtype);
    const auto src = full.values<std::int64_t>();
    auto dst = out.values<std::int64_t>();
    ops::for_each_index(trimmed, [&](const std::vector<std::int64_t>& c, std::int64_t linear) {
      std::int64_t at = 0;
      for (std::size_t d = 0; d < c.size(); ++d) at = at * g.shape[d] + c[d];
      dst[static_cast<std::size_t>(linear)] = src[static_cast<std::size_t>(at)];
    });
    outputs.push_back(std::move(out));
  }
  return outputs;
}

void expect_same_as_cpu(const NodeUnderTest& t, Precision precision, std::size_t dynamic_axis) {
  const std::vector<HostTensor> expected = t.run_cpu();
  const std::vector<HostTensor> actual = run_trimmed(t, precision, dynamic_axis);
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    EXPECT_TRUE(tensors_match(actual[i], expected[i], 0.0)) << t.node().describe();
  }
}

TEST(DetectionLoweringGpu, TopKMatchesCpuIncludingTies) {
  TRTUTILS_REQUIRE_GPU();
  for (const Shape& shape : std::vector<Shape>{{1, 1}, {3, 37, 5}, {2, 1919, 1}, {1, 20000, 2}}) {
    for (const std::int64_t largest : {0, 1}) {
      for (const std::int64_t k :
           {std::int64_t{1}, std::min<std::int64_t>(shape[1], 7), shape[1]}) {
        if (shape[1] == 20000 && k == shape[1]) continue;  // O(k n) selection: keep it short
        ir::Attributes a;
        a.set("axis", std::int64_t{1});
        a.set("largest", largest);
        NodeUnderTest t("TopK", {tied_floats(shape), ints({1}, {k})}, a, 11, 2, {1});
        expect_matches_cpu(t, Precision::kFloat32, 0.0);
        expect_matches_cpu(t, Precision::kFloat16, 0.0);
      }
    }
  }
}

TEST(DetectionLoweringGpu, CumSumAndTriluMatchCpu) {
  TRTUTILS_REQUIRE_GPU();
  for (const std::int64_t axis : {0, 1, -1}) {
    for (const std::int64_t exclusive : {0, 1}) {
      for (const std::int64_t reverse : {0, 1}) {
        ir::Attributes a;
        a.set("exclusive", exclusive);
        a.set("reverse", reverse);
        NodeUnderTest t("CumSum", {random_floats({3, 41, 5}), ints({}, {axis})}, a, 14, 1, {1});
        expect_matches_cpu(t, Precision::kFloat32, 1e-5);
        expect_matches_cpu(t, Precision::kFloat16, 1e-2);
        NodeUnderTest i("CumSum", {ints({2, 3}, {1, -2, 3, 4, 5, -6}), ints({}, {axis})}, a, 14, 1,
                        {1});
        expect_matches_cpu(i, Precision::kFloat32, 0.0);
      }
    }
  }
  for (const std::int64_t upper : {0, 1}) {
    for (const std::int64_t k : {-2, 0, 3}) {
      ir::Attributes a;
      a.set("upper", upper);
      NodeUnderTest t("Trilu", {random_floats({2, 5, 7}), ints({}, {k})}, a, 14, 1, {1});
      expect_matches_cpu(t, Precision::kFloat32, 0.0);
    }
  }
}

TEST(DetectionLoweringGpu, NonZeroMatchesCpu) {
  TRTUTILS_REQUIRE_GPU();
  for (const Shape& shape : std::vector<Shape>{{1}, {1, 1}, {3, 5, 7}, {1081, 1919}}) {
    auto t = non_zero(tied_floats(shape));
    expect_same_as_cpu(*t, Precision::kFloat32, 1);
  }
  auto empty = non_zero(HostTensor(Shape{4, 3}, DType::kFloat32));  // all zero
  expect_same_as_cpu(*empty, Precision::kFloat32, 1);
}

TEST(DetectionLoweringGpu, NonMaxSuppressionMatchesCpu) {
  TRTUTILS_REQUIRE_GPU();
  for (const std::int64_t spatial : {1, 13, 300, 2100}) {
    for (const std::int64_t center : {0, 1}) {
      for (const float iou : {0.0F, 0.3F, 0.7F}) {
        const HostTensor boxes = random_boxes(2, spatial);
        const HostTensor scores = tied_floats({2, 3, spatial});
        auto t = nms(boxes, scores, 10, iou, -0.6F, center);
        expect_same_as_cpu(*t, Precision::kFloat32, 0);
        auto all = nms(boxes, scores, spatial, iou, -10.0F, center);
        expect_same_as_cpu(*all, Precision::kFloat32, 0);
      }
    }
  }
}

}  // namespace
}  // namespace trtutils::testing
