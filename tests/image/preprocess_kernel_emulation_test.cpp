// The pre-processing kernel's own code (src/image/preprocess_kernel.cuh), compiled
// for the host and run warp by warp, lane by lane (staging of every lane, then
// sampling of every lane, as __syncwarp orders them), against the CPU reference,
// bit for bit. This checks the kernel's tiling, shared-memory staging, tap spans
// and vector stores without a GPU: every global read must fall inside the image,
// every 16-byte load and vector store must be aligned, and nothing may be written
// outside a warp's shared-memory slots.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "trtutils/image/preprocess.hpp"
#include "trtutils/tensor/half.hpp"

namespace emulation {

// What the emulated memory accesses found wrong.
struct Checks {
  const unsigned char* image_begin = nullptr;
  const unsigned char* image_end = nullptr;
  std::size_t reads_outside_image = 0;
  std::size_t misaligned = 0;
};
Checks checks;

struct uint4 {
  unsigned x, y, z, w;
};
inline void check_read(const unsigned char* p, std::size_t bytes) {
  if (p < checks.image_begin || p + bytes > checks.image_end) ++checks.reads_outside_image;
}
inline void check_aligned(const void* p, std::size_t alignment) {
  if (reinterpret_cast<std::uintptr_t>(p) % alignment != 0) ++checks.misaligned;
}
inline unsigned char load_u8(const unsigned char* p) {
  check_read(p, 1);
  return *p;
}
inline uint4 load_16(const unsigned char* p) {
  check_read(p, 16);
  check_aligned(p, 16);
  uint4 v;
  std::memcpy(&v, p, 16);
  return v;
}
inline void store_16(unsigned char* p, uint4 v) {
  check_aligned(p, 16);
  std::memcpy(p, &v, 16);
}
template <typename T>
void store4_values(T* p, T a, T b, T c, T d) {
  check_aligned(p, 4 * sizeof(T));
  p[0] = a;
  p[1] = b;
  p[2] = c;
  p[3] = d;
}

}  // namespace emulation

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wcast-align"
#define TRTUTILS_PREPROCESS_EMULATION
#define TU_DEVICE inline
#define UNROLL
#define TILE_ROWS 4
#define TILE_WIDTH 128
#define PIXELS_PER_THREAD 4
#define INLINE_IMAGES 16
#define STAGING_LOADS 4

// One namespace per kernel configuration, as generate_preprocess_source would
// specialise it.
namespace bgr_nchw_f32 {  // BGR8 -> RGB order, planar f32
#include "image/emulated_bgr_nchw_f32.inc"
}  // namespace bgr_nchw_f32

// The same with one staging load in flight per lane (PreprocessTuning::staging_loads
// = 1), and with eight.
#undef STAGING_LOADS
#define STAGING_LOADS 1
namespace bgr_nchw_f32_one_load {
#include "image/emulated_bgr_nchw_f32.inc"
}  // namespace bgr_nchw_f32_one_load
#undef STAGING_LOADS
#define STAGING_LOADS 8
namespace bgr_nchw_f32_eight_loads {
#include "image/emulated_bgr_nchw_f32.inc"
}  // namespace bgr_nchw_f32_eight_loads
#undef STAGING_LOADS
#define STAGING_LOADS 4

namespace bgra_nhwc_f16 {  // BGRA8 -> RGB order, interleaved f16
using namespace emulation;
using emulation::uint4;  // not CUDA's, which the headers also declare
#define CHANNELS 3
#define BPP 4
#define NCHW 0
typedef std::uint16_t out_t;
inline out_t to_out(float v) { return trtutils::Half(v).bits; }
inline void store4(out_t* p, float a, float b, float c, float d) {
  store4_values(p, to_out(a), to_out(b), to_out(c), to_out(d));
}
inline int source_channel(int c) { return 2 - c; }
#include "image/preprocess_kernel.cuh"
#undef CHANNELS
#undef BPP
#undef NCHW
}  // namespace bgra_nhwc_f16

namespace gray_nchw_f16 {  // GRAY8 -> one planar f16 channel
using namespace emulation;
using emulation::uint4;  // not CUDA's, which the headers also declare
#define CHANNELS 1
#define BPP 1
#define NCHW 1
typedef std::uint16_t out_t;
inline out_t to_out(float v) { return trtutils::Half(v).bits; }
inline void store4(out_t* p, float a, float b, float c, float d) {
  store4_values(p, to_out(a), to_out(b), to_out(c), to_out(d));
}
inline int source_channel(int) { return 0; }
#include "image/preprocess_kernel.cuh"
#undef CHANNELS
#undef BPP
#undef NCHW
}  // namespace gray_nchw_f16

namespace rgb_nhwc_f32 {  // RGB8 -> RGB order (no swap), interleaved f32
using namespace emulation;
using emulation::uint4;  // not CUDA's, which the headers also declare
#define CHANNELS 3
#define BPP 3
#define NCHW 0
typedef float out_t;
inline out_t to_out(float v) { return v; }
inline void store4(out_t* p, float a, float b, float c, float d) { store4_values(p, a, b, c, d); }
inline int source_channel(int c) { return c; }
#include "image/preprocess_kernel.cuh"
#undef CHANNELS
#undef BPP
#undef NCHW
}  // namespace rgb_nhwc_f32
#pragma GCC diagnostic pop

namespace {

using namespace trtutils::image;
using trtutils::DType;

struct TestImage {
  std::vector<std::uint8_t> bytes;
  ImageView view;
};

// Random pixels; rows padded by `extra_stride` bytes of 0xEE; pixel (0, 0) sits
// `offset` bytes into the buffer, so that rows start at every alignment.
TestImage random_image(int width, int height, PixelFormat format, std::size_t extra_stride,
                       std::uint32_t seed, std::size_t offset = 0) {
  TestImage image;
  const std::size_t stride =
      static_cast<std::size_t>(width) * bytes_per_pixel(format) + extra_stride;
  image.bytes.assign(offset + stride * static_cast<std::size_t>(height), 0xEE);
  std::mt19937 rng(seed);
  for (int y = 0; y < height; ++y) {
    for (std::size_t x = 0; x < stride - extra_stride; ++x)
      image.bytes[offset + static_cast<std::size_t>(y) * stride + x] =
          static_cast<std::uint8_t>(rng());
  }
  image.view = {image.bytes.data() + offset, width, height, stride, format, MemoryKind::kHost};
  return image;
}

std::vector<TestImage> awkward_batch(PixelFormat format) {
  std::vector<TestImage> images;
  images.push_back(random_image(1, 1, format, 0, 1, 3));
  images.push_back(random_image(1, 2000, format, 3, 2, 15));
  images.push_back(random_image(1919, 1081, format, 0, 3, 9));
  images.push_back(random_image(2000, 1, format, 0, 4, 1));
  images.push_back(random_image(37, 641, format, 5, 5, 14));
  return images;
}

std::vector<ImageView> views_of(const std::vector<TestImage>& images) {
  std::vector<ImageView> views;
  for (const auto& image : images) views.push_back(image.view);
  return views;
}

struct Run {
  std::vector<std::uint8_t> output;  // the batch tensor's bytes
  std::size_t staged_warps = 0;
  std::size_t direct_warps = 0;
  std::size_t guard_writes = 0;  // bytes written outside a warp's slots
};

// Runs the kernel of namespace-of(ImageParams) over the batch the way the GPU
// would: grid (x tiles, y tiles, images), warps of 32 lanes, `tile_rows` warps per
// block. `row_pitch` < 0 takes the plan's; `misalign_output` shifts the output by one
// element.
template <typename ImageParams, typename LaunchParams, typename OutT>
Run emulate(const std::vector<ImageView>& views, const PreprocessOptions& options, int row_pitch,
            bool misalign_output, int tile_rows) {
  static_assert(sizeof(ImageParams) == sizeof(PreprocessImageParams));
  std::vector<PreprocessImageParams> params;
  for (const ImageView& view : views) params.push_back(preprocess_image_params(view, options));
  std::size_t elements = 1;
  for (const auto d : output_shape(views.size(), views[0].format, options))
    elements *= static_cast<std::size_t>(d);
  std::vector<OutT> storage(elements + 1);
  OutT* out = storage.data() + (misalign_output ? 1 : 0);
  PreprocessTuning tuning;
  tuning.tile_rows = tile_rows;
  const PreprocessLaunch plan =
      plan_preprocess_launch(params, views[0].format, options, out, tuning);
  EXPECT_EQ(plan.block_y, static_cast<unsigned>(tile_rows));
  EXPECT_EQ(plan.vector_stores, !misalign_output && options.output_width % 4 == 0);

  const Normalisation norm = normalisation_of(options);
  LaunchParams lp{};
  for (int c = 0; c < 3; ++c) {
    lp.norm.mul[c] = norm.mul[static_cast<std::size_t>(c)];
    lp.norm.add[c] = norm.add[static_cast<std::size_t>(c)];
  }
  lp.pad_value = options.pad_value;
  lp.out_w = options.output_width;
  lp.out_h = options.output_height;
  lp.row_pitch = row_pitch < 0 ? plan.row_pitch : row_pitch;
  lp.vector_stores = plan.vector_stores ? 1 : 0;

  Run run;
  // One warp's two slots, 16-byte aligned, with 64 guard bytes on each side.
  const std::size_t slot_bytes = 2 * static_cast<std::size_t>(lp.row_pitch);
  std::vector<emulation::uint4> smem((slot_bytes + 128) / 16 + 1);
  auto* guard_front = reinterpret_cast<unsigned char*>(smem.data());
  unsigned char* slots = guard_front + 64;
  for (unsigned z = 0; z < plan.grid_z; ++z) {
    ImageParams p;
    std::memcpy(&p, &params[z], sizeof(p));
    emulation::checks.image_begin = static_cast<const unsigned char*>(views[z].data);
    emulation::checks.image_end = emulation::checks.image_begin + views[z].span_bytes();
    for (unsigned by = 0; by < plan.grid_y; ++by) {
      for (unsigned bx = 0; bx < plan.grid_x; ++bx) {
        for (int warp = 0; warp < tile_rows; ++warp) {
          const int y = static_cast<int>(by) * tile_rows + warp;
          const int x_tile = static_cast<int>(bx) * kPreprocessTileWidth;
          std::memset(guard_front, 0xA5, slot_bytes + 128);
          for (int lane = 0; lane < 32; ++lane)
            stage_rows(plan_row(p, lp, y, x_tile), slots, lp.row_pitch, lane);
          const auto r = plan_row(p, lp, y, x_tile);
          if (r.has_image) ++(r.staged ? run.staged_warps : run.direct_warps);
          for (int lane = 0; lane < 32; ++lane)
            write_pixels(plan_row(p, lp, y, x_tile), p, lp, slots, lane, out, static_cast<int>(z),
                         y, x_tile);
          for (std::size_t i = 0; i < 64; ++i) {
            if (guard_front[i] != 0xA5 || slots[slot_bytes + i] != 0xA5) ++run.guard_writes;
          }
        }
      }
    }
  }
  run.output.resize(elements * sizeof(OutT));
  std::memcpy(run.output.data(), out, run.output.size());
  return run;
}

void expect_identical(const std::vector<std::uint8_t>& got, const trtutils::HostTensor& cpu) {
  ASSERT_EQ(got.size(), cpu.byte_size());
  const std::size_t element = trtutils::dtype_size(cpu.dtype());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < got.size(); i += element) {
    if (std::memcmp(got.data() + i, static_cast<const std::uint8_t*>(cpu.data()) + i, element) !=
        0) {
      if (mismatches < 5)
        ADD_FAILURE() << "element " << i / element << " differs from the CPU reference";
      ++mismatches;
    }
  }
  EXPECT_EQ(mismatches, 0u) << "of " << got.size() / element << " elements";
}

template <typename ImageParams, typename LaunchParams, typename OutT>
Run check(const std::vector<ImageView>& views, const PreprocessOptions& options, int row_pitch = -1,
          bool misalign_output = false, int tile_rows = kPreprocessTileRows) {
  emulation::checks = {};
  Run run = emulate<ImageParams, LaunchParams, OutT>(views, options, row_pitch, misalign_output,
                                                     tile_rows);
  EXPECT_EQ(emulation::checks.reads_outside_image, 0u);
  EXPECT_EQ(emulation::checks.misaligned, 0u);
  EXPECT_EQ(run.guard_writes, 0u);
  expect_identical(run.output, preprocess_reference(views, options));
  return run;
}

TEST(PreprocessKernelEmulation, FullHdLetterboxBgrToNchwF32MatchesTheCpuBitForBit) {
  const auto image = random_image(1920, 1080, PixelFormat::kBGR8, 0, 11);
  PreprocessOptions o;
  o.mean = {0.485f, 0.456f, 0.406f};
  o.std = {0.229f, 0.224f, 0.225f};
  const auto run =
      check<bgr_nchw_f32::ImageParams, bgr_nchw_f32::LaunchParams, float>({image.view}, o);
  EXPECT_EQ(run.staged_warps, 5u * 360u);  // 5 tiles across, 360 image rows
  EXPECT_EQ(run.direct_warps, 0u);
}

TEST(PreprocessKernelEmulation, EveryStagingDepthMatchesTheCpuBitForBit) {
  // One load in flight per lane (three rounds for a 1920-pixel row's ~74 chunks), eight
  // (one round, most lanes with empty slots), on the full-HD job and awkward strides.
  const auto image = random_image(1920, 1080, PixelFormat::kBGR8, 0, 11);
  PreprocessOptions o;
  o.mean = {0.485f, 0.456f, 0.406f};
  o.std = {0.229f, 0.224f, 0.225f};
  const auto images = awkward_batch(PixelFormat::kBGR8);
  auto run = check<bgr_nchw_f32_one_load::ImageParams, bgr_nchw_f32_one_load::LaunchParams, float>(
      {image.view}, o);
  EXPECT_EQ(run.staged_warps, 5u * 360u);
  run = check<bgr_nchw_f32_one_load::ImageParams, bgr_nchw_f32_one_load::LaunchParams, float>(
      views_of(images), PreprocessOptions{});
  EXPECT_GT(run.staged_warps, 0u);
  run = check<bgr_nchw_f32_eight_loads::ImageParams, bgr_nchw_f32_eight_loads::LaunchParams, float>(
      {image.view}, o);
  EXPECT_EQ(run.staged_warps, 5u * 360u);
  run = check<bgr_nchw_f32_eight_loads::ImageParams, bgr_nchw_f32_eight_loads::LaunchParams, float>(
      views_of(images), PreprocessOptions{});
  EXPECT_GT(run.staged_warps, 0u);
}

TEST(PreprocessKernelEmulation, EveryBlockHeightCoversTheOutputAndMatches) {
  // 637 rows: not a multiple of 2, 8 or 16, so the last block has rows past the end.
  const auto images = awkward_batch(PixelFormat::kBGR8);
  PreprocessOptions o;
  o.output_height = 637;
  for (const int rows : {1, 2, 8, 16}) {
    SCOPED_TRACE(rows);
    const auto run = check<bgr_nchw_f32::ImageParams, bgr_nchw_f32::LaunchParams, float>(
        views_of(images), o, -1, false, rows);
    EXPECT_GT(run.staged_warps, 0u);
  }
}

TEST(PreprocessKernelEmulation, AwkwardSizesAndStridesInOneBatchMatch) {
  const auto images = awkward_batch(PixelFormat::kBGR8);
  const auto run = check<bgr_nchw_f32::ImageParams, bgr_nchw_f32::LaunchParams, float>(
      views_of(images), PreprocessOptions{});
  EXPECT_GT(run.staged_warps, 0u);
}

TEST(PreprocessKernelEmulation, SamplingStraightFromGlobalMemoryMatches) {
  // Row pitch 0: no staging at all; pitch 64: only warps whose span fits stage.
  const auto images = awkward_batch(PixelFormat::kBGR8);
  const auto views = views_of(images);
  auto run = check<bgr_nchw_f32::ImageParams, bgr_nchw_f32::LaunchParams, float>(
      views, PreprocessOptions{}, 0);
  EXPECT_EQ(run.staged_warps, 0u);
  EXPECT_GT(run.direct_warps, 0u);
  run = check<bgr_nchw_f32::ImageParams, bgr_nchw_f32::LaunchParams, float>(
      views, PreprocessOptions{}, 64);
  EXPECT_GT(run.staged_warps, 0u);
  EXPECT_GT(run.direct_warps, 0u);
}

TEST(PreprocessKernelEmulation, StagesOnlySegmentsThatFitTheirSlotWithAlignment) {
  // 20 columns x 3 bytes = 60 per row; with up to 15 bytes of alignment head that
  // does not fit a 64-byte slot (sampled from global memory), it fits an 80-byte one.
  const auto image = random_image(20, 15, PixelFormat::kBGR8, 1, 14, 5);
  PreprocessOptions o;
  o.resize = ResizeMode::kStretch;
  o.output_width = 64;
  o.output_height = 48;
  auto run =
      check<bgr_nchw_f32::ImageParams, bgr_nchw_f32::LaunchParams, float>({image.view}, o, 64);
  EXPECT_EQ(run.staged_warps, 0u);
  run = check<bgr_nchw_f32::ImageParams, bgr_nchw_f32::LaunchParams, float>({image.view}, o, 80);
  EXPECT_EQ(run.direct_warps, 0u);
}

TEST(PreprocessKernelEmulation, ExtremeDownscaleFallsBackToGlobalReadsAndMatches) {
  // 20000 -> 640 is 31.25 source columns per output pixel: too wide to stage.
  const auto wide = random_image(20000, 7, PixelFormat::kBGR8, 1, 12);
  const auto small = random_image(300, 200, PixelFormat::kBGR8, 0, 13);
  const auto run = check<bgr_nchw_f32::ImageParams, bgr_nchw_f32::LaunchParams, float>(
      {wide.view, small.view}, PreprocessOptions{});
  EXPECT_EQ(run.staged_warps, 0u);
}

TEST(PreprocessKernelEmulation, ElementStoresWhenTheOutputIsNotAligned) {
  const auto images = awkward_batch(PixelFormat::kBGR8);
  check<bgr_nchw_f32::ImageParams, bgr_nchw_f32::LaunchParams, float>(
      views_of(images), PreprocessOptions{}, -1, true);
  PreprocessOptions odd;  // a width that is not a multiple of 4 (nor of 128)
  odd.output_width = 333;
  odd.output_height = 97;
  check<bgr_nchw_f32::ImageParams, bgr_nchw_f32::LaunchParams, float>(views_of(images), odd);
}

TEST(PreprocessKernelEmulation, BgraToNhwcF16WithMeanStdMatches) {
  const auto images = awkward_batch(PixelFormat::kBGRA8);
  PreprocessOptions o;
  o.layout = TensorLayout::kNHWC;
  o.output_dtype = DType::kFloat16;
  o.mean = {0.485f, 0.456f, 0.406f};
  o.std = {0.229f, 0.224f, 0.225f};
  check<bgra_nhwc_f16::ImageParams, bgra_nhwc_f16::LaunchParams, std::uint16_t>(views_of(images),
                                                                                o);
  o.output_width = 222;  // element stores
  check<bgra_nhwc_f16::ImageParams, bgra_nhwc_f16::LaunchParams, std::uint16_t>(views_of(images),
                                                                                o);
}

TEST(PreprocessKernelEmulation, GrayStretchToNchwF16Matches) {
  const auto images = awkward_batch(PixelFormat::kGray8);
  PreprocessOptions o;
  o.resize = ResizeMode::kStretch;
  o.output_dtype = DType::kFloat16;
  o.output_width = 224;
  o.output_height = 160;
  check<gray_nchw_f16::ImageParams, gray_nchw_f16::LaunchParams, std::uint16_t>(views_of(images),
                                                                                o);
}

TEST(PreprocessKernelEmulation, RgbToNhwcF32UpscaleMatches) {
  // Upscaling: every output row has two weighted source rows, all staged.
  std::vector<TestImage> images;
  images.push_back(random_image(7, 5, PixelFormat::kRGB8, 2, 21));
  images.push_back(random_image(160, 90, PixelFormat::kRGB8, 0, 22));
  PreprocessOptions o;
  o.layout = TensorLayout::kNHWC;
  o.output_width = 256;
  o.output_height = 200;
  check<rgb_nhwc_f32::ImageParams, rgb_nhwc_f32::LaunchParams, float>(views_of(images), o);
}

}  // namespace
