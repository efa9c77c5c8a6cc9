#pragma once
// ImageBuffer: an image that owns its pixels (8-bit, interleaved, packed rows,
// host memory), for images read from files and images drawn on. view() hands
// it to everything that takes an image::ImageView (Preprocessor, Detector).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "trtutils/image/image.hpp"

namespace trtutils::image_io {

class ImageBuffer {
 public:
  /// An empty image (0 x 0, no pixels).
  ImageBuffer() = default;
  /// width x height pixels of `format`, all bytes 0. InvalidArgument unless
  /// both sides are positive.
  ImageBuffer(int width, int height, image::PixelFormat format);
  /// A packed copy of a host (or page-locked host) image.
  static ImageBuffer copy_of(const image::ImageView& view);

  int width() const noexcept { return width_; }
  int height() const noexcept { return height_; }
  image::PixelFormat format() const noexcept { return format_; }
  bool empty() const noexcept { return pixels_.empty(); }
  /// Bytes per pixel (1, 3 or 4).
  int channels() const noexcept;
  /// Bytes per row (rows are packed: width * channels()).
  std::size_t row_bytes() const noexcept;
  std::size_t size_bytes() const noexcept { return pixels_.size(); }

  std::uint8_t* data() noexcept { return pixels_.data(); }
  const std::uint8_t* data() const noexcept { return pixels_.data(); }
  /// The first byte of pixel (x, y); no bounds check.
  std::uint8_t* pixel(int x, int y) noexcept;
  const std::uint8_t* pixel(int x, int y) const noexcept;

  /// A view of the pixels (host memory, packed), valid while this buffer
  /// lives and is not resized.
  image::ImageView view() const noexcept;

 private:
  int width_ = 0;
  int height_ = 0;
  image::PixelFormat format_ = image::PixelFormat::kRGB8;
  std::vector<std::uint8_t> pixels_;
};

}  // namespace trtutils::image_io
