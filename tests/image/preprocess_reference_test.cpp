// The CPU reference of pre-processing against values worked out by hand, and
// the generated kernel source compiled with NVRTC (no GPU needed).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "trtutils/core/nvrtc_compiler.hpp"
#include "trtutils/image/preprocess.hpp"

namespace {

using namespace trtutils::image;
using trtutils::DType;

TEST(LetterboxGeometry, FullHdTo640IsOneThirdWith140RowsAboveAndBelow) {
  const ImageTransform t = compute_transform(1920, 1080, PreprocessOptions{});
  EXPECT_DOUBLE_EQ(t.scale_x, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(t.scale_y, 1.0 / 3.0);
  EXPECT_EQ(t.resized_width, 640);
  EXPECT_EQ(t.resized_height, 360);
  EXPECT_EQ(t.pad_left, 0);
  EXPECT_EQ(t.pad_top, 140);  // 640 - 360 - 140 = 140 below
}

TEST(LetterboxGeometry, PortraitImagePadsLeftAndRight) {
  // 480x640 -> 640: r = 1, resized 480x640, dw = 80.
  const ImageTransform t = compute_transform(480, 640, PreprocessOptions{});
  EXPECT_EQ(t.resized_width, 480);
  EXPECT_EQ(t.resized_height, 640);
  EXPECT_EQ(t.pad_left, 80);
  EXPECT_EQ(t.pad_top, 0);
}

TEST(LetterboxGeometry, OddPaddingPutsTheExtraPixelAfterTheImage) {
  // 1x2000 -> 640: r = 0.32, resized round(0.32) = 0 -> clamped to 1 wide,
  // 640 high; dw = 319.5, left = round(319.4) = 319, right = 320.
  const ImageTransform t = compute_transform(1, 2000, PreprocessOptions{});
  EXPECT_EQ(t.resized_width, 1);
  EXPECT_EQ(t.resized_height, 640);
  EXPECT_EQ(t.pad_left, 319);
}

TEST(StretchGeometry, ScalesEachAxisOnItsOwn) {
  PreprocessOptions o;
  o.resize = ResizeMode::kStretch;
  const ImageTransform t = compute_transform(1280, 320, o);
  EXPECT_EQ(t.resized_width, 640);
  EXPECT_EQ(t.resized_height, 640);
  EXPECT_DOUBLE_EQ(t.scale_x, 0.5);
  EXPECT_DOUBLE_EQ(t.scale_y, 2.0);
  EXPECT_EQ(t.pad_left, 0);
  EXPECT_EQ(t.pad_top, 0);
}

// A 2x2 grey image upsampled to 4x4 (scale 0.5 each way):
//   f(d) = (d + 0.5) * 0.5 - 0.5 = -0.25, 0.25, 0.75, 1.25 for d = 0..3
//   -> taps (0,0 w0) [clamped], (0,1 w.25), (0,1 w.75), (1,1 w0) [clamped]
// With pixels a=0 b=100 / c=200 d=40, row 0 is a + w (b - a) = 0, 25, 75, 100,
// row 3 is c + w (d - c) = 200, 160, 80, 40; rows 1 and 2 blend those with
// weights .25 and .75, e.g. (1,1) = 25 + .25 * (160 - 25) = 58.75.
TEST(PreprocessReference, BilinearTwoByTwoToFourByFourMatchesHandValues) {
  const std::vector<std::uint8_t> pixels = {0, 100, 200, 40};
  const ImageView image{pixels.data(), 2, 2, 0, PixelFormat::kGray8, MemoryKind::kHost};
  PreprocessOptions o;
  o.output_width = 4;
  o.output_height = 4;
  o.resize = ResizeMode::kStretch;
  o.scale = 1.0f;
  const auto out = preprocess_reference(std::span(&image, 1), o);
  ASSERT_EQ(out.shape(), (trtutils::Shape{1, 1, 4, 4}));
  const std::vector<float> want = {0,   25,      75,     100,  //
                                   50,  58.75f,  76.25f, 85,   //
                                   150, 126.25f, 78.75f, 55,   //
                                   200, 160,     80,     40};
  const auto got = out.values<float>();
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(got[i], want[i]) << "element " << i;
}

TEST(PreprocessReference, LetterboxPadsWith114AndNormalises) {
  // 2x1 BGR image into a 2x2 letterbox: r = 1, resized 2x1, top = round(0.4) = 0,
  // so row 0 is the image and row 1 is padding.
  const std::vector<std::uint8_t> pixels = {10, 20, 30, 40, 50, 60};  // B G R, B G R
  const ImageView image{pixels.data(), 2, 1, 0, PixelFormat::kBGR8, MemoryKind::kHost};
  PreprocessOptions o;
  o.output_width = 2;
  o.output_height = 2;
  o.scale = 1.0f;
  o.mean = {1.0f, 2.0f, 3.0f};
  o.std = {2.0f, 4.0f, 0.5f};
  std::vector<ImageTransform> transforms;
  const auto out = preprocess_reference(std::span(&image, 1), o, &transforms);
  ASSERT_EQ(transforms.size(), 1u);
  EXPECT_EQ(transforms[0].pad_top, 0);
  const auto v = out.values<float>();
  // NCHW, RGB: channel 0 = R = (30 - 1) / 2, (60 - 1) / 2, pad (114 - 1) / 2.
  EXPECT_FLOAT_EQ(v[0], 14.5f);
  EXPECT_FLOAT_EQ(v[1], 29.5f);
  EXPECT_FLOAT_EQ(v[2], 56.5f);
  EXPECT_FLOAT_EQ(v[3], 56.5f);
  // channel 1 = G = (20 - 2) / 4, (50 - 2) / 4
  EXPECT_FLOAT_EQ(v[4], 4.5f);
  EXPECT_FLOAT_EQ(v[5], 12.0f);
  // channel 2 = B = (10 - 3) / 0.5, pad (114 - 3) / 0.5
  EXPECT_FLOAT_EQ(v[8], 14.0f);
  EXPECT_FLOAT_EQ(v[11], 222.0f);
}

TEST(PreprocessReference, NhwcBgrOrderKeepsTheSourceBytes) {
  const std::vector<std::uint8_t> pixels = {1, 2, 3, 0, 4, 5, 6, 0};  // BGRA, two pixels
  const ImageView image{pixels.data(), 2, 1, 0, PixelFormat::kBGRA8, MemoryKind::kHost};
  PreprocessOptions o;
  o.output_width = 2;
  o.output_height = 1;
  o.resize = ResizeMode::kStretch;
  o.layout = TensorLayout::kNHWC;
  o.channel_order = ChannelOrder::kBGR;
  o.scale = 1.0f;
  const auto out = preprocess_reference(std::span(&image, 1), o);
  ASSERT_EQ(out.shape(), (trtutils::Shape{1, 1, 2, 3}));
  const auto v = out.values<float>();
  const std::vector<float> want = {1, 2, 3, 4, 5, 6};
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(v[i], want[i]);
}

TEST(PreprocessReference, HonoursTheRowStride) {
  // 1x2 grey image with 3 bytes per row (2 of them padding).
  const std::vector<std::uint8_t> pixels = {7, 99, 99, 9};
  const ImageView image{pixels.data(), 1, 2, 3, PixelFormat::kGray8, MemoryKind::kHost};
  PreprocessOptions o;
  o.output_width = 1;
  o.output_height = 2;
  o.resize = ResizeMode::kStretch;
  o.scale = 1.0f;
  const auto out = preprocess_reference(std::span(&image, 1), o);
  const auto v = out.values<float>();
  EXPECT_EQ(v[0], 7.0f);
  EXPECT_EQ(v[1], 9.0f);
}

TEST(PreprocessReference, F16OutputIsTheRoundedF32Value) {
  const std::vector<std::uint8_t> pixels = {255, 1, 77};
  const ImageView image{pixels.data(), 3, 1, 0, PixelFormat::kGray8, MemoryKind::kHost};
  PreprocessOptions o;
  o.output_width = 3;
  o.output_height = 1;
  o.resize = ResizeMode::kStretch;
  const auto f32 = preprocess_reference(std::span(&image, 1), o);
  o.output_dtype = DType::kFloat16;
  const auto f16 = preprocess_reference(std::span(&image, 1), o);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(f16.values<trtutils::Half>()[i], trtutils::Half(f32.values<float>()[i]));
  }
}

TEST(PreprocessReference, RefusesMixedFormatsAndDeviceImages) {
  const std::vector<std::uint8_t> pixels(12, 0);
  const ImageView bgr{pixels.data(), 2, 2, 0, PixelFormat::kBGR8, MemoryKind::kHost};
  const ImageView gray{pixels.data(), 2, 2, 0, PixelFormat::kGray8, MemoryKind::kHost};
  const std::vector<ImageView> mixed = {bgr, gray};
  EXPECT_THROW(preprocess_reference(mixed, PreprocessOptions{}), trtutils::InvalidArgument);
  ImageView device = bgr;
  device.memory = MemoryKind::kDevice;
  EXPECT_THROW(preprocess_reference(std::span(&device, 1), PreprocessOptions{}),
               trtutils::InvalidArgument);
  ImageView narrow = bgr;
  narrow.stride_bytes = 5;
  EXPECT_THROW(preprocess_reference(std::span(&narrow, 1), PreprocessOptions{}),
               trtutils::InvalidArgument);
}

TEST(PreprocessKernelSource, CompilesForSm90InEveryConfiguration) {
  for (const auto format : {PixelFormat::kBGR8, PixelFormat::kRGB8, PixelFormat::kBGRA8,
                            PixelFormat::kRGBA8, PixelFormat::kGray8}) {
    for (const auto layout : {TensorLayout::kNCHW, TensorLayout::kNHWC}) {
      for (const auto dtype : {DType::kFloat32, DType::kFloat16}) {
        const PreprocessKernelConfig config{format, ChannelOrder::kRGB, layout, dtype};
        const auto compiled = trtutils::core::compile_to_ptx(generate_preprocess_source(config),
                                                             kPreprocessKernelName,
                                                             preprocess_nvrtc_options(), "sm_90");
        EXPECT_NE(compiled.code.find(".entry trtutils_preprocess("), std::string::npos);
        EXPECT_NE(compiled.code.find(".entry trtutils_preprocess_table("), std::string::npos);
        EXPECT_EQ(compiled.lowered_name, "trtutils_preprocess");
        // The by-value table is read in place (__grid_constant__), never copied to
        // per-thread local memory, and nothing else spills either.
        EXPECT_EQ(compiled.code.find("__local_depot"), std::string::npos)
            << pixel_format_name(format) << " uses local memory";
      }
    }
  }
}

TEST(PreprocessKernelSource, TheTableEntryPointCompilesOnItsOwn) {
  const PreprocessKernelConfig config{PixelFormat::kBGR8, ChannelOrder::kRGB, TensorLayout::kNCHW,
                                      DType::kFloat16};
  const auto compiled =
      trtutils::core::compile_to_ptx(generate_preprocess_source(config), kPreprocessTableKernelName,
                                     preprocess_nvrtc_options(), "sm_90");
  EXPECT_EQ(compiled.lowered_name, "trtutils_preprocess_table");
}

// The part of the PTX from entry `name` to the next entry (or the end).
std::string entry_body(const std::string& ptx, const std::string& name) {
  const std::size_t begin = ptx.find(".entry " + name + "(");
  if (begin == std::string::npos) return {};
  const std::size_t next = ptx.find(".entry ", begin + 1);
  return ptx.substr(begin, next == std::string::npos ? std::string::npos : next - begin);
}

TEST(PreprocessKernelSource, OnSm90BothEntryPointsWaitForEarlierKernelsBeforeAnyGlobalAccess) {
  // The PDL rule of preprocess_kernel.cuh, checked in the code NVRTC emits: in each
  // entry point griddepcontrol.wait comes before the first global load or store, and
  // dependents are released right after it.
  for (const auto dtype : {DType::kFloat32, DType::kFloat16}) {
    const PreprocessKernelConfig config{PixelFormat::kBGR8, ChannelOrder::kRGB, TensorLayout::kNCHW,
                                        dtype};
    const auto ptx =
        trtutils::core::compile_to_ptx(generate_preprocess_source(config), kPreprocessKernelName,
                                       preprocess_nvrtc_options(), "sm_90")
            .code;
    for (const std::string name : {"trtutils_preprocess", "trtutils_preprocess_table"}) {
      SCOPED_TRACE(name);
      const std::string body = entry_body(ptx, name);
      ASSERT_FALSE(body.empty());
      const std::size_t wait = body.find("griddepcontrol.wait");
      ASSERT_NE(wait, std::string::npos);
      EXPECT_LT(wait, body.find("griddepcontrol.launch_dependents"));
      EXPECT_LT(wait, body.find("ld.global"));
      EXPECT_LT(wait, body.find("st.global"));
    }
  }
}

TEST(PreprocessKernelSource, BeforeSm90TheDependencyInstructionsAreCompiledOut) {
  const PreprocessKernelConfig config{PixelFormat::kBGR8, ChannelOrder::kRGB, TensorLayout::kNCHW,
                                      DType::kFloat32};
  const auto ptx =
      trtutils::core::compile_to_ptx(generate_preprocess_source(config), kPreprocessKernelName,
                                     preprocess_nvrtc_options(), "sm_80")
          .code;
  EXPECT_NE(ptx.find(".entry trtutils_preprocess("), std::string::npos);
  EXPECT_EQ(ptx.find("griddepcontrol"), std::string::npos);
}

TEST(PreprocessKernelSource, TheTuningSetsBlockRowsAndStagingLoads) {
  const PreprocessKernelConfig config{PixelFormat::kBGR8, ChannelOrder::kRGB, TensorLayout::kNCHW,
                                      DType::kFloat32};
  PreprocessTuning tuning;
  tuning.tile_rows = 8;
  tuning.staging_loads = 2;
  const std::string source = generate_preprocess_source(config, tuning);
  EXPECT_NE(source.find("#define TILE_ROWS 8\n"), std::string::npos);
  EXPECT_NE(source.find("#define STAGING_LOADS 2\n"), std::string::npos);
  const auto compiled = trtutils::core::compile_to_ptx(source, kPreprocessKernelName,
                                                       preprocess_nvrtc_options(), "sm_90");
  EXPECT_NE(compiled.code.find(".maxntid 256, 1, 1"), std::string::npos);  // 32 x 8 threads
  EXPECT_EQ(compiled.code.find("__local_depot"), std::string::npos);
  const std::string defaults = generate_preprocess_source(config);
  EXPECT_NE(defaults.find("#define TILE_ROWS 4\n"), std::string::npos);
  EXPECT_NE(defaults.find("#define STAGING_LOADS 4\n"), std::string::npos);
}

TEST(PreprocessTuning, RefusesBlockRowsAndStagingLoadsOutOfRange) {
  const PreprocessKernelConfig config{};
  const std::vector<PreprocessImageParams> one(1);
  for (const auto& [rows, loads] :
       {std::pair{0, 4}, std::pair{33, 4}, std::pair{4, 0}, std::pair{4, 9}}) {
    PreprocessTuning bad;
    bad.tile_rows = rows;
    bad.staging_loads = loads;
    EXPECT_THROW(check_tuning(bad), trtutils::InvalidArgument) << rows << " " << loads;
    EXPECT_THROW(generate_preprocess_source(config, bad), trtutils::InvalidArgument);
    EXPECT_THROW(plan_preprocess_launch(one, PixelFormat::kBGR8, PreprocessOptions{}, nullptr, bad),
                 trtutils::InvalidArgument);
    EXPECT_THROW(Preprocessor(PreprocessOptions{}, bad), trtutils::InvalidArgument);
  }
  PreprocessTuning edge;
  edge.tile_rows = 32;
  edge.staging_loads = 8;
  EXPECT_NO_THROW(check_tuning(edge));
  edge.tile_rows = 1;
  edge.staging_loads = 1;
  EXPECT_NO_THROW(check_tuning(edge));
}

TEST(PreprocessTuning, TheDefaultIsFourRowsFourLoadsWithPdlAndHasAName) {
  const PreprocessTuning tuning;
  EXPECT_EQ(tuning.tile_rows, 4);
  EXPECT_EQ(tuning.staging_loads, 4);
  EXPECT_TRUE(tuning.programmatic_dependent_launch);
  EXPECT_EQ(tuning_name(tuning), "rows 4, loads 4, PDL on");
  PreprocessTuning other;
  other.tile_rows = 16;
  other.staging_loads = 1;
  other.programmatic_dependent_launch = false;
  EXPECT_EQ(tuning_name(other), "rows 16, loads 1, PDL off");
}

TEST(PreprocessLaunchPlan, BlockRowsSetTheGridHeightAndTheSharedMemory) {
  const std::uint8_t pixel = 0;
  const ImageView hd{&pixel, 1920, 1080, 0, PixelFormat::kBGR8, MemoryKind::kDevice};
  const std::vector<PreprocessImageParams> params = {
      preprocess_image_params(hd, PreprocessOptions{})};
  PreprocessOptions o;
  o.output_height = 637;
  PreprocessTuning tuning;
  tuning.tile_rows = 8;
  auto plan = plan_preprocess_launch(params, PixelFormat::kBGR8, o, nullptr, tuning);
  EXPECT_EQ(plan.grid_y, 80u);  // ceil(637 / 8)
  EXPECT_EQ(plan.block_y, 8u);
  EXPECT_EQ(plan.row_pitch, 1184);
  EXPECT_EQ(plan.shared_bytes, 16u * 1184u);
  tuning.tile_rows = 32;  // 64 rows x 1184 bytes > 48 KiB: global-memory sampling
  plan = plan_preprocess_launch(params, PixelFormat::kBGR8, o, nullptr, tuning);
  EXPECT_EQ(plan.grid_y, 20u);
  EXPECT_EQ(plan.row_pitch, 0);
  EXPECT_EQ(plan.shared_bytes, 0u);
  plan = plan_preprocess_launch(params, PixelFormat::kBGR8, o, nullptr);
  EXPECT_EQ(plan.block_y, 4u);
  EXPECT_EQ(plan.grid_y, 160u);
}

TEST(PreprocessLaunchPlan, ParametersGoByValueUpToSixteenImages) {
  EXPECT_TRUE(preprocess_params_by_value(1));
  EXPECT_TRUE(preprocess_params_by_value(16));
  EXPECT_FALSE(preprocess_params_by_value(17));
  const std::vector<PreprocessImageParams> sixteen(16), seventeen(17);
  EXPECT_TRUE(plan_preprocess_launch(sixteen, PixelFormat::kBGR8, PreprocessOptions{}, nullptr)
                  .params_by_value);
  EXPECT_FALSE(plan_preprocess_launch(seventeen, PixelFormat::kBGR8, PreprocessOptions{}, nullptr)
                   .params_by_value);
}

TEST(PreprocessLaunchPlan, VectorStoresNeedAnAlignedOutputAndAWidthDivisibleByFour) {
  const std::vector<PreprocessImageParams> one(1);
  PreprocessOptions o;  // 640 wide, f32: 16-byte stores
  alignas(16) static float buffer[8];
  EXPECT_TRUE(plan_preprocess_launch(one, PixelFormat::kBGR8, o, buffer).vector_stores);
  EXPECT_FALSE(plan_preprocess_launch(one, PixelFormat::kBGR8, o, buffer + 2).vector_stores);
  o.output_dtype = DType::kFloat16;  // 8-byte stores: 8-byte alignment is enough
  EXPECT_TRUE(plan_preprocess_launch(one, PixelFormat::kBGR8, o, buffer + 2).vector_stores);
  EXPECT_FALSE(plan_preprocess_launch(one, PixelFormat::kBGR8, o, buffer + 1).vector_stores);
  o.output_width = 638;
  EXPECT_FALSE(plan_preprocess_launch(one, PixelFormat::kBGR8, o, buffer).vector_stores);
}

TEST(PreprocessLaunchPlan, GridCoversTheOutputInTilesOf128By4) {
  const std::vector<PreprocessImageParams> three(3);
  PreprocessOptions o;
  o.output_width = 641;
  o.output_height = 637;
  const auto plan = plan_preprocess_launch(three, PixelFormat::kBGR8, o, nullptr);
  EXPECT_EQ(plan.grid_x, 6u);    // ceil(641 / 128)
  EXPECT_EQ(plan.grid_y, 160u);  // ceil(637 / 4)
  EXPECT_EQ(plan.grid_z, 3u);
}

TEST(PreprocessLaunchPlan, RowPitchFitsTheWidestWarpSpanOrFallsBackToGlobalReads) {
  // 1920 -> 640 (scale 3): 127 * 3 + 4 = 385 columns x 3 bytes = 1155, + 15
  // alignment -> 1184 bytes per row, 8 rows per block.
  const std::uint8_t pixel = 0;
  const ImageView hd{&pixel, 1920, 1080, 0, PixelFormat::kBGR8, MemoryKind::kDevice};
  std::vector<PreprocessImageParams> params = {preprocess_image_params(hd, PreprocessOptions{})};
  auto plan = plan_preprocess_launch(params, PixelFormat::kBGR8, PreprocessOptions{}, nullptr);
  EXPECT_EQ(plan.row_pitch, 1184);
  EXPECT_EQ(plan.shared_bytes, 8u * 1184u);
  // A 1-pixel-wide image never spans more than its one column.
  const ImageView thin{&pixel, 1, 2000, 0, PixelFormat::kBGR8, MemoryKind::kDevice};
  params = {preprocess_image_params(thin, PreprocessOptions{})};
  plan = plan_preprocess_launch(params, PixelFormat::kBGR8, PreprocessOptions{}, nullptr);
  EXPECT_EQ(plan.row_pitch, 32);  // 3 bytes + 15 alignment, rounded up to 16
  // 20000 -> 640 (scale 31.25): 3973 columns x 3 bytes per row x 8 rows > 48 KiB.
  const ImageView wide{&pixel, 20000, 10, 0, PixelFormat::kBGR8, MemoryKind::kDevice};
  params.push_back(preprocess_image_params(wide, PreprocessOptions{}));
  plan = plan_preprocess_launch(params, PixelFormat::kBGR8, PreprocessOptions{}, nullptr);
  EXPECT_EQ(plan.row_pitch, 0);
  EXPECT_EQ(plan.shared_bytes, 0u);
}

TEST(PreprocessLaunchPlan, RefusesBatchesOneLaunchCannotTake) {
  const std::vector<PreprocessImageParams> none;
  EXPECT_THROW(plan_preprocess_launch(none, PixelFormat::kBGR8, PreprocessOptions{}, nullptr),
               trtutils::InvalidArgument);
  PreprocessOptions tall;
  tall.output_height = 65535 * 4 + 1;
  const std::vector<PreprocessImageParams> one(1);
  EXPECT_THROW(plan_preprocess_launch(one, PixelFormat::kBGR8, tall, nullptr),
               trtutils::InvalidArgument);
}

TEST(PreprocessBytesRead, FullHdToLetterbox640ReadsEveryThirdRowOnly) {
  // fy = 3 dy + 1 exactly: weight 0, so only rows 1, 4, ..., 1078 (360 of them) are
  // read, each across its whole 5760-byte width (columns 1 .. 1919: sectors 0 .. 179).
  const std::uint8_t pixel = 0;
  const ImageView hd{&pixel, 1920, 1080, 0, PixelFormat::kBGR8, MemoryKind::kHost};
  EXPECT_EQ(preprocess_source_bytes_read(hd, PreprocessOptions{}), 360u * 5760u);
}

TEST(PreprocessBytesRead, UpscaleReadsEveryRowOnceInWholeSectors) {
  // 2x2 grey -> 4x4 stretch: rows 0 and 1 both have weighted taps; each row's two
  // bytes sit in one 32-byte sector (stride 2: both rows in the same sector).
  const std::uint8_t pixels[4] = {};
  const ImageView tiny{pixels, 2, 2, 0, PixelFormat::kGray8, MemoryKind::kHost};
  PreprocessOptions o;
  o.resize = ResizeMode::kStretch;
  o.output_width = 4;
  o.output_height = 4;
  // Sectors are counted per row: row 0 -> sector 0, row 1 -> sector 0 again.
  EXPECT_EQ(preprocess_source_bytes_read(tiny, o), 64u);
  // With a 64-byte stride the two rows are in different sectors as well.
  const std::vector<std::uint8_t> strided(128, 0);
  const ImageView spaced{strided.data(), 2, 2, 64, PixelFormat::kGray8, MemoryKind::kHost};
  EXPECT_EQ(preprocess_source_bytes_read(spaced, o), 64u);
}

TEST(PreprocessKernelSource, SwapsChannelsOnlyWhenTheOrdersDiffer) {
  const auto swap = generate_preprocess_source(
      {PixelFormat::kBGR8, ChannelOrder::kRGB, TensorLayout::kNCHW, DType::kFloat32});
  const auto keep = generate_preprocess_source(
      {PixelFormat::kRGB8, ChannelOrder::kRGB, TensorLayout::kNCHW, DType::kFloat32});
  EXPECT_NE(swap.find("return 2 - c;"), std::string::npos);
  EXPECT_NE(keep.find("return c;"), std::string::npos);
}

}  // namespace
