#pragma once
// Drawing detections on an image, on the CPU: a box outline per detection in
// its class's colour, and a filled tag "name 0.87" above it (text rendered
// with stb_easy_font, scaled up in whole pixels).
//
//   ImageBuffer photo = load_image("street.jpg");
//   draw_detections(photo, detector.detect(photo.view()), coco_names);
//   save_image(photo.view(), "street_boxes.jpg");
//
// Geometry: a box's corners are pixel edges (pixel i spans [i, i + 1)), as
// the detectors report them. Each side is rounded to the nearest edge, so the
// box covers columns floor(x1 + 0.5) .. floor(x2 + 0.5) - 1 (at least one
// column; rows likewise). The outline is the line_width outermost pixels of
// that rectangle, inside it; whatever falls outside the image is not drawn,
// so a box partly outside shows only its visible sides.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "trtutils/image/detection.hpp"
#include "trtutils/image_io/image_buffer.hpp"

namespace trtutils::image_io {

struct Color {
  std::uint8_t r = 0;
  std::uint8_t g = 0;
  std::uint8_t b = 0;
  friend bool operator==(const Color&, const Color&) = default;
};

/// The colour of a class: a fixed palette of 16 colours, cycled (negative
/// ids are taken by magnitude).
Color class_color(int class_id) noexcept;

/// Black or white, whichever reads better on `background`.
Color text_color_on(Color background) noexcept;

/// Half-open pixel rectangle [x0, x1) x [y0, y1).
struct PixelRect {
  int x0 = 0;
  int y0 = 0;
  int x1 = 0;
  int y1 = 0;
  friend bool operator==(const PixelRect&, const PixelRect&) = default;
};

/// The pixels a box covers (see the header comment), not clipped to any
/// image. Coordinates are clamped to +-2^24 first, so huge or infinite
/// values stay representable; a NaN side gives an empty rectangle.
PixelRect box_pixels(const image::Detection& detection) noexcept;

struct DrawOptions {
  /// Outline thickness in pixels; 0: 2, or 3 when the image's shorter side
  /// is 1000 pixels or more.
  int line_width = 0;
  /// Image pixels per font unit (the font's glyphs are 9 units tall); 0: 1,
  /// plus 1 for each further 500 pixels of the shorter side.
  int text_scale = 0;
  /// Draw the "name score" tags.
  bool labels = true;
};

/// "name 0.87": labels[class_id] (or "class N" when the list has no such
/// entry), then the score with two decimals. Characters the font lacks
/// (outside printable ASCII) become '?'.
std::string label_text(const image::Detection& detection, std::span<const std::string> labels);

/// Where the tag of `text` for a box goes in a width x height image: above
/// the box's top-left corner, or just inside the box's top when there is no
/// room above; moved left or up as needed to stay inside the image (when
/// it fits). Not clipped.
PixelRect label_tag_rect(std::string_view text, const PixelRect& box, int width, int height,
                         int text_scale);

/// The line width and text scale `options` give for a width x height image.
int effective_line_width(const DrawOptions& options, int width, int height) noexcept;
int effective_text_scale(const DrawOptions& options, int width, int height) noexcept;

/// Draws every box outline, then every tag, in the order given (later ones
/// on top). The image must be RGB8, BGR8, RGBA8 or BGRA8 (alpha is left as
/// it is): InvalidArgument otherwise, or for a line width outside 0..1000 or
/// a text scale outside 0..100.
void draw_detections(ImageBuffer& image, std::span<const image::Detection> detections,
                     std::span<const std::string> labels, const DrawOptions& options = {});

}  // namespace trtutils::image_io
