// GPU lowerings of the image family (Resize/Upsample, GridSample, Pad,
// DepthToSpace/SpaceToDepth). CPU: every generated source compiles with NVRTC
// for sm_90, size-deciding inputs must be constant. GPU (skipped without one):
// each op on random inputs vs its CPU reference.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gpu_lowering/lowering_harness.hpp"

namespace trtutils::testing {
namespace {

using plan::Precision;

HostTensor random_floats(Shape shape, float low = -2.0F, float high = 2.0F, unsigned seed = 7) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(low, high);
  std::vector<float> v(static_cast<std::size_t>(element_count(shape)));
  for (float& x : v) x = dist(rng);
  return HostTensor::from_values(std::move(shape), v);
}
HostTensor floats(Shape shape, std::vector<float> v) {
  return HostTensor::from_values(std::move(shape), v);
}
HostTensor ints(Shape shape, std::vector<std::int64_t> v) {
  return HostTensor::from_values(std::move(shape), v);
}

ir::Attributes resize_attributes(const std::string& mode, const std::string& coordinates,
                                 const std::string& nearest = "round_prefer_floor",
                                 std::int64_t exclude_outside = 0) {
  ir::Attributes a;
  a.set("mode", mode);
  a.set("coordinate_transformation_mode", coordinates);
  a.set("nearest_mode", nearest);
  a.set("exclude_outside", exclude_outside);
  a.set("extrapolation_value", 1.5F);
  return a;
}

/// Resize-13 of x by scales (roi/scales/sizes constant).
std::unique_ptr<NodeUnderTest> resize_by_scales(const HostTensor& x, std::vector<float> scales,
                                                ir::Attributes a, std::vector<float> roi = {}) {
  const auto n = static_cast<std::int64_t>(scales.size());
  HostTensor roi_tensor = roi.empty() ? HostTensor() : floats({2 * n}, roi);
  return std::make_unique<NodeUnderTest>(
      "Resize", std::vector<HostTensor>{x, roi_tensor, floats({n}, scales)}, std::move(a), 13, 1,
      std::set<std::size_t>{1, 2});
}

const std::vector<std::string> kCoordinateModes = {"half_pixel",           "pytorch_half_pixel",
                                                   "align_corners",        "asymmetric",
                                                   "tf_half_pixel_for_nn", "tf_crop_and_resize"};
const std::vector<std::string> kNearestModes = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                                "ceil"};
const std::vector<float> kRoi = {0.0F, 0.0F, 0.1F, 0.2F, 1.0F, 1.0F, 0.9F, 1.1F};

// --- CPU: generated sources compile ----------------------------------------------

TEST(ImageLoweringSource, ResizeCompilesForEveryMode) {
  const HostTensor x = random_floats({1, 2, 5, 7});
  for (const std::string& coordinates : kCoordinateModes) {
    auto t = resize_by_scales(x, {1.0F, 1.0F, 1.7F, 0.6F}, resize_attributes("linear", coordinates),
                              kRoi);
    expect_compiles(*t, Precision::kFloat32);
  }
  for (const std::string& nearest : kNearestModes) {
    auto t = resize_by_scales(x, {1.0F, 1.0F, 2.0F, 0.5F},
                              resize_attributes("nearest", "asymmetric", nearest));
    expect_compiles(*t, Precision::kFloat16);
  }
  for (const std::int64_t exclude : {0, 1}) {
    auto t = resize_by_scales(x, {1.0F, 1.0F, 1.3F, 2.1F},
                              resize_attributes("cubic", "half_pixel", "floor", exclude));
    expect_compiles(*t, Precision::kFloat32);
  }
}

TEST(ImageLoweringSource, ResizeBySizesUpsampleAndIntegersCompile) {
  NodeUnderTest sizes(
      "Resize", {random_floats({1, 1, 4, 4}), HostTensor(), HostTensor(), ints({4}, {1, 1, 7, 3})},
      resize_attributes("linear", "align_corners"), 13, 1, {3});
  expect_compiles(sizes, Precision::kBFloat16);
  ir::Attributes nearest;
  nearest.set("mode", std::string("nearest"));
  NodeUnderTest upsample("Upsample", {random_floats({1, 1, 3, 3}), floats({4}, {1, 1, 2, 3})},
                         nearest, 9, 1, {1});
  expect_compiles(upsample, Precision::kFloat32);
  HostTensor bytes(Shape{1, 1, 3, 3}, DType::kUInt8);
  auto t = resize_by_scales(bytes, {1, 1, 2.5F, 1.5F}, resize_attributes("cubic", "half_pixel"));
  expect_compiles(*t, Precision::kFloat32);
  HostTensor doubles = random_floats({2, 3, 5}).cast(DType::kFloat64);
  auto d = resize_by_scales(doubles, {1.5F, 1, 0.7F}, resize_attributes("linear", "half_pixel"));
  expect_compiles(*d, Precision::kFloat32);
}

TEST(ImageLoweringSource, ResizeNeedsConstantScales) {
  NodeUnderTest t("Resize", {random_floats({1, 1, 4, 4}), HostTensor(), floats({4}, {1, 1, 2, 2})},
                  resize_attributes("linear", "half_pixel"), 13, 1, {});
  t.node().output(0)->set_shape(ir::from_static({1, 1, 8, 8}));  // what a builder would know
  try {
    t.lower(Precision::kFloat32);
    FAIL() << "lowering accepted a run-time scales input";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("input 'scales' of Resize must be known at build time"),
              std::string::npos)
        << e.what();
  }
}

TEST(ImageLoweringSource, ResizeIdentityAxesIndexDirectly) {
  auto t = resize_by_scales(random_floats({2, 3, 4, 4}), {1, 1, 2, 2},
                            resize_attributes("nearest", "asymmetric"));
  const auto ctx = t->lower(Precision::kFloat32);
  const std::vector<ops::KernelLaunch> launches = ctx->launches();
  ASSERT_EQ(launches.size(), 1u);
  const std::string& source = launches[0].source;
  EXPECT_EQ(source.find("idx0["), std::string::npos);  // N and C are not resampled
  EXPECT_NE(source.find("idx2["), std::string::npos);
}

TEST(ImageLoweringSource, ResizeSumsInDoubleExceptFor16BitStorage) {
  auto t = resize_by_scales(random_floats({1, 1, 4, 4}), {1, 1, 1.5F, 0.7F},
                            resize_attributes("cubic", "tf_crop_and_resize"), kRoi);
  for (const auto& [precision, type] :
       std::vector<std::pair<Precision, std::string>>{{Precision::kFloat32, "typedef double W;"},
                                                      {Precision::kFloat16, "typedef float W;"}}) {
    const auto ctx = t->lower(precision);
    const std::vector<ops::KernelLaunch> launches = ctx->launches();
    ASSERT_EQ(launches.size(), 1u);
    const std::string& source = launches[0].source;
    EXPECT_NE(source.find(type), std::string::npos) << source;
    // The sum and the roi coordinate go through the uncontracted helpers.
    EXPECT_NE(source.find("sum = trt_add(sum, trt_mul("), std::string::npos) << source;
    EXPECT_NE(source.find("trt_add(trt_mul("), std::string::npos) << source;
    expect_compiles(*t, precision);
  }
}

TEST(ImageLoweringSource, GridSampleCompilesForEveryMode) {
  for (const std::string mode : {"bilinear", "nearest", "bicubic"}) {
    for (const std::string padding : {"zeros", "border", "reflection"}) {
      for (const std::int64_t align : {0, 1}) {
        ir::Attributes a;
        a.set("mode", mode);
        a.set("padding_mode", padding);
        a.set("align_corners", align);
        NodeUnderTest t("GridSample",
                        {random_floats({1, 2, 4, 5}), random_floats({1, 3, 2, 2}, -1.3F, 1.3F)}, a,
                        16);
        expect_compiles(t, align ? Precision::kFloat16 : Precision::kFloat32);
      }
    }
  }
}

TEST(ImageLoweringSource, PadCompilesForEveryModeAndNeedsConstantPads) {
  for (const std::string mode : {"constant", "reflect", "edge", "wrap"}) {
    ir::Attributes a;
    a.set("mode", mode);
    NodeUnderTest t("Pad",
                    {random_floats({2, 3, 4}), ints({6}, {0, 2, -1, 1, 3, 1}), floats({}, {0.5F})},
                    a, 19, 1, {1, 2});
    expect_compiles(t, Precision::kFloat32);
  }
  // A run-time constant_value is read on the device.
  NodeUnderTest runtime_value(
      "Pad", {random_floats({2, 3}), ints({4}, {1, 1, 1, 1}), floats({}, {2})}, {}, 19, 1, {1});
  expect_compiles(runtime_value, Precision::kFloat16);
  NodeUnderTest runtime_pads("Pad", {random_floats({2, 3}), ints({4}, {1, 1, 1, 1})}, {}, 19, 1,
                             {});
  runtime_pads.node().output(0)->set_shape(ir::from_static({4, 5}));
  try {
    runtime_pads.lower(Precision::kFloat32);
    ADD_FAILURE() << "lowering accepted run-time pads";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("input 'pads' of Pad must be known at build time"),
              std::string::npos)
        << e.what();
  }
}

TEST(ImageLoweringSource, DepthSpaceCompiles) {
  for (const std::string mode : {"DCR", "CRD"}) {
    ir::Attributes a;
    a.set("blocksize", std::int64_t{2});
    a.set("mode", mode);
    NodeUnderTest t("DepthToSpace", {random_floats({1, 8, 3, 5})}, a, 13);
    expect_compiles(t, Precision::kFloat32);
  }
  ir::Attributes a;
  a.set("blocksize", std::int64_t{3});
  NodeUnderTest t("SpaceToDepth", {random_floats({2, 2, 6, 9})}, a, 13);
  expect_compiles(t, Precision::kFloat16);
}

// --- GPU: lowered kernels vs the CPU reference ------------------------------------

TEST(ImageLoweringGpu, ResizeMatchesCpuForEveryMode) {
  TRTUTILS_REQUIRE_GPU();
  const std::vector<Shape> shapes = {{1, 1, 1, 1}, {1, 2, 5, 7}, {2, 3, 17, 9}};
  for (const Shape& shape : shapes) {
    const HostTensor x = random_floats(shape);
    for (const std::vector<float>& scales : std::vector<std::vector<float>>{
             {1, 1, 1.7F, 0.6F}, {1, 1, 2, 3}, {1, 1, 0.5F, 0.34F}, {1, 2, 1.25F, 1}}) {
      for (const std::string& coordinates : kCoordinateModes) {
        for (const std::string& nearest : kNearestModes) {
          auto t =
              resize_by_scales(x, scales, resize_attributes("nearest", coordinates, nearest), kRoi);
          expect_matches_cpu(*t, Precision::kFloat32);
        }
        auto linear = resize_by_scales(x, scales, resize_attributes("linear", coordinates), kRoi);
        expect_matches_cpu(*linear, Precision::kFloat32);
        expect_matches_cpu(*linear, Precision::kFloat16, 1e-2);
        for (const std::int64_t exclude : {0, 1}) {
          auto cubic = resize_by_scales(
              x, scales, resize_attributes("cubic", coordinates, "floor", exclude), kRoi);
          expect_matches_cpu(*cubic, Precision::kFloat32);
        }
      }
    }
  }
}

// f32 Resize sums in double in the CPU's order (resize.cpp), so it agrees with
// the CPU to f32 rounding (default tolerance 1e-6 * max(|e|, 1)) even where
// cubic lobes cancel: outputs near 0 from inputs up to 255, where an f32 sum
// was off by ~1e-4.
TEST(ImageLoweringGpu, ResizeFullHdFrameMatchesCpu) {
  TRTUTILS_REQUIRE_GPU();
  NodeUnderTest t("Resize",
                  {random_floats({1, 3, 1081, 1919}, 0, 255), HostTensor(), HostTensor(),
                   ints({4}, {1, 3, 640, 641})},
                  resize_attributes("linear", "half_pixel"), 13, 1, {3});
  expect_matches_cpu(t, Precision::kFloat32);
  NodeUnderTest cubic("Resize",
                      {random_floats({1, 3, 1081, 1919}, 0, 255), HostTensor(), HostTensor(),
                       ints({4}, {1, 3, 333, 517})},
                      resize_attributes("cubic", "align_corners"), 13, 1, {3});
  expect_matches_cpu(cubic, Precision::kFloat32);
}

TEST(ImageLoweringGpu, UpsampleAndIntegerResizeMatchCpu) {
  TRTUTILS_REQUIRE_GPU();
  for (const std::string mode : {"nearest", "linear"}) {
    ir::Attributes a;
    a.set("mode", mode);
    NodeUnderTest t("Upsample", {random_floats({1, 2, 5, 3}), floats({4}, {1, 1, 2, 0.5F})}, a, 9,
                    1, {1});
    expect_matches_cpu(t, Precision::kFloat32, 1e-5);
  }
  std::vector<std::uint8_t> bytes(45);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 37 % 251);
  auto t = resize_by_scales(HostTensor::from_values(Shape{1, 1, 5, 9}, bytes), {1, 1, 2.5F, 1.5F},
                            resize_attributes("linear", "half_pixel"));
  expect_matches_cpu(*t, Precision::kFloat32, 0.0);
}

TEST(ImageLoweringGpu, GridSampleMatchesCpuForEveryMode) {
  TRTUTILS_REQUIRE_GPU();
  for (const Shape& in : std::vector<Shape>{{1, 1, 1, 1}, {2, 3, 7, 5}}) {
    const HostTensor x = random_floats(in);
    const HostTensor grid = random_floats({in[0], 6, 9, 2}, -1.4F, 1.4F, 11);
    for (const std::string mode : {"bilinear", "nearest", "bicubic"}) {
      for (const std::string padding : {"zeros", "border", "reflection"}) {
        for (const std::int64_t align : {0, 1}) {
          ir::Attributes a;
          a.set("mode", mode);
          a.set("padding_mode", padding);
          a.set("align_corners", align);
          NodeUnderTest t("GridSample", {x, grid}, a, 16);
          expect_matches_cpu(t, Precision::kFloat32, mode == "bicubic" ? 1e-4 : 1e-5);
          expect_matches_cpu(t, Precision::kFloat16, 1e-2);
        }
      }
    }
  }
}

TEST(ImageLoweringGpu, PadMatchesCpuForEveryMode) {
  TRTUTILS_REQUIRE_GPU();
  for (const std::string mode : {"constant", "reflect", "edge", "wrap"}) {
    ir::Attributes a;
    a.set("mode", mode);
    NodeUnderTest t("Pad",
                    {random_floats({2, 3, 4}), ints({6}, {0, 2, -1, 1, 3, 2}), floats({}, {0.5F})},
                    a, 19, 1, {1, 2});
    expect_matches_cpu(t, Precision::kFloat32, 0.0);
    expect_matches_cpu(t, Precision::kFloat16, 0.0);
    NodeUnderTest one("Pad", {random_floats({1, 1}), ints({4}, {2, 3, 1, 2})}, a, 19, 1, {1});
    expect_matches_cpu(one, Precision::kFloat32, 0.0);
  }
  NodeUnderTest runtime_value(
      "Pad", {random_floats({3, 5}), ints({4}, {1, 2, 3, 0}), floats({}, {7})}, {}, 19, 1, {1});
  expect_matches_cpu(runtime_value, Precision::kFloat32, 0.0);
}

TEST(ImageLoweringGpu, DepthSpaceMatchesCpu) {
  TRTUTILS_REQUIRE_GPU();
  for (const std::string mode : {"DCR", "CRD"}) {
    ir::Attributes a;
    a.set("blocksize", std::int64_t{2});
    a.set("mode", mode);
    NodeUnderTest t("DepthToSpace", {random_floats({2, 12, 3, 5})}, a, 13);
    expect_matches_cpu(t, Precision::kFloat32, 0.0);
  }
  ir::Attributes a;
  a.set("blocksize", std::int64_t{3});
  NodeUnderTest t("SpaceToDepth", {random_floats({2, 2, 6, 9})}, a, 13);
  expect_matches_cpu(t, Precision::kFloat32, 0.0);
}

}  // namespace
}  // namespace trtutils::testing
