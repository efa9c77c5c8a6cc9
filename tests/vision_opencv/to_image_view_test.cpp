// vision::to_image_view on real cv::Mat objects: pointer, size, stride and
// format, non-continuous ROIs, and the refusals.
#include <gtest/gtest.h>

#include <string>

#include "trtutils/vision/opencv.hpp"

namespace trtutils::vision {
namespace {

TEST(ToImageView, ThreeChannelMatIsBgrWithItsOwnStride) {
  const cv::Mat mat(48, 64, CV_8UC3, cv::Scalar(1, 2, 3));
  const image::ImageView view = to_image_view(mat);
  EXPECT_EQ(view.data, mat.data);
  EXPECT_EQ(view.width, 64);
  EXPECT_EQ(view.height, 48);
  EXPECT_EQ(view.stride_bytes, 64u * 3u);
  EXPECT_EQ(view.format, image::PixelFormat::kBGR8);
  EXPECT_EQ(view.memory, image::MemoryKind::kHost);
  // Byte 0 of pixel (0, 0) is blue, as the format says.
  EXPECT_EQ(static_cast<const unsigned char*>(view.data)[0], 1);
}

TEST(ToImageView, DefaultFormatsFollowTheChannelCount) {
  EXPECT_EQ(to_image_view(cv::Mat(4, 4, CV_8UC1)).format, image::PixelFormat::kGray8);
  EXPECT_EQ(to_image_view(cv::Mat(4, 4, CV_8UC4)).format, image::PixelFormat::kBGRA8);
  // An explicit format of the same width is taken as given.
  EXPECT_EQ(to_image_view(cv::Mat(4, 4, CV_8UC3), image::PixelFormat::kRGB8).format,
            image::PixelFormat::kRGB8);
  EXPECT_EQ(to_image_view(cv::Mat(4, 4, CV_8UC4), image::PixelFormat::kRGBA8).format,
            image::PixelFormat::kRGBA8);
}

TEST(ToImageView, RegionOfInterestKeepsTheParentStride) {
  cv::Mat parent(100, 200, CV_8UC3, cv::Scalar(0, 0, 0));
  parent.at<cv::Vec3b>(10, 20) = cv::Vec3b(9, 8, 7);
  const cv::Mat roi = parent(cv::Rect(20, 10, 50, 30));
  ASSERT_FALSE(roi.isContinuous());
  const image::ImageView view = to_image_view(roi);
  EXPECT_EQ(view.data, parent.ptr<unsigned char>(10) + 20 * 3);
  EXPECT_EQ(view.width, 50);
  EXPECT_EQ(view.height, 30);
  EXPECT_EQ(view.stride_bytes, 200u * 3u);
  EXPECT_EQ(static_cast<const unsigned char*>(view.data)[0], 9);
  // The view passes the pipeline's own image check (stride holds a row, span ends in the parent).
  EXPECT_NO_THROW(image::check_image(view, 0));
  EXPECT_EQ(view.span_bytes(), 29u * 600u + 150u);
}

std::string refusal(const cv::Mat& mat, std::optional<image::PixelFormat> format = std::nullopt) {
  try {
    (void)to_image_view(mat, format);
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected InvalidArgument";
  return {};
}

TEST(ToImageView, RefusesOtherDepthsChannelCountsAndEmptyMats) {
  std::string what = refusal(cv::Mat(4, 4, CV_32FC3));
  EXPECT_NE(what.find("CV_8U"), std::string::npos) << what;
  EXPECT_NE(what.find("convertTo"), std::string::npos) << what;
  EXPECT_FALSE(refusal(cv::Mat(4, 4, CV_16UC1)).empty());
  what = refusal(cv::Mat(4, 4, CV_8UC2));
  EXPECT_NE(what.find("2 channels"), std::string::npos) << what;
  what = refusal(cv::Mat(4, 4, CV_8UC3), image::PixelFormat::kGray8);
  EXPECT_NE(what.find("GRAY8 needs 1-channel pixels but the cv::Mat has 3"), std::string::npos)
      << what;
  what = refusal(cv::Mat(4, 4, CV_8UC1), image::PixelFormat::kBGRA8);
  EXPECT_NE(what.find("BGRA8 needs 4-channel pixels but the cv::Mat has 1"), std::string::npos)
      << what;
  what = refusal(cv::Mat());
  EXPECT_NE(what.find("empty"), std::string::npos) << what;
  const int sizes[] = {2, 3, 4};
  EXPECT_FALSE(refusal(cv::Mat(3, sizes, CV_8UC1)).empty());
}

}  // namespace
}  // namespace trtutils::vision
