#pragma once
// Image files: decoding PNG, JPEG, BMP, GIF (first frame), TGA, PSD, HDR,
// PIC and PNM into an ImageBuffer, and encoding PNG or JPEG, through
// stb_image / stb_image_write (Debian's libstb).
//
//   ImageBuffer photo = load_image("street.jpg");              // RGB8
//   auto detections = detector.detect(photo.view());
//   save_image(photo.view(), "out/street.png");
//
// Every failure is a FileError naming the file and what went wrong (for a
// decoding error, stb's own reason, e.g. "bad huffman code").
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "trtutils/image/image.hpp"
#include "trtutils/image_io/image_buffer.hpp"

namespace trtutils::image_io {

/// An image file's size and stored channel count (1 grey, 2 grey + alpha,
/// 3 colour, 4 colour + alpha), read from its header alone.
struct ImageFileInfo {
  int width = 0;
  int height = 0;
  int channels = 0;
};

/// Reads only the header: a quick check that a file exists and is an image
/// stb can decode, before slower work. FileError naming the file otherwise.
ImageFileInfo read_image_info(const std::filesystem::path& path);

/// Decodes an image file into `format` (RGB8 by default). Colour becomes
/// grey as stb does it ((77 r + 150 g + 29 b) >> 8), grey becomes colour by
/// repeating it, missing alpha becomes 255; 16-bit and HDR images are
/// reduced to 8 bits by stb. FileError naming the file for a missing,
/// unreadable or undecodable file.
ImageBuffer load_image(const std::filesystem::path& path,
                       image::PixelFormat format = image::PixelFormat::kRGB8);

/// The same from encoded bytes held in memory; `name` stands for the file in
/// error messages.
ImageBuffer decode_image(std::span<const std::uint8_t> bytes, image::PixelFormat format,
                         std::string_view name);

enum class ImageFileFormat : std::uint8_t { kPng, kJpeg };

/// By extension, case-insensitive: .png, .jpg / .jpeg. InvalidArgument
/// naming the path and the accepted extensions otherwise.
ImageFileFormat image_file_format_for(const std::filesystem::path& path);

struct SaveOptions {
  /// JPEG quality, 1 (smallest) .. 100 (best).
  int jpeg_quality = 95;
};

/// Encodes a host or page-locked host image. BGR8 / BGRA8 are written as RGB
/// / RGBA (files store red first); JPEG drops alpha. PNG is lossless.
/// InvalidArgument for a device image, an invalid view or a quality out of
/// range.
std::vector<std::uint8_t> encode_image(const image::ImageView& image, ImageFileFormat format,
                                       const SaveOptions& options = {});

/// encode_image in the format the extension names, written to `path` (the
/// folder must exist). FileError naming the file when it cannot be written.
void save_image(const image::ImageView& image, const std::filesystem::path& path,
                const SaveOptions& options = {});

}  // namespace trtutils::image_io
