// Drawing detections: the outline is exactly the line_width outermost pixels
// of the rounded box, in the class's colour and the image's byte order;
// nothing else changes; sides outside the image are clipped away; tags sit
// above the box (or inside it at the top edge), hold the text in a
// contrasting colour, and stay inside the image.
#include "trtutils/image_io/draw_detections.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "trtutils/core/error.hpp"

namespace {

using namespace trtutils::image_io;
using trtutils::InvalidArgument;
using trtutils::image::Detection;
using trtutils::image::PixelFormat;

constexpr Color kBackground{50, 60, 70};

ImageBuffer plain(int width, int height, PixelFormat format = PixelFormat::kRGB8) {
  ImageBuffer image(width, height, format);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      std::uint8_t* p = image.pixel(x, y);
      const bool blue_first = format == PixelFormat::kBGR8 || format == PixelFormat::kBGRA8;
      p[0] = blue_first ? kBackground.b : kBackground.r;
      p[1] = kBackground.g;
      p[2] = blue_first ? kBackground.r : kBackground.b;
      if (image.channels() == 4) p[3] = 77;
    }
  }
  return image;
}

Color color_at(const ImageBuffer& image, int x, int y) {
  const std::uint8_t* p = image.pixel(x, y);
  if (image.format() == PixelFormat::kBGR8 || image.format() == PixelFormat::kBGRA8) {
    return {p[2], p[1], p[0]};
  }
  return {p[0], p[1], p[2]};
}

Detection box(float x1, float y1, float x2, float y2, int class_id = 0, float score = 0.5f) {
  return {x1, y1, x2, y2, score, class_id, 0};
}

/// Independent statement of the outline: inside [x0, x1) x [y0, y1) and
/// within `width` pixels of one of its edges.
bool on_outline(int x, int y, int x0, int y0, int x1, int y1, int width) {
  const bool inside = x >= x0 && x < x1 && y >= y0 && y < y1;
  const bool near_edge = x < x0 + width || x >= x1 - width || y < y0 + width || y >= y1 - width;
  return inside && near_edge;
}

void expect_untouched(const ImageBuffer& image) {
  for (int y = 0; y < image.height(); ++y) {
    for (int x = 0; x < image.width(); ++x) {
      ASSERT_EQ(color_at(image, x, y), kBackground) << "pixel (" << x << ", " << y << ")";
    }
  }
}

/// Checks every pixel: on the outline it has `color`, elsewhere the background.
void expect_only_outline(const ImageBuffer& image, int x0, int y0, int x1, int y1, int width,
                         Color color) {
  int painted = 0;
  for (int y = 0; y < image.height(); ++y) {
    for (int x = 0; x < image.width(); ++x) {
      const bool expected = on_outline(x, y, x0, y0, x1, y1, width);
      painted += expected ? 1 : 0;
      ASSERT_EQ(color_at(image, x, y), expected ? color : kBackground)
          << "pixel (" << x << ", " << y << ") " << (expected ? "on" : "off") << " the outline";
    }
  }
  EXPECT_GT(painted, 0) << "the test's box is not visible at all";
}

const DrawOptions kNoLabels{.line_width = 2, .text_scale = 0, .labels = false};

TEST(BoxPixels, RoundsEachSideToTheNearestEdge) {
  EXPECT_EQ(box_pixels(box(10.2f, 20.4f, 60.6f, 70.0f)), (PixelRect{10, 20, 61, 70}));
  EXPECT_EQ(box_pixels(box(10.5f, 0.49f, 11.4f, 3.5f)), (PixelRect{11, 0, 12, 4}));
  // Narrower than a pixel after rounding: still one column.
  EXPECT_EQ(box_pixels(box(5.2f, 5.0f, 5.4f, 9.0f)), (PixelRect{5, 5, 6, 9}));
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(box_pixels(box(-inf, 0, inf, 4)), (PixelRect{-16777216, 0, 16777216, 4}));
  EXPECT_EQ(box_pixels(box(std::nanf(""), 0, 3, 4)), (PixelRect{}));
}

TEST(ClassColor, SixteenDistinctColoursThenCycles) {
  std::set<std::tuple<int, int, int>> seen;
  for (int id = 0; id < 16; ++id) {
    const Color c = class_color(id);
    seen.insert({c.r, c.g, c.b});
    EXPECT_EQ(class_color(id + 16), c);
  }
  EXPECT_EQ(seen.size(), 16u);
  EXPECT_EQ(class_color(-3), class_color(3));
}

TEST(TextColor, BlackOnLightWhiteOnDark) {
  EXPECT_EQ(text_color_on({250, 215, 40}), (Color{0, 0, 0}));
  EXPECT_EQ(text_color_on({50, 80, 220}), (Color{255, 255, 255}));
}

TEST(DrawDetections, OutlineIsExactlyTheBorderPixelsInTheClassColour) {
  ImageBuffer image = plain(100, 80);
  const std::vector<Detection> detections = {box(10.2f, 20.4f, 60.6f, 70.0f, 3)};
  draw_detections(image, detections, {}, kNoLabels);
  expect_only_outline(image, 10, 20, 61, 70, 2, class_color(3));
}

TEST(DrawDetections, BlueFirstImagesGetTheSameColours) {
  for (const PixelFormat format : {PixelFormat::kBGR8, PixelFormat::kBGRA8, PixelFormat::kRGBA8}) {
    ImageBuffer image = plain(40, 30, format);
    const std::vector<Detection> detections = {box(5, 6, 25, 20, 7)};
    draw_detections(image, detections, {}, {.line_width = 3, .labels = false});
    expect_only_outline(image, 5, 6, 25, 20, 3, class_color(7));
    if (image.channels() == 4) {
      for (int y = 0; y < 30; ++y) {
        for (int x = 0; x < 40; ++x) ASSERT_EQ(image.pixel(x, y)[3], 77) << "alpha changed";
      }
    }
  }
}

TEST(DrawDetections, BoxOnTheImageEdgeIsTheOuterFrame) {
  ImageBuffer image = plain(32, 24);
  const std::vector<Detection> detections = {box(0, 0, 32, 24, 1)};
  draw_detections(image, detections, {}, kNoLabels);
  expect_only_outline(image, 0, 0, 32, 24, 2, class_color(1));
}

TEST(DrawDetections, SidesOutsideTheImageAreClipped) {
  // Left and top sides lie outside: only the right (x 28, 29) and bottom
  // (y 18, 19) sides show, over the visible part of the box.
  ImageBuffer image = plain(40, 30);
  const std::vector<Detection> detections = {box(-10, -5, 30, 20, 2)};
  draw_detections(image, detections, {}, kNoLabels);
  for (int y = 0; y < 30; ++y) {
    for (int x = 0; x < 40; ++x) {
      const bool visible = x < 30 && y < 20 && (x >= 28 || y >= 18);
      ASSERT_EQ(color_at(image, x, y), visible ? class_color(2) : kBackground) << x << "," << y;
    }
  }
}

TEST(DrawDetections, BoxesAroundOrOutsideTheImageDrawNothing) {
  ImageBuffer image = plain(20, 10);
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<Detection> detections = {
      box(-5, -5, 25, 15),          // encloses the image: every side outside
      box(30, 2, 40, 8),            // right of it
      box(2, -20, 8, -1),           // above it
      box(-inf, -inf, inf, inf),    // infinite
      box(std::nanf(""), 1, 5, 5),  // NaN corner
  };
  draw_detections(image, detections, {}, kNoLabels);
  expect_untouched(image);
}

TEST(DrawDetections, BoxThinnerThanTwoLinesIsFilled) {
  ImageBuffer image = plain(20, 20);
  const std::vector<Detection> detections = {box(4, 5, 7, 15, 5)};  // 3 columns wide
  draw_detections(image, detections, {}, kNoLabels);
  for (int y = 0; y < 20; ++y) {
    for (int x = 0; x < 20; ++x) {
      const bool inside = x >= 4 && x < 7 && y >= 5 && y < 15;
      ASSERT_EQ(color_at(image, x, y), inside ? class_color(5) : kBackground) << x << "," << y;
    }
  }
}

TEST(DrawDetections, AutomaticLineWidthAndScaleFollowTheImageSize) {
  EXPECT_EQ(effective_line_width({}, 640, 480), 2);
  EXPECT_EQ(effective_line_width({}, 1920, 1080), 3);
  EXPECT_EQ(effective_line_width({.line_width = 5}, 640, 480), 5);
  EXPECT_EQ(effective_text_scale({}, 640, 480), 1);
  EXPECT_EQ(effective_text_scale({}, 1920, 1080), 3);
  EXPECT_EQ(effective_text_scale({.text_scale = 4}, 100, 100), 4);
}

TEST(LabelText, NameAndScoreWithTwoDecimals) {
  const std::vector<std::string> labels = {"person", "bicycle", "", "caf\xc3\xa9"};
  EXPECT_EQ(label_text(box(0, 0, 1, 1, 0, 0.8712f), labels), "person 0.87");
  EXPECT_EQ(label_text(box(0, 0, 1, 1, 1, 0.5f), labels), "bicycle 0.50");
  EXPECT_EQ(label_text(box(0, 0, 1, 1, 2, 0.5f), labels), "class 2 0.50");  // empty name
  EXPECT_EQ(label_text(box(0, 0, 1, 1, 7, 1.0f), labels), "class 7 1.00");  // no such entry
  EXPECT_EQ(label_text(box(0, 0, 1, 1, -1, 0.25f), labels), "class -1 0.25");
  EXPECT_EQ(label_text(box(0, 0, 1, 1, 3, 0.25f), labels), "caf?? 0.25");  // font is ASCII
}

TEST(LabelTag, AboveTheBoxOrInsideAtTheTopAndInsideTheImage) {
  const PixelRect above = label_tag_rect("dog 0.90", {50, 40, 90, 80}, 200, 100, 1);
  EXPECT_EQ(above.x0, 50);
  EXPECT_EQ(above.y1, 40) << "the tag ends where the box starts";
  EXPECT_EQ(above.y1 - above.y0, 11) << "9 font units of glyphs and 1 of padding each side";
  const PixelRect longer = label_tag_rect("dog 0.90 and more", {50, 40, 90, 80}, 200, 100, 1);
  EXPECT_GT(longer.x1 - longer.x0, above.x1 - above.x0);
  const PixelRect doubled = label_tag_rect("dog 0.90", {50, 40, 90, 80}, 200, 100, 2);
  EXPECT_EQ(doubled.y1 - doubled.y0, 22);
  EXPECT_EQ(doubled.x1 - doubled.x0, 2 * (above.x1 - above.x0));

  const PixelRect top = label_tag_rect("dog 0.90", {50, 3, 90, 80}, 200, 100, 1);
  EXPECT_EQ(top.y0, 3) << "no room above: inside the box, at its top";
  const PixelRect right = label_tag_rect("dog 0.90", {195, 40, 200, 80}, 200, 100, 1);
  EXPECT_EQ(right.x1, 200) << "moved left to stay inside the image";
  // No room above, and inside the box it would pass the bottom: moved up.
  const PixelRect low = label_tag_rect("dog 0.90", {10, 5, 20, 12}, 200, 12, 1);
  EXPECT_EQ(low.y0, 1);
  EXPECT_EQ(low.y1, 12);
}

TEST(DrawDetections, TagHoldsTheTextAndNothingElseChanges) {
  ImageBuffer image = plain(200, 120);
  const std::vector<std::string> labels = {"person", "car"};
  const std::vector<Detection> detections = {box(40, 50, 150, 110, 1, 0.87f)};
  const DrawOptions options{.line_width = 2, .text_scale = 2, .labels = true};
  draw_detections(image, detections, labels, options);

  const PixelRect tag = label_tag_rect("car 0.87", {40, 50, 150, 110}, 200, 120, 2);
  ASSERT_EQ(tag.y1, 50);
  const Color fill = class_color(1);
  const Color ink = text_color_on(fill);
  int ink_pixels = 0;
  int ink_x0 = 1000, ink_y0 = 1000, ink_x1 = -1, ink_y1 = -1;
  for (int y = 0; y < image.height(); ++y) {
    for (int x = 0; x < image.width(); ++x) {
      const Color c = color_at(image, x, y);
      const bool in_tag = x >= tag.x0 && x < tag.x1 && y >= tag.y0 && y < tag.y1;
      if (in_tag) {
        ASSERT_TRUE(c == fill || c == ink) << x << "," << y;
        if (c == ink) {
          ++ink_pixels;
          ink_x0 = std::min(ink_x0, x);
          ink_y0 = std::min(ink_y0, y);
          ink_x1 = std::max(ink_x1, x + 1);
          ink_y1 = std::max(ink_y1, y + 1);
        }
      } else {
        const bool outline = on_outline(x, y, 40, 50, 150, 110, 2);
        ASSERT_EQ(c, outline ? fill : kBackground) << x << "," << y;
      }
    }
  }
  EXPECT_GT(ink_pixels, 50) << "eight characters drawn";
  // The text keeps one font unit (2 pixels) of padding inside the tag, and
  // each font unit is a 2 x 2 block.
  EXPECT_GE(ink_x0, tag.x0 + 2);
  EXPECT_GE(ink_y0, tag.y0 + 2);
  EXPECT_LE(ink_x1, tag.x1 - 2);
  EXPECT_LE(ink_y1, tag.y1 - 2);
  EXPECT_EQ(ink_pixels % 4, 0);
}

TEST(DrawDetections, LaterDetectionsAreDrawnOnTop) {
  ImageBuffer image = plain(30, 30);
  const std::vector<Detection> detections = {box(0, 0, 20, 20, 0), box(10, 10, 30, 30, 1)};
  draw_detections(image, detections, {}, kNoLabels);
  EXPECT_EQ(color_at(image, 10, 19), class_color(1)) << "second box's top side over the first";
  EXPECT_EQ(color_at(image, 0, 0), class_color(0));
  EXPECT_EQ(color_at(image, 29, 29), class_color(1));
}

TEST(DrawDetections, RefusesGreyImagesAndBadOptions) {
  ImageBuffer grey(10, 10, PixelFormat::kGray8);
  const std::vector<Detection> detections = {box(1, 1, 5, 5)};
  EXPECT_THROW(draw_detections(grey, detections, {}), InvalidArgument);
  ImageBuffer image = plain(10, 10);
  EXPECT_THROW(draw_detections(image, detections, {}, {.line_width = -1}), InvalidArgument);
  EXPECT_THROW(draw_detections(image, detections, {}, {.text_scale = -2}), InvalidArgument);
  ImageBuffer empty;
  EXPECT_THROW(draw_detections(empty, detections, {}), InvalidArgument);
}

}  // namespace
