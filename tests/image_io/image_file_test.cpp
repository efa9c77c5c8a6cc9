// Image files through stb: PNG round trips are exact, JPEG ones close;
// channel conversions follow stb's documented formulas; BMP bytes written by
// hand decode to the hand-placed pixels; missing, corrupt and truncated
// files fail with a FileError naming the file and the reason.
#include "trtutils/image_io/image_file.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "trtutils/core/error.hpp"

namespace {

namespace fs = std::filesystem;
using namespace trtutils::image_io;
using trtutils::FileError;
using trtutils::InvalidArgument;
using trtutils::image::ImageView;
using trtutils::image::MemoryKind;
using trtutils::image::PixelFormat;

/// A fresh folder per test, removed afterwards.
class ImageFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           (std::string("trtutils_image_io_") + info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path path(const std::string& name) const { return dir_ / name; }

 private:
  fs::path dir_;
};

/// Every byte a different function of (x, y, channel), so swaps and shifts show.
ImageBuffer pattern(int width, int height, PixelFormat format) {
  ImageBuffer image(width, height, format);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < image.channels(); ++c) {
        image.pixel(x, y)[c] = static_cast<std::uint8_t>((x * 7 + y * 13 + c * 101) % 256);
      }
    }
  }
  return image;
}

/// A smooth image (JPEG keeps it well).
ImageBuffer gradient(int width, int height) {
  ImageBuffer image(width, height, PixelFormat::kRGB8);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.pixel(x, y)[0] = static_cast<std::uint8_t>(255 * x / (width - 1));
      image.pixel(x, y)[1] = static_cast<std::uint8_t>(255 * y / (height - 1));
      image.pixel(x, y)[2] = static_cast<std::uint8_t>(128);
    }
  }
  return image;
}

std::vector<std::uint8_t> bytes_of(const ImageBuffer& image) {
  return {image.data(), image.data() + image.size_bytes()};
}

void write_bytes(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

template <typename Function>
std::string failure_message(Function&& function) {
  try {
    function();
  } catch (const FileError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a FileError";
  return {};
}

TEST_F(ImageFileTest, PngRoundTripIsExactForEveryFormat) {
  for (const PixelFormat format : {PixelFormat::kRGB8, PixelFormat::kBGR8, PixelFormat::kRGBA8,
                                   PixelFormat::kBGRA8, PixelFormat::kGray8}) {
    const ImageBuffer original = pattern(37, 23, format);
    const fs::path file = path("pattern.png");
    save_image(original.view(), file);
    const ImageBuffer loaded = load_image(file, format);
    EXPECT_EQ(loaded.width(), 37);
    EXPECT_EQ(loaded.height(), 23);
    EXPECT_EQ(loaded.format(), format);
    EXPECT_EQ(bytes_of(loaded), bytes_of(original)) << trtutils::image::pixel_format_name(format);
  }
}

TEST_F(ImageFileTest, BlueFirstImagesAreStoredRedFirst) {
  const ImageBuffer bgr = pattern(5, 4, PixelFormat::kBGR8);
  save_image(bgr.view(), path("bgr.png"));
  const ImageBuffer rgb = load_image(path("bgr.png"), PixelFormat::kRGB8);
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 5; ++x) {
      EXPECT_EQ(rgb.pixel(x, y)[0], bgr.pixel(x, y)[2]);
      EXPECT_EQ(rgb.pixel(x, y)[1], bgr.pixel(x, y)[1]);
      EXPECT_EQ(rgb.pixel(x, y)[2], bgr.pixel(x, y)[0]);
    }
  }
}

TEST_F(ImageFileTest, StridedViewsAreWrittenRowByRow) {
  // A 6x3 window at (2, 1) of a 10x5 image: rows 30 bytes apart, 18 used.
  const ImageBuffer big = pattern(10, 5, PixelFormat::kRGB8);
  ImageView window = big.view();
  window.data = big.pixel(2, 1);
  window.width = 6;
  window.height = 3;
  for (const char* name : {"window.png", "window.jpg"}) {
    save_image(window, path(name));
    const ImageBuffer loaded = load_image(path(name));
    ASSERT_EQ(loaded.width(), 6);
    ASSERT_EQ(loaded.height(), 3);
    if (std::string(name) == "window.png") {
      for (int y = 0; y < 3; ++y) {
        for (int x = 0; x < 6; ++x) {
          for (int c = 0; c < 3; ++c) {
            EXPECT_EQ(loaded.pixel(x, y)[c], big.pixel(x + 2, y + 1)[c]) << x << "," << y;
          }
        }
      }
    }
  }
}

TEST_F(ImageFileTest, JpegRoundTripIsCloseAndQualityTradesSize) {
  const ImageBuffer original = gradient(64, 48);
  save_image(original.view(), path("gradient.jpg"));
  const ImageBuffer loaded = load_image(path("gradient.jpg"));
  ASSERT_EQ(loaded.size_bytes(), original.size_bytes());
  double total = 0;
  int worst = 0;
  for (std::size_t i = 0; i < original.size_bytes(); ++i) {
    const int difference = std::abs(int{loaded.data()[i]} - int{original.data()[i]});
    total += difference;
    worst = std::max(worst, difference);
  }
  EXPECT_LT(total / static_cast<double>(original.size_bytes()), 2.0);
  EXPECT_LE(worst, 16);

  const auto best = encode_image(original.view(), ImageFileFormat::kJpeg, {.jpeg_quality = 100});
  const auto small = encode_image(original.view(), ImageFileFormat::kJpeg, {.jpeg_quality = 10});
  EXPECT_LT(small.size(), best.size());
  // JPEG files start with the SOI marker FF D8, PNG with its 8-byte signature.
  EXPECT_EQ(small[0], 0xFF);
  EXPECT_EQ(small[1], 0xD8);
  const auto png = encode_image(original.view(), ImageFileFormat::kPng);
  EXPECT_EQ(std::string(png.begin() + 1, png.begin() + 4), "PNG");
}

TEST_F(ImageFileTest, FormatComesFromTheExtensionInAnyCase) {
  EXPECT_EQ(image_file_format_for("a/b.PNG"), ImageFileFormat::kPng);
  EXPECT_EQ(image_file_format_for("x.Jpg"), ImageFileFormat::kJpeg);
  EXPECT_EQ(image_file_format_for("x.jpeg"), ImageFileFormat::kJpeg);
  try {
    image_file_format_for("out/boxes.tiff");
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("out/boxes.tiff"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(".png"), std::string::npos) << e.what();
  }
  const ImageBuffer image = pattern(4, 4, PixelFormat::kRGB8);
  EXPECT_THROW(save_image(image.view(), path("x.gif")), InvalidArgument);
  EXPECT_FALSE(fs::exists(path("x.gif")));
}

TEST_F(ImageFileTest, ColourLoadedAsGreyUsesStbLuma) {
  // stb_image: y = (77 r + 150 g + 29 b) >> 8.
  const ImageBuffer colour = pattern(9, 7, PixelFormat::kRGB8);
  save_image(colour.view(), path("colour.png"));
  const ImageBuffer grey = load_image(path("colour.png"), PixelFormat::kGray8);
  for (int y = 0; y < 7; ++y) {
    for (int x = 0; x < 9; ++x) {
      const std::uint8_t* p = colour.pixel(x, y);
      EXPECT_EQ(grey.pixel(x, y)[0], (77 * p[0] + 150 * p[1] + 29 * p[2]) >> 8) << x << "," << y;
    }
  }
}

TEST_F(ImageFileTest, GreyLoadedAsColourRepeatsAndOpaqueAlphaIsAdded) {
  const ImageBuffer grey = pattern(6, 5, PixelFormat::kGray8);
  save_image(grey.view(), path("grey.png"));
  const ImageBuffer bgra = load_image(path("grey.png"), PixelFormat::kBGRA8);
  for (int y = 0; y < 5; ++y) {
    for (int x = 0; x < 6; ++x) {
      const std::uint8_t v = grey.pixel(x, y)[0];
      EXPECT_EQ(bgra.pixel(x, y)[0], v);
      EXPECT_EQ(bgra.pixel(x, y)[1], v);
      EXPECT_EQ(bgra.pixel(x, y)[2], v);
      EXPECT_EQ(bgra.pixel(x, y)[3], 255);
    }
  }
}

TEST_F(ImageFileTest, HandWrittenBmpDecodesToItsPixels) {
  // 2x2, 24 bits, bottom-up rows of B, G, R padded to 4 bytes:
  // top row red, green; bottom row blue, white.
  std::vector<std::uint8_t> bmp = {
      'B', 'M', 70, 0, 0,    0,    0, 0, 0,    0,    54, 0, 0, 0,  // file header
      40,  0,   0,  0, 2,    0,    0, 0, 2,    0,    0,  0, 1, 0, 24, 0, 0, 0, 0, 0,
      16,  0,   0,  0, 0x13, 0x0B, 0, 0, 0x13, 0x0B, 0,  0, 0, 0, 0,  0, 0, 0, 0, 0};
  const std::vector<std::uint8_t> rows = {255, 0, 0,   255, 255, 255, 0, 0,   // bottom: blue, white
                                          0,   0, 255, 0,   255, 0,   0, 0};  // top: red, green
  bmp.insert(bmp.end(), rows.begin(), rows.end());
  write_bytes(path("four.bmp"), bmp);

  const ImageFileInfo info = read_image_info(path("four.bmp"));
  EXPECT_EQ(info.width, 2);
  EXPECT_EQ(info.height, 2);
  EXPECT_EQ(info.channels, 3);
  const ImageBuffer image = load_image(path("four.bmp"), PixelFormat::kRGB8);
  const std::vector<std::uint8_t> expected = {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255};
  EXPECT_EQ(bytes_of(image), expected);
}

TEST_F(ImageFileTest, InfoReadsTheHeader) {
  save_image(pattern(31, 17, PixelFormat::kRGBA8).view(), path("rgba.png"));
  const ImageFileInfo info = read_image_info(path("rgba.png"));
  EXPECT_EQ(info.width, 31);
  EXPECT_EQ(info.height, 17);
  EXPECT_EQ(info.channels, 4);
}

TEST_F(ImageFileTest, MissingFileIsNamed) {
  const fs::path missing = path("no_such_image.jpg");
  for (const std::string& message : {failure_message([&] { load_image(missing); }),
                                     failure_message([&] { read_image_info(missing); })}) {
    EXPECT_NE(message.find(missing.string()), std::string::npos) << message;
    EXPECT_NE(message.find("no such file"), std::string::npos) << message;
  }
}

TEST_F(ImageFileTest, FolderIsNotAnImage) {
  const std::string message = failure_message([&] { load_image(path("")); });
  EXPECT_NE(message.find("not a regular file"), std::string::npos) << message;
}

TEST_F(ImageFileTest, CorruptFileGivesStbReasonAndName) {
  const fs::path file = path("garbage.png");
  write_bytes(file, {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e', 0, 1, 2, 3});
  for (const std::string& message : {failure_message([&] { load_image(file); }),
                                     failure_message([&] { read_image_info(file); })}) {
    EXPECT_NE(message.find(file.string()), std::string::npos) << message;
    // stb_image's reason for bytes no decoder recognises.
    EXPECT_NE(message.find("unknown image type"), std::string::npos) << message;
  }
}

TEST_F(ImageFileTest, TruncatedPngFailsToDecode) {
  const auto png = encode_image(pattern(40, 40, PixelFormat::kRGB8).view(), ImageFileFormat::kPng);
  const fs::path file = path("truncated.png");
  write_bytes(file, std::vector<std::uint8_t>(png.begin(), png.begin() + png.size() / 2));
  const std::string message = failure_message([&] { load_image(file); });
  EXPECT_NE(message.find("cannot decode image '" + file.string() + "': "), std::string::npos)
      << message;
  const std::size_t reason_start = message.find("': ") + 3;
  const std::size_t reason_end = message.find(" (stb_image reads");
  ASSERT_NE(reason_end, std::string::npos) << message;
  EXPECT_GT(reason_end, reason_start) << "stb gave no reason: " << message;
  EXPECT_EQ(std::string(message).find("unknown image type"), std::string::npos)
      << "a truncated PNG is still recognised as PNG: " << message;
}

TEST_F(ImageFileTest, UnwritableFileIsNamed) {
  const fs::path file = path("missing_folder/out.png");
  const std::string message =
      failure_message([&] { save_image(pattern(2, 2, PixelFormat::kRGB8).view(), file); });
  EXPECT_NE(message.find("cannot write image '" + file.string() + "'"), std::string::npos)
      << message;
}

TEST_F(ImageFileTest, RefusesDeviceImagesAndBadQuality) {
  const ImageBuffer image = pattern(2, 2, PixelFormat::kRGB8);
  ImageView device = image.view();
  device.memory = MemoryKind::kDevice;
  EXPECT_THROW(encode_image(device, ImageFileFormat::kPng), InvalidArgument);
  EXPECT_THROW(encode_image(image.view(), ImageFileFormat::kJpeg, {.jpeg_quality = 0}),
               InvalidArgument);
  EXPECT_THROW(encode_image(image.view(), ImageFileFormat::kJpeg, {.jpeg_quality = 101}),
               InvalidArgument);
  EXPECT_THROW(ImageBuffer(0, 4, PixelFormat::kRGB8), InvalidArgument);
}

TEST_F(ImageFileTest, CopyOfAStridedViewIsPacked) {
  const ImageBuffer big = pattern(8, 6, PixelFormat::kRGBA8);
  ImageView window = big.view();
  window.data = big.pixel(3, 2);
  window.width = 4;
  window.height = 3;
  const ImageBuffer copy = ImageBuffer::copy_of(window);
  ASSERT_EQ(copy.row_bytes(), 16u);
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 4; ++x) {
      for (int c = 0; c < 4; ++c) EXPECT_EQ(copy.pixel(x, y)[c], big.pixel(x + 3, y + 2)[c]);
    }
  }
  EXPECT_EQ(copy.view().row_stride(), 16u);
}

}  // namespace
