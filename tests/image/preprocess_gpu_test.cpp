// The fused pre-processing kernel against the CPU reference, bit for bit
// (same formulas, --fmad=false), on random images of awkward sizes, mixed in
// one batch, from host, page-locked and device memory.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "gpu_test_support.hpp"
#include "trtutils/core/cuda_graph.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/core/stream.hpp"
#include "trtutils/image/preprocess.hpp"

namespace {

using namespace trtutils::image;
namespace core = trtutils::core;
using trtutils::DType;

struct TestImage {
  std::vector<std::uint8_t> bytes;
  ImageView view;
};

// Random pixels; rows padded by `extra_stride` bytes (filled with 0xEE, which
// must never be read).
TestImage random_image(int width, int height, PixelFormat format, std::size_t extra_stride,
                       std::uint32_t seed) {
  TestImage image;
  const std::size_t stride =
      static_cast<std::size_t>(width) * bytes_per_pixel(format) + extra_stride;
  image.bytes.assign(stride * static_cast<std::size_t>(height), 0xEE);
  std::mt19937 rng(seed);
  for (int y = 0; y < height; ++y) {
    for (std::size_t x = 0; x < stride - extra_stride; ++x) {
      image.bytes[static_cast<std::size_t>(y) * stride + x] = static_cast<std::uint8_t>(rng());
    }
  }
  image.view = {image.bytes.data(), width, height, stride, format, MemoryKind::kHost};
  return image;
}

std::vector<TestImage> awkward_batch(PixelFormat format) {
  std::vector<TestImage> images;
  images.push_back(random_image(1, 1, format, 0, 1));
  images.push_back(random_image(1, 2000, format, 3, 2));
  images.push_back(random_image(1919, 1081, format, 0, 3));
  images.push_back(random_image(2000, 1, format, 0, 4));
  images.push_back(random_image(37, 641, format, 5, 5));
  return images;
}

std::vector<ImageView> views_of(const std::vector<TestImage>& images) {
  std::vector<ImageView> views;
  for (const auto& image : images) views.push_back(image.view);
  return views;
}

// Runs the GPU path and returns its output bytes, plus the transforms.
std::vector<std::uint8_t> run_gpu(Preprocessor& pre, const std::vector<ImageView>& views,
                                  std::vector<ImageTransform>* transforms = nullptr) {
  core::Stream stream;
  const std::size_t bytes = pre.output_bytes(views.size(), views[0].format);
  core::DeviceBuffer output(bytes);
  core::memset_device(output, 0x7F);
  auto t = pre.run(views, output.data(), output.size(), stream);
  stream.synchronize();
  std::vector<std::uint8_t> host(bytes);
  core::memcpy_device_to_host(host.data(), output.data(), bytes);
  if (transforms != nullptr) *transforms = t;
  return host;
}

void expect_identical(const std::vector<std::uint8_t>& gpu, const trtutils::HostTensor& cpu) {
  ASSERT_EQ(gpu.size(), cpu.byte_size());
  const std::size_t element = trtutils::dtype_size(cpu.dtype());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < gpu.size(); i += element) {
    if (std::memcmp(gpu.data() + i, static_cast<const std::uint8_t*>(cpu.data()) + i, element) !=
        0) {
      if (mismatches < 5)
        ADD_FAILURE() << "element " << i / element << " differs from the CPU reference";
      ++mismatches;
    }
  }
  EXPECT_EQ(mismatches, 0u) << "of " << gpu.size() / element << " elements";
}

void check_configuration(PixelFormat format, PreprocessOptions options) {
  const auto images = awkward_batch(format);
  const auto views = views_of(images);
  Preprocessor pre(options);
  std::vector<ImageTransform> gpu_transforms;
  const auto gpu = run_gpu(pre, views, &gpu_transforms);
  std::vector<ImageTransform> cpu_transforms;
  const auto cpu = preprocess_reference(views, options, &cpu_transforms);
  expect_identical(gpu, cpu);
  ASSERT_EQ(gpu_transforms.size(), cpu_transforms.size());
  for (std::size_t i = 0; i < gpu_transforms.size(); ++i) {
    EXPECT_EQ(gpu_transforms[i].pad_left, cpu_transforms[i].pad_left);
    EXPECT_EQ(gpu_transforms[i].pad_top, cpu_transforms[i].pad_top);
    EXPECT_EQ(gpu_transforms[i].resized_width, cpu_transforms[i].resized_width);
  }
}

TEST(PreprocessGpu, LetterboxBgrToNchwF32MatchesTheCpuBitForBit) {
  TRTUTILS_REQUIRE_GPU();
  check_configuration(PixelFormat::kBGR8, PreprocessOptions{});
}

TEST(PreprocessGpu, LetterboxToNhwcF16WithMeanStdMatches) {
  TRTUTILS_REQUIRE_GPU();
  PreprocessOptions o;
  o.layout = TensorLayout::kNHWC;
  o.output_dtype = DType::kFloat16;
  o.mean = {0.485f, 0.456f, 0.406f};
  o.std = {0.229f, 0.224f, 0.225f};
  check_configuration(PixelFormat::kBGR8, o);
}

TEST(PreprocessGpu, StretchRgbaToBgrOrderMatches) {
  TRTUTILS_REQUIRE_GPU();
  PreprocessOptions o;
  o.resize = ResizeMode::kStretch;
  o.channel_order = ChannelOrder::kBGR;
  o.output_width = 224;
  o.output_height = 160;
  check_configuration(PixelFormat::kRGBA8, o);
}

TEST(PreprocessGpu, GrayAndRgbInputsMatch) {
  TRTUTILS_REQUIRE_GPU();
  PreprocessOptions o;
  o.output_width = 333;
  o.output_height = 97;
  check_configuration(PixelFormat::kGray8, o);
  check_configuration(PixelFormat::kRGB8, o);
  o.output_dtype = DType::kFloat16;
  check_configuration(PixelFormat::kBGRA8, o);
}

TEST(PreprocessGpu, PinnedAndDeviceImagesGiveTheSameTensorAsHostImages) {
  TRTUTILS_REQUIRE_GPU();
  const auto images = awkward_batch(PixelFormat::kBGR8);
  auto views = views_of(images);
  Preprocessor pre(PreprocessOptions{});
  const auto from_host = run_gpu(pre, views);
  std::vector<core::PinnedBuffer> pinned;
  std::vector<core::DeviceBuffer> device;
  for (std::size_t i = 0; i < views.size(); ++i) {
    const std::size_t bytes = images[i].bytes.size();
    if (i % 2 == 0) {
      pinned.emplace_back(bytes);
      std::memcpy(pinned.back().data(), images[i].bytes.data(), bytes);
      views[i].data = pinned.back().data();
      views[i].memory = MemoryKind::kPinnedHost;
    } else {
      device.emplace_back(bytes);
      core::memcpy_host_to_device(device.back().data(), images[i].bytes.data(), bytes);
      views[i].data = device.back().data();
      views[i].memory = MemoryKind::kDevice;
    }
  }
  EXPECT_EQ(run_gpu(pre, views), from_host);
}

TEST(PreprocessGpu, RepeatedAndSmallerBatchesAllocateNothing) {
  TRTUTILS_REQUIRE_GPU();
  const auto images = awkward_batch(PixelFormat::kBGR8);
  const auto views = views_of(images);
  Preprocessor pre(PreprocessOptions{});
  const auto first = run_gpu(pre, views);
  const std::size_t allocations = pre.allocation_count();
  EXPECT_GT(allocations, 0u);
  EXPECT_EQ(run_gpu(pre, views), first);
  const std::vector<ImageView> fewer(views.begin() + 2, views.end());
  run_gpu(pre, fewer);
  EXPECT_EQ(pre.allocation_count(), allocations);
}

TEST(PreprocessGpu, BackToBackCallsOnOneStreamKeepEachResult) {
  TRTUTILS_REQUIRE_GPU();
  // The second call reuses the staging buffers while the first may still run.
  const auto a = awkward_batch(PixelFormat::kBGR8);
  auto b = awkward_batch(PixelFormat::kBGR8);
  for (auto& byte : b[2].bytes) byte = static_cast<std::uint8_t>(255 - byte);
  const auto va = views_of(a);
  const auto vb = views_of(b);
  Preprocessor pre(PreprocessOptions{});
  core::Stream stream;
  const std::size_t bytes = pre.output_bytes(va.size(), PixelFormat::kBGR8);
  core::DeviceBuffer out_a(bytes), out_b(bytes);
  pre.run(va, out_a.data(), bytes, stream);
  pre.run(vb, out_b.data(), bytes, stream);
  stream.synchronize();
  std::vector<std::uint8_t> host_a(bytes), host_b(bytes);
  core::memcpy_device_to_host(host_a.data(), out_a.data(), bytes);
  core::memcpy_device_to_host(host_b.data(), out_b.data(), bytes);
  expect_identical(host_a, preprocess_reference(va, PreprocessOptions{}));
  expect_identical(host_b, preprocess_reference(vb, PreprocessOptions{}));
}

// `count` random small images of assorted sizes; odd ones get a padded stride.
std::vector<TestImage> small_batch(std::size_t count, std::uint32_t seed) {
  std::vector<TestImage> images;
  std::mt19937 rng(seed);
  for (std::size_t i = 0; i < count; ++i) {
    const int w = 1 + static_cast<int>(rng() % 300);
    const int h = 1 + static_cast<int>(rng() % 300);
    images.push_back(
        random_image(w, h, PixelFormat::kBGR8, i % 2, seed + static_cast<std::uint32_t>(i)));
  }
  return images;
}

// Copies of the images in device memory, and views of them.
struct DeviceImages {
  std::vector<core::DeviceBuffer> buffers;
  std::vector<ImageView> views;
};
DeviceImages to_device(const std::vector<TestImage>& images) {
  DeviceImages d;
  for (const auto& image : images) {
    d.buffers.emplace_back(image.bytes.size());
    core::memcpy_host_to_device(d.buffers.back().data(), image.bytes.data(), image.bytes.size());
    ImageView view = image.view;
    view.data = d.buffers.back().data();
    view.memory = MemoryKind::kDevice;
    d.views.push_back(view);
  }
  return d;
}

TEST(PreprocessGpu, BatchesAtAndJustAboveTheByValueLimitMatch) {
  TRTUTILS_REQUIRE_GPU();
  // 16 images: parameters in the launch; 17: the uploaded table (other entry point).
  for (const std::size_t count : {kPreprocessInlineImages, kPreprocessInlineImages + 1}) {
    ASSERT_EQ(preprocess_params_by_value(count), count == kPreprocessInlineImages);
    const auto images = small_batch(count, static_cast<std::uint32_t>(100 + count));
    const auto host_views = views_of(images);
    const auto device = to_device(images);
    PreprocessOptions o;
    o.mean = {0.485f, 0.456f, 0.406f};
    o.std = {0.229f, 0.224f, 0.225f};
    Preprocessor pre(o);
    const auto cpu = preprocess_reference(host_views, o);
    SCOPED_TRACE(count);
    expect_identical(run_gpu(pre, device.views), cpu);
    expect_identical(run_gpu(pre, host_views), cpu);
  }
}

TEST(PreprocessGpu, TableBatchesOnTwoStreamsKeepEachResult) {
  TRTUTILS_REQUIRE_GPU();
  // The second call rewrites the device table and staging while the first call's
  // kernel may still read them on the other stream.
  const auto a = small_batch(kPreprocessInlineImages + 3, 7);
  auto b = small_batch(kPreprocessInlineImages + 3, 7);
  for (auto& image : b) {
    for (auto& byte : image.bytes) byte = static_cast<std::uint8_t>(255 - byte);
  }
  const auto va = views_of(a);
  const auto vb = views_of(b);
  const auto da = to_device(a);
  Preprocessor pre(PreprocessOptions{});
  core::Stream first, second;
  const std::size_t bytes = pre.output_bytes(va.size(), PixelFormat::kBGR8);
  core::DeviceBuffer out_a(bytes), out_b(bytes), out_c(bytes);
  pre.run(va, out_a.data(), bytes, first);
  pre.run(vb, out_b.data(), bytes, second);
  pre.run(da.views, out_c.data(), bytes, first);
  first.synchronize();
  second.synchronize();
  std::vector<std::uint8_t> host(bytes);
  const auto cpu_a = preprocess_reference(va, PreprocessOptions{});
  core::memcpy_device_to_host(host.data(), out_a.data(), bytes);
  expect_identical(host, cpu_a);
  core::memcpy_device_to_host(host.data(), out_b.data(), bytes);
  expect_identical(host, preprocess_reference(vb, PreprocessOptions{}));
  core::memcpy_device_to_host(host.data(), out_c.data(), bytes);
  expect_identical(host, cpu_a);
}

TEST(PreprocessGpu, ADeviceBatchWithinTheByValueLimitReplaysFromACudaGraph) {
  TRTUTILS_REQUIRE_GPU();
  // One launch and nothing else: capturable, and the replay gives the same tensor.
  const auto images = small_batch(4, 31);
  const auto device = to_device(images);
  PreprocessOptions o;
  o.output_dtype = DType::kFloat16;
  Preprocessor pre(o);
  core::Stream stream;
  const std::size_t bytes = pre.output_bytes(images.size(), PixelFormat::kBGR8);
  core::DeviceBuffer output(bytes);
  pre.run(device.views, output.data(), bytes, stream);  // compiles the kernel outside the capture
  stream.synchronize();
  core::memset_device(output, 0x7F);
  core::GraphReplay replay;
  replay.capture(stream,
                 [&](core::StreamView s) { pre.run(device.views, output.data(), bytes, s); });
  replay.launch(stream);
  stream.synchronize();
  std::vector<std::uint8_t> host(bytes);
  core::memcpy_device_to_host(host.data(), output.data(), bytes);
  expect_identical(host, preprocess_reference(views_of(images), o));
}

TEST(PreprocessGpu, RefusesAnOutputBufferThatIsTooSmall) {
  TRTUTILS_REQUIRE_GPU();
  const auto images = awkward_batch(PixelFormat::kBGR8);
  const auto views = views_of(images);
  Preprocessor pre(PreprocessOptions{});
  core::DeviceBuffer output(16);
  EXPECT_THROW(pre.run(views, output.data(), output.size(), core::StreamView{}),
               trtutils::InvalidArgument);
}

}  // namespace
