#pragma once
// Images as the vision pipeline sees them: a non-owning view of 8-bit,
// interleaved (HWC) pixels in host, page-locked host or device memory. A batch
// is a std::span<const ImageView>; images in one batch may differ in size but
// share a pixel format.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace trtutils::image {

/// Interleaved 8-bit pixel layouts, named in memory order (BGR8: byte 0 is blue,
/// as OpenCV stores images).
enum class PixelFormat : std::uint8_t { kBGR8, kRGB8, kBGRA8, kRGBA8, kGray8 };

/// Where an image's bytes live. Host memory is staged through page-locked
/// buffers; page-locked host memory is uploaded directly; device memory is
/// read in place.
enum class MemoryKind : std::uint8_t { kHost, kPinnedHost, kDevice };

/// Bytes per pixel: 3 (BGR8, RGB8), 4 (BGRA8, RGBA8), 1 (Gray8).
int bytes_per_pixel(PixelFormat format) noexcept;
/// Channels a pre-processed tensor gets from this format: 3, or 1 for Gray8
/// (alpha is dropped).
int output_channels(PixelFormat format) noexcept;
/// True for formats whose colour bytes are stored blue first (BGR8, BGRA8).
bool is_blue_first(PixelFormat format) noexcept;
std::string_view pixel_format_name(PixelFormat format) noexcept;
std::string_view memory_kind_name(MemoryKind kind) noexcept;

/// A non-owning view of one image. Row y starts at
/// static_cast<const std::byte*>(data) + y * stride_bytes; stride_bytes is at
/// least width * bytes_per_pixel(format) (0 means exactly that: packed rows).
struct ImageView {
  const void* data = nullptr;
  int width = 0;
  int height = 0;
  std::size_t stride_bytes = 0;
  PixelFormat format = PixelFormat::kBGR8;
  MemoryKind memory = MemoryKind::kHost;

  /// stride_bytes, or the packed row size when stride_bytes is 0.
  std::size_t row_stride() const noexcept {
    return stride_bytes != 0 ? stride_bytes
                             : static_cast<std::size_t>(width) *
                                   static_cast<std::size_t>(bytes_per_pixel(format));
  }
  /// Bytes from the first pixel to one past the last: (height - 1) rows of
  /// stride plus one packed row (a view into a larger image may end there).
  std::size_t span_bytes() const noexcept;
};

/// Throws InvalidArgument, naming the image by `index`, unless `image` has
/// data, a positive size and a stride that holds a row.
void check_image(const ImageView& image, std::size_t index);

}  // namespace trtutils::image
