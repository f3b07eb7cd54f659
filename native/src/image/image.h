// Helpers shared by the OpenCV half of the shim: argument checks and zero-copy views of caller buffers.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace ac::image {

inline void require(bool condition, const std::string& message) {
  if (!condition) throw std::invalid_argument(message);
}

inline void require_size(int32_t width, int32_t height) {
  require(width > 0 && height > 0,
          "image size must be positive, got " + std::to_string(width) + "x" + std::to_string(height));
}

// Views over caller memory: no copy, the caller keeps ownership for the duration of the call.
inline cv::Mat view_float(const float* pixels, int32_t width, int32_t height, const char* what) {
  require(pixels != nullptr, std::string(what) + " is null");
  require_size(width, height);
  return cv::Mat(height, width, CV_32FC1, const_cast<float*>(pixels));
}

inline cv::Mat view_mask(const uint8_t* values, int32_t width, int32_t height, const char* what) {
  require(values != nullptr, std::string(what) + " is null");
  require_size(width, height);
  return cv::Mat(height, width, CV_8UC1, const_cast<uint8_t*>(values));
}

// 8-bit copy of a [0, 1] float image; OpenCV's Otsu and adaptive threshold need 8-bit input.
inline cv::Mat to_u8(const cv::Mat& image) {
  cv::Mat result;
  image.convertTo(result, CV_8U, 255.0);
  return result;
}

// Contours held natively between ac_*_find_contours and ac_contours_copy / ac_contours_free.
struct ContourSet {
  static constexpr int kStatCount = 4;  // area, perimeter, hull area, hull perimeter

  std::vector<std::vector<cv::Point>> contours;
  std::vector<double> stats;
  int64_t point_total = 0;

  // Fills stats and point_total from contours (an empty contour measures 0).
  void measure() {
    stats.clear();
    stats.reserve(contours.size() * kStatCount);
    point_total = 0;
    std::vector<cv::Point> hull;
    for (const auto& contour : contours) {
      if (contour.empty()) {
        stats.insert(stats.end(), kStatCount, 0.0);
        continue;
      }
      cv::convexHull(contour, hull);
      stats.push_back(cv::contourArea(contour));
      stats.push_back(cv::arcLength(contour, true));
      stats.push_back(cv::contourArea(hull));
      stats.push_back(cv::arcLength(hull, true));
      point_total += static_cast<int64_t>(contour.size());
    }
  }
};

}  // namespace ac::image
