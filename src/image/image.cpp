#include "trtutils/image/image.hpp"

#include "trtutils/core/error.hpp"

namespace trtutils::image {

int bytes_per_pixel(PixelFormat format) noexcept {
  switch (format) {
    case PixelFormat::kBGR8:
    case PixelFormat::kRGB8:
      return 3;
    case PixelFormat::kBGRA8:
    case PixelFormat::kRGBA8:
      return 4;
    case PixelFormat::kGray8:
      return 1;
  }
  return 0;
}

int output_channels(PixelFormat format) noexcept { return format == PixelFormat::kGray8 ? 1 : 3; }

bool is_blue_first(PixelFormat format) noexcept {
  return format == PixelFormat::kBGR8 || format == PixelFormat::kBGRA8;
}

std::string_view pixel_format_name(PixelFormat format) noexcept {
  switch (format) {
    case PixelFormat::kBGR8:
      return "BGR8";
    case PixelFormat::kRGB8:
      return "RGB8";
    case PixelFormat::kBGRA8:
      return "BGRA8";
    case PixelFormat::kRGBA8:
      return "RGBA8";
    case PixelFormat::kGray8:
      return "GRAY8";
  }
  return "?";
}

std::string_view memory_kind_name(MemoryKind kind) noexcept {
  switch (kind) {
    case MemoryKind::kHost:
      return "host";
    case MemoryKind::kPinnedHost:
      return "pinned host";
    case MemoryKind::kDevice:
      return "device";
  }
  return "?";
}

std::size_t ImageView::span_bytes() const noexcept {
  if (width <= 0 || height <= 0) return 0;
  const std::size_t row =
      static_cast<std::size_t>(width) * static_cast<std::size_t>(bytes_per_pixel(format));
  return (static_cast<std::size_t>(height) - 1) * row_stride() + row;
}

void check_image(const ImageView& image, std::size_t index) {
  TRTUTILS_CHECK(image.width > 0 && image.height > 0, "image ", index, " is ", image.width, "x",
                 image.height, ": width and height must be positive");
  TRTUTILS_CHECK(image.data != nullptr, "image ", index, " (", image.width, "x", image.height,
                 ") has no data pointer");
  const std::size_t row = static_cast<std::size_t>(image.width) *
                          static_cast<std::size_t>(bytes_per_pixel(image.format));
  TRTUTILS_CHECK(image.row_stride() >= row, "image ", index, " has stride_bytes ",
                 image.stride_bytes, " but a ", pixel_format_name(image.format), " row of width ",
                 image.width, " needs ", row, " bytes");
}

}  // namespace trtutils::image
