// GPU lowerings of the nn family's generated-kernel ops: MaxPool (+Indices),
// AveragePool, GlobalAveragePool, GlobalMaxPool, BatchNormalization,
// InstanceNormalization, LayerNormalization, Softmax, LogSoftmax.
// CPU: every generated source compiles with NVRTC for sm_90 in every
// precision; refusals. GPU (skipped without one): random inputs vs the CPU
// reference (f32 rel L2 1e-5, f16 1e-2; indices exactly).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "gpu_lowering/library_layers.hpp"

namespace trtutils::testing {
namespace {

using plan::Precision;

HostTensor random_tensor(Shape shape, unsigned seed = 5, float low = -2.0F, float high = 2.0F) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(low, high);
  std::vector<float> v(static_cast<std::size_t>(element_count(shape)));
  for (float& x : v) x = dist(rng);
  return HostTensor::from_values(std::move(shape), v);
}

ir::Attributes attrs(std::initializer_list<std::pair<const char*, ir::Attribute>> list) {
  ir::Attributes a;
  for (const auto& [name, value] : list) a.set(name, value);
  return a;
}

using Ints = std::vector<std::int64_t>;

/// The sample nodes, built fresh for each use (NodeUnderTest is not copyable).
std::vector<std::unique_ptr<NodeUnderTest>> sample_nodes() {
  std::vector<std::unique_ptr<NodeUnderTest>> n;
  const auto add = [&](auto&&... args) {
    n.push_back(std::make_unique<NodeUnderTest>(std::forward<decltype(args)>(args)...));
  };
  const HostTensor x = random_tensor({2, 3, 7, 8});
  add("MaxPool", std::vector<HostTensor>{x},
      attrs({{"kernel_shape", Ints{3, 2}},
             {"strides", Ints{2, 2}},
             {"pads", Ints{1, 0, 1, 1}},
             {"ceil_mode", std::int64_t{1}},
             {"dilations", Ints{1, 2}}}),
      17, 2);
  add("MaxPool", std::vector<HostTensor>{x},
      attrs({{"kernel_shape", Ints{2, 2}},
             {"storage_order", std::int64_t{1}},
             {"auto_pad", std::string("SAME_UPPER")}}),
      17, 2);
  add("MaxPool", std::vector<HostTensor>{random_tensor({1, 2, 9})},
      attrs({{"kernel_shape", Ints{3}}, {"strides", Ints{2}}}));
  add("AveragePool", std::vector<HostTensor>{x},
      attrs({{"kernel_shape", Ints{3, 3}},
             {"strides", Ints{2, 2}},
             {"pads", Ints{1, 1, 1, 1}},
             {"ceil_mode", std::int64_t{1}},
             {"count_include_pad", std::int64_t{1}}}));
  add("AveragePool", std::vector<HostTensor>{x},
      attrs({{"kernel_shape", Ints{3, 3}},
             {"strides", Ints{2, 2}},
             {"pads", Ints{1, 1, 1, 1}},
             {"ceil_mode", std::int64_t{1}}}));
  add("AveragePool", std::vector<HostTensor>{random_tensor({1, 2, 4, 5, 6})},
      attrs({{"kernel_shape", Ints{2, 2, 2}}, {"dilations", Ints{1, 2, 1}}}), 19);
  add("GlobalAveragePool", std::vector<HostTensor>{random_tensor({2, 3, 33, 17})});
  add("GlobalMaxPool", std::vector<HostTensor>{random_tensor({2, 3, 33, 17})});
  add("BatchNormalization",
      std::vector<HostTensor>{x, random_tensor({3}, 1), random_tensor({3}, 2),
                              random_tensor({3}, 3), random_tensor({3}, 4, 0.5F, 2.0F)},
      attrs({{"epsilon", 1e-3F}}));
  add("InstanceNormalization",
      std::vector<HostTensor>{random_tensor({2, 3, 20, 30}), random_tensor({3}, 1),
                              random_tensor({3}, 2)});
  add("LayerNormalization",
      std::vector<HostTensor>{random_tensor({4, 6, 40}), random_tensor({40}, 1),
                              random_tensor({40}, 2)},
      attrs({{"axis", std::int64_t{-1}}}), 17, 3);
  add("LayerNormalization",
      std::vector<HostTensor>{random_tensor({4, 6, 5}), random_tensor({6, 1}, 1), HostTensor()},
      attrs({{"axis", std::int64_t{1}}}), 17, 1);
  // The row-group kernel: ViT's rows (768, a warp per row), ConvNeXt's
  // channels-last rows (96, four lanes), the longest rows it takes in f16
  // (4096: 16 vectors a lane; f32 runs those on the block kernel), and an
  // offset mean (the two-pass variance must not cancel).
  add("LayerNormalization",
      std::vector<HostTensor>{random_tensor({2, 197, 768}, 15), random_tensor({768}, 16),
                              random_tensor({768}, 17)});
  add("LayerNormalization",
      std::vector<HostTensor>{random_tensor({3, 7, 7, 96}, 18), random_tensor({96}, 19),
                              random_tensor({96}, 20)},
      attrs({{"axis", std::int64_t{-1}}, {"epsilon", 1e-6F}}), 17, 3);
  add("LayerNormalization",
      std::vector<HostTensor>{random_tensor({3, 4096}, 21), random_tensor({4096}, 22)});
  add("LayerNormalization",
      std::vector<HostTensor>{random_tensor({5, 64}, 23, 95.0F, 105.0F), random_tensor({64}, 24)});
  add("Softmax", std::vector<HostTensor>{random_tensor({3, 5, 300}, 9, -20.0F, 20.0F)});
  add("Softmax", std::vector<HostTensor>{random_tensor({3, 5, 7})},
      attrs({{"axis", std::int64_t{1}}}));
  add("Softmax", std::vector<HostTensor>{random_tensor({3, 5, 7})},
      attrs({{"axis", std::int64_t{1}}}), 11);  // coerced to 2-D [3, 35]
  add("LogSoftmax", std::vector<HostTensor>{random_tensor({4, 1000}, 3, -30.0F, 30.0F)});
  // Warp-per-row path at its edges (attention-like 197, 1024) and the block
  // path just past it (1025).
  add("Softmax", std::vector<HostTensor>{random_tensor({2, 12, 9, 197}, 11, -8.0F, 8.0F)});
  add("Softmax", std::vector<HostTensor>{random_tensor({5, 1024}, 12, -8.0F, 8.0F)});
  add("Softmax", std::vector<HostTensor>{random_tensor({3, 1025}, 13, -8.0F, 8.0F)});
  add("LogSoftmax", std::vector<HostTensor>{random_tensor({9, 33}, 14)});
  // YOLOv8's distribution focal loss head: 16 bins along axis 1, 4 x anchors
  // columns; then strided rows just past the thread-per-row limit (65).
  add("Softmax", std::vector<HostTensor>{random_tensor({2, 16, 4, 50}, 25, -6.0F, 6.0F)},
      attrs({{"axis", std::int64_t{1}}}));
  add("LogSoftmax", std::vector<HostTensor>{random_tensor({2, 65, 3}, 26, -6.0F, 6.0F)},
      attrs({{"axis", std::int64_t{1}}}));
  add("LogSoftmax", std::vector<HostTensor>{random_tensor({2, 3, 4})},
      attrs({{"axis", std::int64_t{0}}}));
  return n;
}

TEST(NnKernelLowering, EveryGeneratedSourceCompilesInEveryPrecision) {
  for (const auto& t : sample_nodes()) {
    for (Precision p : {Precision::kFloat32, Precision::kFloat16, Precision::kBFloat16}) {
      EXPECT_EQ(expect_compiles(*t, p).size(), 1u) << t->node().describe();
    }
  }
}

TEST(NnKernelLowering, DoubleAndIntegerInputsCompile) {
  NodeUnderTest pool("MaxPool", {random_tensor({1, 2, 5, 5}).cast(DType::kInt8)},
                     attrs({{"kernel_shape", Ints{2, 2}}}), 17, 2);
  expect_compiles(pool, Precision::kFloat32);
  NodeUnderTest softmax("Softmax", {random_tensor({3, 4}).cast(DType::kFloat64)});
  expect_compiles(softmax, Precision::kFloat32);
  NodeUnderTest norm(
      "LayerNormalization",
      {random_tensor({3, 4}).cast(DType::kFloat64), random_tensor({4}).cast(DType::kFloat64)},
      attrs({{"stash_type", std::int64_t{11}}}));
  expect_compiles(norm, Precision::kFloat32);
}

TEST(NnKernelLowering, TrainingBatchNormalizationIsRefused) {
  const HostTensor c = random_tensor({3});
  NodeUnderTest t("BatchNormalization", {random_tensor({2, 3, 4}), c, c, c, c},
                  attrs({{"training_mode", std::int64_t{1}}}), 15, 3);
  EXPECT_THROW(t.lower(Precision::kFloat32), UnsupportedError);
}

TEST(NnKernelLowering, RowKernelsLaunchOneBlockPerRow) {
  // Strided rows: short ones a thread each (3 outer x 7 inner rows of 5),
  // long ones a block each.
  NodeUnderTest softmax("Softmax", {random_tensor({3, 5, 7})}, attrs({{"axis", std::int64_t{1}}}));
  const auto launches = softmax.lower(Precision::kFloat32)->launches();
  EXPECT_EQ(launches.at(0).entry, "trt_softmax_columns");
  EXPECT_EQ(launches.at(0).grid[0] * launches.at(0).block[0] >= 21u, true);
  NodeUnderTest long_strided("Softmax", {random_tensor({3, 65, 7})},
                             attrs({{"axis", std::int64_t{1}}}));
  EXPECT_EQ(long_strided.lower(Precision::kFloat32)->launches().at(0).grid[0], 21u);
  // Opset 11 coerces to 2-D [3, 35]: contiguous rows of 35, a warp each,
  // eight rows per block.
  NodeUnderTest legacy("Softmax", {random_tensor({3, 5, 7})}, attrs({{"axis", std::int64_t{1}}}),
                       11);
  const auto legacy_launch = legacy.lower(Precision::kFloat32)->launches().at(0);
  EXPECT_EQ(legacy_launch.grid[0], 1u);
  EXPECT_EQ(legacy_launch.block[0], 256u);
  NodeUnderTest rows("Softmax", {random_tensor({20, 197})});
  EXPECT_EQ(rows.lower(Precision::kFloat32)->launches().at(0).grid[0], 3u);  // ceil(20 / 8)
  NodeUnderTest long_rows("Softmax", {random_tensor({4, 1025})});
  EXPECT_EQ(long_rows.lower(Precision::kFloat32)->launches().at(0).grid[0], 4u);  // block per row
  NodeUnderTest norm("LayerNormalization", {random_tensor({4, 6, 5}), random_tensor({5})});
  EXPECT_EQ(norm.lower(Precision::kFloat32)->launches().at(0).grid[0], 24u);
  // Rows of whole 16-byte vectors: lane groups (40 f32 = 10 vectors: 4 lanes),
  // 64 groups per 256-thread block.
  NodeUnderTest grouped("LayerNormalization", {random_tensor({4, 6, 40}), random_tensor({40})});
  const auto group_launch = grouped.lower(Precision::kFloat32)->launches().at(0);
  EXPECT_NE(group_launch.source.find("kLanes = 4"), std::string::npos);
  EXPECT_EQ(group_launch.grid[0], 1u);
  EXPECT_EQ(group_launch.block[0], 256u);
}

TEST(NnKernelLowering, HalfPrecisionKeepsStatisticsInFloat) {
  NodeUnderTest norm("LayerNormalization", {random_tensor({4, 41}), random_tensor({41})});
  const std::string source = norm.lower(Precision::kFloat16)->launches().at(0).source;
  EXPECT_NE(source.find("__shared__ float shared"), std::string::npos);
  EXPECT_NE(source.find("__half2float"), std::string::npos);
  NodeUnderTest grouped("LayerNormalization", {random_tensor({4, 40}), random_tensor({40})});
  const std::string group_source = grouped.lower(Precision::kFloat16)->launches().at(0).source;
  EXPECT_NE(group_source.find("float sum"), std::string::npos);
  EXPECT_NE(group_source.find("__half2float"), std::string::npos);
}

TEST(NnKernelLoweringGpu, MatchesTheCpuReference) {
  TRTUTILS_REQUIRE_GPU();
  for (const auto& t : sample_nodes()) {
    SCOPED_TRACE(t->node().describe());
    expect_close_to_cpu(*t, Precision::kFloat32, 1e-5);
    expect_close_to_cpu(*t, Precision::kFloat16, 1e-2);
  }
}

}  // namespace
}  // namespace trtutils::testing
