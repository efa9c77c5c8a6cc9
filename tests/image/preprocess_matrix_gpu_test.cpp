// The whole configuration space of the pre-processing kernel against the CPU
// reference, bit for bit: every pixel format x layout x output dtype x resize
// mode x channel order (80 configurations), each on one batch that mixes
// awkward sizes (1x1, 1x2000, 1919x1081, 2000x1, ...), rows padded beyond the
// pixels (one stride is a whole extra cache line), and host, page-locked and
// device memory in the same call. preprocess_gpu_test.cpp covers the rest
// (grow-only buffers, back-to-back calls, refusals).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gpu_test_support.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/core/stream.hpp"
#include "trtutils/image/preprocess.hpp"

namespace {

using namespace trtutils::image;
namespace core = trtutils::core;
using trtutils::DType;

struct Size {
  int width;
  int height;
  std::size_t extra_stride;  // bytes of padding after each row
};

// The sizes the issue names plus a few more odd ones; the extra strides are
// filled with 0xEE, which must never reach the output.
const std::vector<Size> kAwkwardSizes = {
    {1, 1, 7}, {1, 2000, 3}, {1919, 1081, 64}, {2000, 1, 0}, {37, 641, 5}, {3, 2, 1},
};

// One image: its bytes live on the host (the CPU reference reads them there);
// `view` points at the host copy, a page-locked copy or a device copy.
struct PlacedImage {
  std::vector<std::uint8_t> bytes;
  std::vector<core::PinnedBuffer> pinned;  // 0 or 1
  std::vector<core::DeviceBuffer> device;  // 0 or 1
  ImageView host_view;
  ImageView view;
};

std::vector<std::uint8_t> random_bytes(const Size& size, PixelFormat format, std::uint32_t seed) {
  const std::size_t row = static_cast<std::size_t>(size.width) * bytes_per_pixel(format);
  const std::size_t stride = row + size.extra_stride;
  std::vector<std::uint8_t> bytes(stride * static_cast<std::size_t>(size.height), 0xEE);
  std::mt19937 rng(seed);
  for (int y = 0; y < size.height; ++y) {
    for (std::size_t x = 0; x < row; ++x) {
      bytes[static_cast<std::size_t>(y) * stride + x] = static_cast<std::uint8_t>(rng());
    }
  }
  return bytes;
}

PlacedImage place(const Size& size, PixelFormat format, MemoryKind memory, std::uint32_t seed) {
  PlacedImage image;
  image.bytes = random_bytes(size, format, seed);
  const std::size_t stride =
      static_cast<std::size_t>(size.width) * bytes_per_pixel(format) + size.extra_stride;
  image.host_view = {image.bytes.data(), size.width, size.height, stride, format,
                     MemoryKind::kHost};
  image.view = image.host_view;
  if (memory == MemoryKind::kPinnedHost) {
    image.pinned.emplace_back(image.bytes.size());
    std::memcpy(image.pinned.back().data(), image.bytes.data(), image.bytes.size());
    image.view.data = image.pinned.back().data();
  } else if (memory == MemoryKind::kDevice) {
    image.device.emplace_back(image.bytes.size());
    core::memcpy_host_to_device(image.device.back().data(), image.bytes.data(), image.bytes.size());
    image.view.data = image.device.back().data();
  }
  image.view.memory = memory;
  return image;
}

// Image i goes to memory kind (i + rotation) % 3, so every size meets every
// kind across the configurations.
std::vector<PlacedImage> mixed_batch(PixelFormat format, int rotation, std::uint32_t seed) {
  constexpr MemoryKind kKinds[] = {MemoryKind::kHost, MemoryKind::kPinnedHost, MemoryKind::kDevice};
  std::vector<PlacedImage> images;
  for (std::size_t i = 0; i < kAwkwardSizes.size(); ++i) {
    images.push_back(place(kAwkwardSizes[i], format,
                           kKinds[(i + static_cast<std::size_t>(rotation)) % 3],
                           seed + static_cast<std::uint32_t>(i)));
  }
  return images;
}

std::size_t count_mismatches(const std::vector<std::uint8_t>& gpu, const trtutils::HostTensor& cpu,
                             const std::string& what) {
  EXPECT_EQ(gpu.size(), cpu.byte_size()) << what;
  if (gpu.size() != cpu.byte_size()) return gpu.size() + 1;
  const std::size_t element = trtutils::dtype_size(cpu.dtype());
  const auto* expected = static_cast<const std::uint8_t*>(cpu.data());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < gpu.size(); i += element) {
    if (std::memcmp(gpu.data() + i, expected + i, element) == 0) continue;
    if (mismatches < 3) ADD_FAILURE() << what << ": element " << i / element << " differs";
    ++mismatches;
  }
  return mismatches;
}

std::vector<std::uint8_t> run_gpu(Preprocessor& pre, const std::vector<ImageView>& views,
                                  std::vector<ImageTransform>& transforms) {
  core::Stream stream;
  const std::size_t bytes = pre.output_bytes(views.size(), views[0].format);
  core::DeviceBuffer output(bytes);
  core::memset_device(output, 0x7F);  // unwritten elements keep a value no pixel maps to
  transforms = pre.run(views, output.data(), output.size(), stream);
  stream.synchronize();
  std::vector<std::uint8_t> host(bytes);
  core::memcpy_device_to_host(host.data(), output.data(), bytes);
  return host;
}

std::string name_of(PixelFormat format, const PreprocessOptions& o) {
  static const char* formats[] = {"BGR8", "RGB8", "BGRA8", "RGBA8", "GRAY8"};
  std::string name = formats[static_cast<int>(format)];
  name += o.layout == TensorLayout::kNCHW ? " NCHW" : " NHWC";
  name += o.output_dtype == DType::kFloat32 ? " f32" : " f16";
  name += o.resize == ResizeMode::kLetterbox ? " letterbox" : " stretch";
  name += o.channel_order == ChannelOrder::kRGB ? " RGB" : " BGR";
  name += " " + std::to_string(o.output_width) + "x" + std::to_string(o.output_height);
  return name;
}

TEST(PreprocessMatrixGpu, EveryConfigurationMatchesTheCpuBitForBitOnMixedMemoryBatches) {
  TRTUTILS_REQUIRE_GPU();
  static_assert(static_cast<int>(PixelFormat::kGray8) == 4, "name_of lists five formats");
  const PixelFormat formats[] = {PixelFormat::kBGR8, PixelFormat::kRGB8, PixelFormat::kBGRA8,
                                 PixelFormat::kRGBA8, PixelFormat::kGray8};
  int configuration = 0;
  std::size_t failing = 0;
  for (const PixelFormat format : formats) {
    for (const TensorLayout layout : {TensorLayout::kNCHW, TensorLayout::kNHWC}) {
      for (const DType dtype : {DType::kFloat32, DType::kFloat16}) {
        for (const ResizeMode resize : {ResizeMode::kLetterbox, ResizeMode::kStretch}) {
          for (const ChannelOrder order : {ChannelOrder::kRGB, ChannelOrder::kBGR}) {
            PreprocessOptions o;
            o.layout = layout;
            o.output_dtype = dtype;
            o.resize = resize;
            o.channel_order = order;
            // Square and odd, portrait output sizes; ImageNet mean/std on half.
            if (configuration % 2 == 1) {
              o.output_width = 321;
              o.output_height = 479;
            }
            if (configuration % 4 >= 2) {
              o.mean = {0.485f, 0.456f, 0.406f};
              o.std = {0.229f, 0.224f, 0.225f};
              o.pad_value = 0.0f;
            }
            const auto images = mixed_batch(format, configuration,
                                            1000u * static_cast<std::uint32_t>(configuration));
            std::vector<ImageView> views, host_views;
            for (const auto& image : images) {
              views.push_back(image.view);
              host_views.push_back(image.host_view);
            }
            Preprocessor pre(o);
            std::vector<ImageTransform> gpu_transforms, cpu_transforms;
            const auto gpu = run_gpu(pre, views, gpu_transforms);
            const auto cpu = preprocess_reference(host_views, o, &cpu_transforms);
            const std::string what = name_of(format, o);
            const std::size_t mismatches = count_mismatches(gpu, cpu, what);
            if (mismatches != 0) {
              ++failing;
              ADD_FAILURE() << what << ": " << mismatches << " elements differ";
            }
            ASSERT_EQ(gpu_transforms.size(), cpu_transforms.size());
            for (std::size_t i = 0; i < cpu_transforms.size(); ++i) {
              EXPECT_EQ(gpu_transforms[i].resized_width, cpu_transforms[i].resized_width) << what;
              EXPECT_EQ(gpu_transforms[i].resized_height, cpu_transforms[i].resized_height) << what;
              EXPECT_EQ(gpu_transforms[i].pad_left, cpu_transforms[i].pad_left) << what;
              EXPECT_EQ(gpu_transforms[i].pad_top, cpu_transforms[i].pad_top) << what;
            }
            ++configuration;
          }
        }
      }
    }
  }
  EXPECT_EQ(configuration, 80);
  EXPECT_EQ(failing, 0u) << "configurations with differences";
}

TEST(PreprocessMatrixGpu, EachAwkwardImageAloneMatchesFromEveryMemoryKind) {
  TRTUTILS_REQUIRE_GPU();
  // Batches of one: the kernel's grid and table for B = 1, per size and kind.
  for (const ResizeMode resize : {ResizeMode::kLetterbox, ResizeMode::kStretch}) {
    PreprocessOptions o;
    o.resize = resize;
    Preprocessor pre(o);
    for (std::size_t s = 0; s < kAwkwardSizes.size(); ++s) {
      for (const MemoryKind memory :
           {MemoryKind::kHost, MemoryKind::kPinnedHost, MemoryKind::kDevice}) {
        const auto image = place(kAwkwardSizes[s], PixelFormat::kBGR8, memory,
                                 77u + static_cast<std::uint32_t>(s));
        std::vector<ImageTransform> transforms;
        const auto gpu = run_gpu(pre, {image.view}, transforms);
        const auto cpu = preprocess_reference(std::vector<ImageView>{image.host_view}, o);
        const std::string what = "size " + std::to_string(kAwkwardSizes[s].width) + "x" +
                                 std::to_string(kAwkwardSizes[s].height) + " memory kind " +
                                 std::to_string(static_cast<int>(memory));
        EXPECT_EQ(count_mismatches(gpu, cpu, what), 0u) << what;
      }
    }
  }
}

TEST(PreprocessMatrixGpu, ABatchOfTwentyRandomSizesMatches) {
  TRTUTILS_REQUIRE_GPU();
  // More images than one warp of table entries, sizes 1..700 each way, random
  // strides and memory kinds.
  std::mt19937 rng(2024);
  std::uniform_int_distribution<int> extent(1, 700);
  std::uniform_int_distribution<int> pad(0, 40);
  std::uniform_int_distribution<int> kind(0, 2);
  constexpr MemoryKind kKinds[] = {MemoryKind::kHost, MemoryKind::kPinnedHost, MemoryKind::kDevice};
  std::vector<PlacedImage> images;
  for (int i = 0; i < 20; ++i) {
    const Size size{extent(rng), extent(rng), static_cast<std::size_t>(pad(rng))};
    images.push_back(
        place(size, PixelFormat::kRGBA8, kKinds[kind(rng)], 5000u + static_cast<std::uint32_t>(i)));
  }
  std::vector<ImageView> views, host_views;
  for (const auto& image : images) {
    views.push_back(image.view);
    host_views.push_back(image.host_view);
  }
  for (const DType dtype : {DType::kFloat32, DType::kFloat16}) {
    PreprocessOptions o;
    o.output_dtype = dtype;
    o.layout = TensorLayout::kNHWC;
    o.output_width = 416;
    o.output_height = 256;
    Preprocessor pre(o);
    std::vector<ImageTransform> transforms;
    const auto gpu = run_gpu(pre, views, transforms);
    const auto cpu = preprocess_reference(host_views, o);
    EXPECT_EQ(count_mismatches(gpu, cpu, name_of(PixelFormat::kRGBA8, o)), 0u);
  }
}

TEST(PreprocessMatrixGpu, HugeDownscalesMatch) {
  TRTUTILS_REQUIRE_GPU();
  // Source rows far wider than the output (20000 px into 640, 1919 px into 61):
  // one warp's taps then span more source bytes than a block can stage, the
  // case where a kernel that stages rows must fall back to reading them directly.
  for (const PixelFormat format : {PixelFormat::kBGR8, PixelFormat::kRGBA8}) {
    std::vector<PlacedImage> images;
    images.push_back(place({20000, 3, 9}, format, MemoryKind::kHost, 1));
    images.push_back(place({1919, 1081, 0}, format, MemoryKind::kDevice, 2));
    images.push_back(place({1, 1, 0}, format, MemoryKind::kPinnedHost, 3));
    std::vector<ImageView> views, host_views;
    for (const auto& image : images) {
      views.push_back(image.view);
      host_views.push_back(image.host_view);
    }
    for (const ResizeMode resize : {ResizeMode::kLetterbox, ResizeMode::kStretch}) {
      PreprocessOptions o;
      o.resize = resize;
      if (resize == ResizeMode::kStretch) {
        o.output_width = 61;
        o.output_height = 45;
      }
      o.output_dtype = format == PixelFormat::kRGBA8 ? DType::kFloat16 : DType::kFloat32;
      Preprocessor pre(o);
      std::vector<ImageTransform> transforms;
      const auto gpu = run_gpu(pre, views, transforms);
      const auto cpu = preprocess_reference(host_views, o);
      EXPECT_EQ(count_mismatches(gpu, cpu, name_of(format, o)), 0u);
    }
  }
}

TEST(PreprocessMatrixGpu, AnOutputThatIsNotVectorAlignedMatches) {
  TRTUTILS_REQUIRE_GPU();
  // The output pointer 4 bytes past a 256-byte boundary: a kernel that stores
  // four values at once must notice and store them one by one.
  const auto image = place({1919, 1081, 64}, PixelFormat::kBGR8, MemoryKind::kHost, 9);
  for (const DType dtype : {DType::kFloat32, DType::kFloat16}) {
    PreprocessOptions o;
    o.output_dtype = dtype;
    Preprocessor pre(o);
    const std::size_t bytes = pre.output_bytes(1, PixelFormat::kBGR8);
    core::DeviceBuffer output(bytes + 4);
    core::Stream stream;
    auto* shifted = static_cast<std::uint8_t*>(output.data()) + 4;
    pre.run(std::vector<ImageView>{image.view}, shifted, bytes, stream);
    stream.synchronize();
    std::vector<std::uint8_t> host(bytes);
    core::memcpy_device_to_host(host.data(), shifted, bytes);
    const auto cpu = preprocess_reference(std::vector<ImageView>{image.host_view}, o);
    EXPECT_EQ(count_mismatches(host, cpu, name_of(PixelFormat::kBGR8, o) + " at offset 4"), 0u);
  }
}

}  // namespace
