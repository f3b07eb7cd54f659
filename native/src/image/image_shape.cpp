// Shape analysis of binary masks: connected components, external contours, moments and distances.
#include <algorithm>
#include <memory>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "common/common.h"
#include "image/image.h"

namespace {

using ac::image::ContourSet;
using ac::image::require;

constexpr int kComponentStatCount = 7;  // area, left, top, width, height, centroid x, centroid y
constexpr int kMomentCount = 24;


void write_moments(const cv::Moments& m, double* out) {
  const double values[kMomentCount] = {m.m00,  m.m10,  m.m01,  m.m20,  m.m11,  m.m02,  m.m30,  m.m21,
                                       m.m12,  m.m03,  m.mu20, m.mu11, m.mu02, m.mu30, m.mu21, m.mu12,
                                       m.mu03, m.nu20, m.nu11, m.nu02, m.nu30, m.nu21, m.nu12, m.nu03};
  std::copy(values, values + kMomentCount, out);
}

}  // namespace

// Labels the connected components of a mask (connectivity 4 or 8). Writes width*height labels
// (0 = background) and, for the first `capacity` labels, 7 doubles each: area, left, top, width,
// height, centroid x, centroid y. Returns the label count including the background, or -1.
AC_EXPORT(int32_t)
ac_mask_connected_components(const uint8_t* mask, int32_t width, int32_t height, int32_t connectivity,
                             int32_t* labels, double* stats, int32_t capacity) {
  AC_TRY
  require(connectivity == 4 || connectivity == 8, "connectivity must be 4 or 8");
  require(capacity >= 0 && (capacity == 0 || stats != nullptr), "stats buffer is null");
  require(labels != nullptr, "labels buffer is null");
  const cv::Mat src = ac::image::view_mask(mask, width, height, "mask");
  cv::Mat label_view(height, width, CV_32SC1, labels);
  cv::Mat component_stats, centroids;
  const int count =
      cv::connectedComponentsWithStats(src, label_view, component_stats, centroids, connectivity, CV_32S);
  const int written = std::min(count, capacity);
  for (int i = 0; i < written; ++i) {
    double* row = stats + static_cast<int64_t>(i) * kComponentStatCount;
    row[0] = component_stats.at<int>(i, cv::CC_STAT_AREA);
    row[1] = component_stats.at<int>(i, cv::CC_STAT_LEFT);
    row[2] = component_stats.at<int>(i, cv::CC_STAT_TOP);
    row[3] = component_stats.at<int>(i, cv::CC_STAT_WIDTH);
    row[4] = component_stats.at<int>(i, cv::CC_STAT_HEIGHT);
    row[5] = centroids.at<double>(i, 0);
    row[6] = centroids.at<double>(i, 1);
  }
  return count;
  AC_CATCH(-1)
}

// Finds the external contours of a mask (every boundary pixel kept). Returns a handle to query with
// ac_contours_count / ac_contours_point_total, read with ac_contours_copy and free with ac_contours_free.
AC_EXPORT(void*) ac_mask_find_contours(const uint8_t* mask, int32_t width, int32_t height) {
  AC_TRY
  const cv::Mat src = ac::image::view_mask(mask, width, height, "mask");
  auto set = std::make_unique<ContourSet>();
  cv::findContours(src, set->contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
  set->measure();
  return set.release();
  AC_CATCH(nullptr)
}

AC_EXPORT(int32_t) ac_contours_count(const void* handle) {
  AC_TRY
  require(handle != nullptr, "contour handle is null");
  return static_cast<int32_t>(static_cast<const ContourSet*>(handle)->contours.size());
  AC_CATCH(-1)
}

AC_EXPORT(int64_t) ac_contours_point_total(const void* handle) {
  AC_TRY
  require(handle != nullptr, "contour handle is null");
  return static_cast<const ContourSet*>(handle)->point_total;
  AC_CATCH(-1)
}

// Copies 4 stats per contour (area, perimeter, hull area, hull perimeter), count+1 offsets into the
// point list, and the points themselves as x, y int pairs. Buffer sizes come from the two queries.
AC_EXPORT(void) ac_contours_copy(const void* handle, double* stats, int32_t* offsets, int32_t* points) {
  AC_TRY
  require(handle != nullptr, "contour handle is null");
  const auto& set = *static_cast<const ContourSet*>(handle);
  require(stats != nullptr && offsets != nullptr && (points != nullptr || set.point_total == 0),
          "contour output buffers are null");
  std::copy(set.stats.begin(), set.stats.end(), stats);
  int64_t next = 0;
  for (size_t i = 0; i < set.contours.size(); ++i) {
    offsets[i] = static_cast<int32_t>(next);
    for (const auto& p : set.contours[i]) {
      points[2 * next] = p.x;
      points[2 * next + 1] = p.y;
      ++next;
    }
  }
  offsets[set.contours.size()] = static_cast<int32_t>(next);
  AC_CATCH_VOID
}

AC_EXPORT(void) ac_contours_free(void* handle) {
  AC_TRY
  delete static_cast<ContourSet*>(handle);
  AC_CATCH_VOID
}

// Moments of a float image (intensity-weighted). Writes 24 doubles in cv::Moments order: m00 m10 m01
// m20 m11 m02 m30 m21 m12 m03, mu20 mu11 mu02 mu30 mu21 mu12 mu03, nu20 nu11 nu02 nu30 nu21 nu12 nu03.
AC_EXPORT(void) ac_image_moments(const float* source, int32_t width, int32_t height, double* moments) {
  AC_TRY
  require(moments != nullptr, "moments output is null");
  write_moments(cv::moments(ac::image::view_float(source, width, height, "source"), false), moments);
  AC_CATCH_VOID
}

// Moments of a mask where every non-zero pixel weighs 1; same layout as ac_image_moments.
AC_EXPORT(void) ac_mask_moments(const uint8_t* mask, int32_t width, int32_t height, double* moments) {
  AC_TRY
  require(moments != nullptr, "moments output is null");
  write_moments(cv::moments(ac::image::view_mask(mask, width, height, "mask"), true), moments);
  AC_CATCH_VOID
}

// Exact Euclidean distance from every non-zero pixel to the nearest zero pixel (0 on zero pixels).
// With border_is_background != 0 the area outside the image counts as zero pixels.
AC_EXPORT(void)
ac_mask_distance_transform(const uint8_t* mask, int32_t width, int32_t height, int32_t border_is_background,
                           float* distances) {
  AC_TRY
  const cv::Mat src = ac::image::view_mask(mask, width, height, "mask");
  cv::Mat dst = ac::image::view_float(distances, width, height, "distances");
  if (border_is_background != 0) {
    cv::Mat framed;
    cv::copyMakeBorder(src, framed, 1, 1, 1, 1, cv::BORDER_CONSTANT, cv::Scalar(0));
    cv::Mat framed_distances;
    cv::distanceTransform(framed, framed_distances, cv::DIST_L2, cv::DIST_MASK_PRECISE, CV_32F);
    framed_distances(cv::Rect(1, 1, width, height)).copyTo(dst);
  } else {
    cv::distanceTransform(src, dst, cv::DIST_L2, cv::DIST_MASK_PRECISE, CV_32F);
  }
  AC_CATCH_VOID
}
