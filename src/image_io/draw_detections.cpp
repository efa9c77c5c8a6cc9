#include "trtutils/image_io/draw_detections.hpp"

#include <stb/stb_easy_font.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "trtutils/core/error.hpp"

namespace trtutils::image_io {

namespace {

// Hand-picked to be told apart on photographs and from their neighbours.
constexpr std::array<Color, 16> kPalette = {{
    {230, 50, 50},
    {255, 150, 40},
    {250, 215, 40},
    {150, 225, 60},
    {40, 180, 80},
    {40, 200, 190},
    {60, 160, 250},
    {50, 80, 220},
    {140, 80, 235},
    {215, 70, 215},
    {250, 110, 165},
    {165, 105, 55},
    {125, 125, 125},
    {0, 125, 130},
    {180, 180, 40},
    {105, 40, 150},
}};

/// stb_easy_font's glyph quads span y in [0, 9) font units (descenders
/// included; measured over all printable ASCII), x in [0, width - 1).
constexpr int kGlyphHeightUnits = 9;
/// Padding around the text inside a tag, in font units.
constexpr int kTagPaddingUnits = 1;
/// stb_easy_font writes 64 bytes per quad; its densest glyphs use under 16.
constexpr int kVertexBytesPerChar = 64 * 16;

constexpr double kCoordinateLimit = 16777216.0;  // 2^24

int edge_of(float coordinate) noexcept {
  const double clamped =
      std::clamp(static_cast<double>(coordinate), -kCoordinateLimit, kCoordinateLimit);
  return static_cast<int>(std::floor(clamped + 0.5));
}

/// The bytes of `color` in the pixel order of `format`.
std::array<std::uint8_t, 3> pixel_bytes(Color color, image::PixelFormat format) noexcept {
  if (image::is_blue_first(format)) return {color.b, color.g, color.r};
  return {color.r, color.g, color.b};
}

/// Paints `rect` (clipped to the image) with `color`, leaving alpha alone.
void fill_rect(ImageBuffer& image, PixelRect rect, Color color) {
  rect.x0 = std::max(rect.x0, 0);
  rect.y0 = std::max(rect.y0, 0);
  rect.x1 = std::min(rect.x1, image.width());
  rect.y1 = std::min(rect.y1, image.height());
  const std::array<std::uint8_t, 3> bytes = pixel_bytes(color, image.format());
  for (int y = rect.y0; y < rect.y1; ++y) {
    for (int x = rect.x0; x < rect.x1; ++x) std::memcpy(image.pixel(x, y), bytes.data(), 3);
  }
}

void draw_outline(ImageBuffer& image, const PixelRect& box, int line_width, Color color) {
  if (box.x1 <= box.x0 || box.y1 <= box.y0) return;
  const int top_end = std::min(box.y0 + line_width, box.y1);
  const int bottom_start = std::max(box.y1 - line_width, top_end);
  fill_rect(image, {box.x0, box.y0, box.x1, top_end}, color);
  fill_rect(image, {box.x0, bottom_start, box.x1, box.y1}, color);
  const int left_end = std::min(box.x0 + line_width, box.x1);
  const int right_start = std::max(box.x1 - line_width, left_end);
  fill_rect(image, {box.x0, top_end, left_end, bottom_start}, color);
  fill_rect(image, {right_start, top_end, box.x1, bottom_start}, color);
}

int text_width_units(std::string_view text) {
  std::string copy(text);
  return stb_easy_font_width(copy.data());
}

/// Renders `text` with its font origin at pixel (x, y), each font unit a
/// scale x scale block.
void draw_text(ImageBuffer& image, std::string_view text, int x, int y, int scale, Color color) {
  std::string copy(text);
  std::vector<char> vertices(copy.size() * kVertexBytesPerChar + 64);
  const int quads = stb_easy_font_print(0.0f, 0.0f, copy.data(), nullptr, vertices.data(),
                                        static_cast<int>(vertices.size()));
  for (int q = 0; q < quads; ++q) {
    // Vertex 0 is the quad's top-left corner, vertex 2 its bottom-right; each
    // vertex is x, y, z (floats) then 4 colour bytes.
    float corner[2][2];
    std::memcpy(corner[0], vertices.data() + q * 64, sizeof corner[0]);
    std::memcpy(corner[1], vertices.data() + q * 64 + 32, sizeof corner[1]);
    const int x0 = static_cast<int>(corner[0][0]);
    const int y0 = static_cast<int>(corner[0][1]);
    const int x1 = static_cast<int>(corner[1][0]);
    const int y1 = static_cast<int>(corner[1][1]);
    fill_rect(image, {x + x0 * scale, y + y0 * scale, x + x1 * scale, y + y1 * scale}, color);
  }
}

void check_drawable(const ImageBuffer& image, const DrawOptions& options) {
  TRTUTILS_CHECK(!image.empty(), "draw_detections: the image is empty");
  TRTUTILS_CHECK(image.format() != image::PixelFormat::kGray8,
                 "draw_detections: coloured boxes need a colour image (RGB8, BGR8, RGBA8 or "
                 "BGRA8), not Gray8; load the image as RGB8");
  TRTUTILS_CHECK(options.line_width >= 0 && options.line_width <= 1000,
                 "draw_detections: line "
                 "width ",
                 options.line_width, " is out of range; give 0 (automatic) .. 1000");
  TRTUTILS_CHECK(options.text_scale >= 0 && options.text_scale <= 100,
                 "draw_detections: text "
                 "scale ",
                 options.text_scale, " is out of range; give 0 (automatic) .. 100");
}

}  // namespace

Color class_color(int class_id) noexcept {
  const auto magnitude = class_id < 0 ? -static_cast<long long>(class_id) : class_id;
  return kPalette[static_cast<std::size_t>(magnitude % static_cast<long long>(kPalette.size()))];
}

Color text_color_on(Color background) noexcept {
  // Rec. 601 luma: black text on light colours, white on dark ones.
  const int luma = 299 * background.r + 587 * background.g + 114 * background.b;
  return luma > 150 * 1000 ? Color{0, 0, 0} : Color{255, 255, 255};
}

PixelRect box_pixels(const image::Detection& detection) noexcept {
  if (std::isnan(detection.x1) || std::isnan(detection.y1) || std::isnan(detection.x2) ||
      std::isnan(detection.y2)) {
    return {};
  }
  PixelRect rect{edge_of(detection.x1), edge_of(detection.y1), edge_of(detection.x2),
                 edge_of(detection.y2)};
  rect.x1 = std::max(rect.x1, rect.x0 + 1);
  rect.y1 = std::max(rect.y1, rect.y0 + 1);
  return rect;
}

std::string label_text(const image::Detection& detection, std::span<const std::string> labels) {
  const bool named = detection.class_id >= 0 &&
                     static_cast<std::size_t>(detection.class_id) < labels.size() &&
                     !labels[static_cast<std::size_t>(detection.class_id)].empty();
  std::string text = named ? labels[static_cast<std::size_t>(detection.class_id)]
                           : "class " + std::to_string(detection.class_id);
  char score[32];
  std::snprintf(score, sizeof score, " %.2f", static_cast<double>(detection.score));
  text += score;
  for (char& c : text) {
    if (c < 32 || c > 126) c = '?';  // the font has printable ASCII only
  }
  return text;
}

PixelRect label_tag_rect(std::string_view text, const PixelRect& box, int width, int height,
                         int text_scale) {
  const int tag_width = (text_width_units(text) + kTagPaddingUnits) * text_scale;
  const int tag_height = (kGlyphHeightUnits + 2 * kTagPaddingUnits) * text_scale;
  int x = box.x0;
  int y = box.y0 - tag_height >= 0 ? box.y0 - tag_height : box.y0;
  if (x + tag_width > width) x = width - tag_width;
  if (y + tag_height > height) y = height - tag_height;
  x = std::max(x, 0);
  y = std::max(y, 0);
  return {x, y, x + tag_width, y + tag_height};
}

int effective_line_width(const DrawOptions& options, int width, int height) noexcept {
  if (options.line_width > 0) return options.line_width;
  return std::min(width, height) >= 1000 ? 3 : 2;
}

int effective_text_scale(const DrawOptions& options, int width, int height) noexcept {
  if (options.text_scale > 0) return options.text_scale;
  return 1 + std::min(width, height) / 500;
}

void draw_detections(ImageBuffer& image, std::span<const image::Detection> detections,
                     std::span<const std::string> labels, const DrawOptions& options) {
  check_drawable(image, options);
  const int line_width = effective_line_width(options, image.width(), image.height());
  for (const image::Detection& detection : detections) {
    draw_outline(image, box_pixels(detection), line_width, class_color(detection.class_id));
  }
  if (!options.labels) return;
  const int scale = effective_text_scale(options, image.width(), image.height());
  for (const image::Detection& detection : detections) {
    const PixelRect box = box_pixels(detection);
    if (box.x1 <= box.x0) continue;  // NaN corners: nowhere to put the tag
    const std::string text = label_text(detection, labels);
    const PixelRect tag = label_tag_rect(text, box, image.width(), image.height(), scale);
    const Color background = class_color(detection.class_id);
    fill_rect(image, tag, background);
    draw_text(image, text, tag.x0 + kTagPaddingUnits * scale, tag.y0 + kTagPaddingUnits * scale,
              scale, text_color_on(background));
  }
}

}  // namespace trtutils::image_io
