#pragma once
// cv::Mat -> image::ImageView, for callers that hold images as OpenCV
// matrices. Header-only; include it only where OpenCV is available (the
// library itself never links OpenCV).
//
//   cv::Mat frame = ...;                                   // CV_8UC3, BGR
//   auto detections = detector.detect(trtutils::vision::to_image_view(frame));
//
// The view borrows the matrix's pixels (host memory, rows mat.step[0] bytes
// apart, so ROIs and other non-continuous matrices work): keep the matrix
// alive while the view is used.
#include <cstddef>
#include <opencv2/core.hpp>
#include <optional>

#include "trtutils/core/error.hpp"
#include "trtutils/image/image.hpp"

namespace trtutils::vision {

/// BGR8 for 3 channels, Gray8 for 1, BGRA8 for 4 (OpenCV's own orders).
inline image::PixelFormat default_pixel_format(int channels) {
  switch (channels) {
    case 1:
      return image::PixelFormat::kGray8;
    case 3:
      return image::PixelFormat::kBGR8;
    case 4:
      return image::PixelFormat::kBGRA8;
    default:
      break;
  }
  TRTUTILS_CHECK(false, "to_image_view: a cv::Mat with ", channels,
                 " channels has no pixel format; pass 1 (grey), 3 (BGR/RGB) or 4 (BGRA/RGBA) "
                 "channels, e.g. convert with cv::cvtColor");
  return image::PixelFormat::kBGR8;
}

/// A view of `mat` as `format` (by default from its channel count). Throws
/// InvalidArgument for an empty matrix, a depth other than CV_8U, more than
/// two dimensions, or a channel count that does not match `format`.
inline image::ImageView to_image_view(const cv::Mat& mat,
                                      std::optional<image::PixelFormat> format = std::nullopt) {
  TRTUTILS_CHECK(!mat.empty(),
                 "to_image_view: the cv::Mat is empty; load or create the image first");
  TRTUTILS_CHECK(mat.dims == 2, "to_image_view: the cv::Mat has ", mat.dims,
                 " dimensions; images are 2-D (rows x cols x channels)");
  TRTUTILS_CHECK(mat.depth() == CV_8U, "to_image_view: the cv::Mat's depth is ", mat.depth(), " (",
                 cv::typeToString(mat.type()),
                 "); only 8-bit images (CV_8U) are accepted, convert with "
                 "mat.convertTo(out, CV_8U, scale)");
  const image::PixelFormat chosen = format ? *format : default_pixel_format(mat.channels());
  TRTUTILS_CHECK(image::bytes_per_pixel(chosen) == mat.channels(),
                 "to_image_view: ", image::pixel_format_name(chosen), " needs ",
                 image::bytes_per_pixel(chosen), "-channel pixels but the cv::Mat has ",
                 mat.channels(),
                 " channel(s); pass a matching format or convert with cv::cvtColor");
  image::ImageView view;
  view.data = mat.data;
  view.width = mat.cols;
  view.height = mat.rows;
  view.stride_bytes = static_cast<std::size_t>(mat.step[0]);
  view.format = chosen;
  view.memory = image::MemoryKind::kHost;
  return view;
}

}  // namespace trtutils::vision
