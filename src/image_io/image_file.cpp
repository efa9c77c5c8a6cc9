#include "trtutils/image_io/image_file.hpp"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>

#include "trtutils/core/error.hpp"

namespace trtutils::image_io {

namespace {

namespace fs = std::filesystem;

/// FileError unless `path` is an existing regular file; the message says which.
void check_readable_file(const fs::path& path) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) {
    throw FileError(
        detail::concat("cannot read image '", path.string(), "': no such file (check the path)"));
  }
  if (!fs::is_regular_file(status)) {
    throw FileError(detail::concat("cannot read image '", path.string(), "': not a regular file"));
  }
}

std::vector<std::uint8_t> read_file_bytes(const fs::path& path) {
  check_readable_file(path);
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    throw FileError(
        detail::concat("cannot read image '", path.string(), "': ", std::strerror(errno)));
  }
  const std::streamoff size = in.tellg();
  if (size > INT_MAX) {
    throw FileError(detail::concat("cannot read image '", path.string(), "': ", size,
                                   " bytes, over the 2 GiB stb_image decodes"));
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), size);
  if (!in) {
    throw FileError(detail::concat("cannot read image '", path.string(), "': read failed"));
  }
  return bytes;
}

/// The stb component count that decodes into `format` (before any R/B swap).
int stb_components(image::PixelFormat format) noexcept {
  switch (format) {
    case image::PixelFormat::kGray8:
      return 1;
    case image::PixelFormat::kRGB8:
    case image::PixelFormat::kBGR8:
      return 3;
    case image::PixelFormat::kRGBA8:
    case image::PixelFormat::kBGRA8:
      return 4;
  }
  return 3;
}

/// Swaps bytes 0 and 2 of every pixel of a packed buffer (RGB <-> BGR).
void swap_red_blue(std::uint8_t* pixels, std::size_t count, int channels) noexcept {
  for (std::size_t i = 0; i < count; ++i) {
    std::swap(pixels[i * static_cast<std::size_t>(channels)],
              pixels[i * static_cast<std::size_t>(channels) + 2]);
  }
}

struct StbFree {
  void operator()(stbi_uc* pixels) const noexcept { stbi_image_free(pixels); }
};

/// A view's pixels as stb_image_write takes them: red first, `channels`
/// bytes per pixel, rows `stride` bytes apart (packed when `packed`).
struct StbPixels {
  const std::uint8_t* data = nullptr;
  int channels = 0;
  int stride = 0;
  std::vector<std::uint8_t> storage;
};

StbPixels stb_pixels(const image::ImageView& view, bool packed) {
  StbPixels out;
  out.channels = image::bytes_per_pixel(view.format);
  const std::size_t row =
      static_cast<std::size_t>(view.width) * static_cast<std::size_t>(out.channels);
  const bool needs_copy = image::is_blue_first(view.format) || (packed && view.row_stride() != row);
  if (!needs_copy) {
    out.data = static_cast<const std::uint8_t*>(view.data);
    out.stride = static_cast<int>(view.row_stride());
    return out;
  }
  out.storage.resize(row * static_cast<std::size_t>(view.height));
  const auto* source = static_cast<const std::uint8_t*>(view.data);
  for (int y = 0; y < view.height; ++y) {
    std::memcpy(out.storage.data() + static_cast<std::size_t>(y) * row,
                source + static_cast<std::size_t>(y) * view.row_stride(), row);
  }
  if (image::is_blue_first(view.format)) {
    swap_red_blue(out.storage.data(),
                  static_cast<std::size_t>(view.width) * static_cast<std::size_t>(view.height),
                  out.channels);
  }
  out.data = out.storage.data();
  out.stride = static_cast<int>(row);
  return out;
}

void append_bytes(void* context, void* data, int size) {
  auto* bytes = static_cast<std::vector<std::uint8_t>*>(context);
  const auto* begin = static_cast<const std::uint8_t*>(data);
  bytes->insert(bytes->end(), begin, begin + size);
}

std::string lower_extension(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension;
}

}  // namespace

ImageFileInfo read_image_info(const fs::path& path) {
  check_readable_file(path);
  ImageFileInfo info;
  if (stbi_info(path.c_str(), &info.width, &info.height, &info.channels) == 0) {
    throw FileError(detail::concat("cannot read image '", path.string(),
                                   "': ", stbi_failure_reason(),
                                   " (stb_image reads PNG, JPEG, BMP, GIF, TGA, PSD, HDR, PIC, "
                                   "PNM)"));
  }
  return info;
}

ImageBuffer decode_image(std::span<const std::uint8_t> bytes, image::PixelFormat format,
                         std::string_view name) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    throw FileError(detail::concat("cannot decode image '", name, "': ", bytes.size(),
                                   " bytes, over the 2 GiB stb_image decodes"));
  }
  const int components = stb_components(format);
  int width = 0;
  int height = 0;
  int stored_channels = 0;
  const std::unique_ptr<stbi_uc, StbFree> pixels(stbi_load_from_memory(
      bytes.data(), static_cast<int>(bytes.size()), &width, &height, &stored_channels, components));
  if (!pixels) {
    throw FileError(detail::concat("cannot decode image '", name, "': ", stbi_failure_reason(),
                                   " (stb_image reads PNG, JPEG, BMP, GIF, TGA, PSD, HDR, PIC, "
                                   "PNM)"));
  }
  ImageBuffer image(width, height, format);
  std::memcpy(image.data(), pixels.get(), image.size_bytes());
  if (image::is_blue_first(format)) {
    swap_red_blue(image.data(), static_cast<std::size_t>(width) * static_cast<std::size_t>(height),
                  components);
  }
  return image;
}

ImageBuffer load_image(const fs::path& path, image::PixelFormat format) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  return decode_image(bytes, format, path.string());
}

ImageFileFormat image_file_format_for(const fs::path& path) {
  const std::string extension = lower_extension(path);
  if (extension == ".png") return ImageFileFormat::kPng;
  if (extension == ".jpg" || extension == ".jpeg") return ImageFileFormat::kJpeg;
  TRTUTILS_CHECK(false, "'", path.string(), "': cannot tell the image format from the extension '",
                 extension, "'; name the file .png, .jpg or .jpeg");
  return ImageFileFormat::kPng;
}

std::vector<std::uint8_t> encode_image(const image::ImageView& view, ImageFileFormat format,
                                       const SaveOptions& options) {
  image::check_image(view, 0);
  TRTUTILS_CHECK(view.memory != image::MemoryKind::kDevice,
                 "encode_image: the image is in device memory; copy it to the host first");
  TRTUTILS_CHECK(options.jpeg_quality >= 1 && options.jpeg_quality <= 100, "JPEG quality ",
                 options.jpeg_quality, " is out of range; give 1 .. 100");
  TRTUTILS_CHECK(view.row_stride() <= static_cast<std::size_t>(INT_MAX), "encode_image: rows of ",
                 view.row_stride(), " bytes are too long for stb");
  const bool jpeg = format == ImageFileFormat::kJpeg;
  // stb's JPEG writer takes no stride: it reads packed rows.
  const StbPixels pixels = stb_pixels(view, /*packed=*/jpeg);
  std::vector<std::uint8_t> bytes;
  const int written =
      jpeg ? stbi_write_jpg_to_func(append_bytes, &bytes, view.width, view.height, pixels.channels,
                                    pixels.data, options.jpeg_quality)
           : stbi_write_png_to_func(append_bytes, &bytes, view.width, view.height, pixels.channels,
                                    pixels.data, pixels.stride);
  if (written == 0 || bytes.empty()) {
    throw InvalidArgument(detail::concat("stb_image_write could not encode a ", view.width, "x",
                                         view.height, " ", image::pixel_format_name(view.format),
                                         " image as ", jpeg ? "JPEG" : "PNG",
                                         jpeg ? " (JPEG sides are at most 65535 pixels)" : ""));
  }
  return bytes;
}

void save_image(const image::ImageView& view, const fs::path& path, const SaveOptions& options) {
  const std::vector<std::uint8_t> bytes = encode_image(view, image_file_format_for(path), options);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    throw FileError(
        detail::concat("cannot write image '", path.string(), "': ", std::strerror(errno)));
  }
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    throw FileError(
        detail::concat("cannot write image '", path.string(), "': writing failed (disk full?)"));
  }
}

}  // namespace trtutils::image_io
