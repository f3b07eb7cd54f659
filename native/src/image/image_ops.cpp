// Pixel operations on caller-owned buffers: resizing, smoothing, thresholding and binary morphology.
// Images are float32 grey in [0, 1]; masks are bytes, 0 outside and 1 inside.
#include <opencv2/imgproc.hpp>

#include "common/common.h"
#include "image/image.h"

namespace {

using ac::image::require;

int interpolation_flag(int32_t code) {
  switch (code) {
    case 0:
      return cv::INTER_AREA;
    case 1:
      return cv::INTER_LINEAR;
    case 2:
      return cv::INTER_CUBIC;
    default:
      throw std::invalid_argument("unknown interpolation code " + std::to_string(code));
  }
}

int morphology_flag(int32_t code) {
  switch (code) {
    case 0:
      return cv::MORPH_ERODE;
    case 1:
      return cv::MORPH_DILATE;
    case 2:
      return cv::MORPH_OPEN;
    case 3:
      return cv::MORPH_CLOSE;
    default:
      throw std::invalid_argument("unknown morphology operation " + std::to_string(code));
  }
}

int kernel_shape_flag(int32_t code) {
  switch (code) {
    case 0:
      return cv::MORPH_ELLIPSE;
    case 1:
      return cv::MORPH_RECT;
    case 2:
      return cv::MORPH_CROSS;
    default:
      throw std::invalid_argument("unknown kernel shape " + std::to_string(code));
  }
}

}  // namespace

AC_EXPORT(void)
ac_image_resize(const float* source, int32_t width, int32_t height, float* destination, int32_t new_width,
                int32_t new_height, int32_t interpolation) {
  AC_TRY
  const cv::Mat src = ac::image::view_float(source, width, height, "source");
  cv::Mat dst = ac::image::view_float(destination, new_width, new_height, "destination");
  const int flag = interpolation_flag(interpolation);
  cv::resize(src, dst, dst.size(), 0, 0, flag);
  if (flag == cv::INTER_CUBIC) cv::min(cv::max(dst, 0.0), 1.0, dst);  // cubic overshoots at edges
  AC_CATCH_VOID
}

AC_EXPORT(void)
ac_image_gaussian_blur(const float* source, int32_t width, int32_t height, float* destination, double sigma) {
  AC_TRY
  require(sigma > 0, "sigma must be positive");
  const cv::Mat src = ac::image::view_float(source, width, height, "source");
  cv::Mat dst = ac::image::view_float(destination, width, height, "destination");
  cv::GaussianBlur(src, dst, cv::Size(0, 0), sigma, sigma, cv::BORDER_REFLECT101);
  AC_CATCH_VOID
}

// Otsu on the 8-bit quantised image. Writes 1 where the pixel lies above the threshold (below it when
// invert != 0) and reports the threshold in [0, 1] units: mask = pixel >= *threshold (or <).
AC_EXPORT(void)
ac_image_threshold_otsu(const float* source, int32_t width, int32_t height, uint8_t* mask, int32_t invert,
                        double* threshold) {
  AC_TRY
  require(threshold != nullptr, "threshold output is null");
  const cv::Mat src = ac::image::view_float(source, width, height, "source");
  cv::Mat dst = ac::image::view_mask(mask, width, height, "mask");
  const cv::Mat quantised = ac::image::to_u8(src);
  const double level = cv::threshold(
      quantised, dst, 0, 1, (invert != 0 ? cv::THRESH_BINARY_INV : cv::THRESH_BINARY) | cv::THRESH_OTSU);
  // A pixel is above the 8-bit level exactly when its value rounds past level + 0.5.
  *threshold = (level + 0.5) / 255.0;
  AC_CATCH_VOID
}

// Adaptive threshold: 1 where pixel > local mean (method 0) or Gaussian-weighted mean (method 1) of a
// block_size neighbourhood minus c (c in [0, 1] intensity units); inverted when invert != 0.
AC_EXPORT(void)
ac_image_adaptive_threshold(const float* source, int32_t width, int32_t height, uint8_t* mask, int32_t method,
                            int32_t block_size, double c, int32_t invert) {
  AC_TRY
  require(method == 0 || method == 1, "unknown adaptive method " + std::to_string(method));
  require(block_size >= 3 && block_size % 2 == 1, "block size must be odd and at least 3");
  const cv::Mat src = ac::image::view_float(source, width, height, "source");
  cv::Mat dst = ac::image::view_mask(mask, width, height, "mask");
  cv::adaptiveThreshold(ac::image::to_u8(src), dst, 1,
                        method == 0 ? cv::ADAPTIVE_THRESH_MEAN_C : cv::ADAPTIVE_THRESH_GAUSSIAN_C,
                        invert != 0 ? cv::THRESH_BINARY_INV : cv::THRESH_BINARY, block_size, c * 255.0);
  AC_CATCH_VOID
}

// Binary morphology (0 erode, 1 dilate, 2 open, 3 close) with an ellipse (0), rectangle (1) or cross
// (2) kernel of kernel_size pixels. Source and destination may be the same buffer.
AC_EXPORT(void)
ac_mask_morphology(const uint8_t* source, int32_t width, int32_t height, uint8_t* destination,
                   int32_t operation, int32_t shape, int32_t kernel_size, int32_t iterations) {
  AC_TRY
  require(kernel_size >= 1, "kernel size must be at least 1");
  require(iterations >= 1, "iterations must be at least 1");
  const cv::Mat src = ac::image::view_mask(source, width, height, "source");
  cv::Mat dst = ac::image::view_mask(destination, width, height, "destination");
  const cv::Mat kernel =
      cv::getStructuringElement(kernel_shape_flag(shape), cv::Size(kernel_size, kernel_size));
  cv::morphologyEx(src, dst, morphology_flag(operation), kernel, cv::Point(-1, -1), iterations);
  AC_CATCH_VOID
}

// Sets to 1 every background region that cannot be reached from the image border (4-connected).
AC_EXPORT(void)
ac_mask_fill_holes(const uint8_t* source, int32_t width, int32_t height, uint8_t* destination) {
  AC_TRY
  const cv::Mat src = ac::image::view_mask(source, width, height, "source");
  cv::Mat dst = ac::image::view_mask(destination, width, height, "destination");
  // A one-pixel background frame lets a single flood fill reach every border-connected region.
  cv::Mat framed(height + 2, width + 2, CV_8UC1, cv::Scalar(0));
  cv::Mat inner = framed(cv::Rect(1, 1, width, height));
  cv::compare(src, 0, inner, cv::CMP_NE);  // 255 inside
  cv::floodFill(framed, cv::Point(0, 0), cv::Scalar(128), nullptr, cv::Scalar(0), cv::Scalar(0), 4);
  // Object (255) and holes (0) become 1; border-reached background (128) becomes 0.
  cv::compare(inner, 128, dst, cv::CMP_NE);
  dst &= 1;
  AC_CATCH_VOID
}
