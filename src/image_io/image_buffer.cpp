#include "trtutils/image_io/image_buffer.hpp"

#include <cstring>

#include "trtutils/core/error.hpp"

namespace trtutils::image_io {

ImageBuffer::ImageBuffer(int width, int height, image::PixelFormat format)
    : width_(width), height_(height), format_(format) {
  TRTUTILS_CHECK(width > 0 && height > 0, "ImageBuffer: size ", width, " x ", height,
                 " is not an image; give a positive width and height");
  pixels_.assign(static_cast<std::size_t>(height) * row_bytes(), 0);
}

ImageBuffer ImageBuffer::copy_of(const image::ImageView& view) {
  image::check_image(view, 0);
  TRTUTILS_CHECK(view.memory != image::MemoryKind::kDevice,
                 "ImageBuffer::copy_of: the image is in device memory; copy it to the host first");
  ImageBuffer copy(view.width, view.height, view.format);
  const auto* source = static_cast<const std::uint8_t*>(view.data);
  for (int y = 0; y < view.height; ++y) {
    std::memcpy(copy.pixel(0, y), source + static_cast<std::size_t>(y) * view.row_stride(),
                copy.row_bytes());
  }
  return copy;
}

int ImageBuffer::channels() const noexcept { return image::bytes_per_pixel(format_); }

std::size_t ImageBuffer::row_bytes() const noexcept {
  return static_cast<std::size_t>(width_) * static_cast<std::size_t>(channels());
}

std::uint8_t* ImageBuffer::pixel(int x, int y) noexcept {
  return pixels_.data() + static_cast<std::size_t>(y) * row_bytes() +
         static_cast<std::size_t>(x) * static_cast<std::size_t>(channels());
}

const std::uint8_t* ImageBuffer::pixel(int x, int y) const noexcept {
  return pixels_.data() + static_cast<std::size_t>(y) * row_bytes() +
         static_cast<std::size_t>(x) * static_cast<std::size_t>(channels());
}

image::ImageView ImageBuffer::view() const noexcept {
  image::ImageView view;
  view.data = pixels_.data();
  view.width = width_;
  view.height = height_;
  view.stride_bytes = row_bytes();
  view.format = format_;
  view.memory = image::MemoryKind::kHost;
  return view;
}

}  // namespace trtutils::image_io
