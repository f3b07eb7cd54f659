// Band analysis for burned-in data banners (instrument info bars): finds the text-like marks and the
// long horizontal lines (border line, scale bar) in a candidate band whose background level is known.
#include <opencv2/imgproc.hpp>

#include <algorithm>

#include "common/common.h"
#include "image/image.h"

namespace {

constexpr int kLineBoxValues = 4;  // left, top, width, height

}  // namespace

// Marks every band pixel that differs from `background` by more than `contrast` (both in [0, 1]) and
// reports (1) the number of 8-connected marks of at least two pixels in *mark_count and (2) the
// horizontal lines: marks that survive an opening with a min_line_length x 1 rectangle and are at most
// max_line_thickness rows tall. Writes up to `capacity` line boxes (left, top, width, height) into
// line_boxes, longest first, and returns how many lines there are (may exceed capacity).
AC_EXPORT(int32_t)
ac_banner_analyse_band(const float* band, int32_t width, int32_t height, double background, double contrast,
                       int32_t min_line_length, int32_t max_line_thickness, int32_t* line_boxes,
                       int32_t capacity, int32_t* mark_count) {
  AC_TRY
  ac::image::require(contrast > 0 && contrast < 1, "contrast must lie in (0, 1)");
  ac::image::require(min_line_length >= 2, "minimum line length must be at least 2 pixels");
  ac::image::require(max_line_thickness >= 1, "maximum line thickness must be at least 1 row");
  ac::image::require(capacity >= 0 && (capacity == 0 || line_boxes != nullptr), "line box buffer is null");
  ac::image::require(mark_count != nullptr, "mark count output is null");
  const cv::Mat src = ac::image::view_float(band, width, height, "band");

  cv::Mat difference;
  cv::absdiff(src, cv::Scalar(background), difference);
  cv::Mat marks;
  cv::compare(difference, contrast, marks, cv::CMP_GT);  // 255 on marks

  cv::Mat labels, stats, centroids;
  const int components = cv::connectedComponentsWithStats(marks, labels, stats, centroids, 8, CV_32S);
  int32_t counted = 0;
  for (int i = 1; i < components; ++i) counted += stats.at<int>(i, cv::CC_STAT_AREA) >= 2 ? 1 : 0;
  *mark_count = counted;

  // Opening with a one-row rectangle keeps only horizontal runs at least min_line_length long, so text
  // and the scale bar's tick marks vanish while the bar itself remains.
  cv::Mat lines;
  const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(min_line_length, 1));
  cv::morphologyEx(marks, lines, cv::MORPH_OPEN, kernel);
  const int line_components = cv::connectedComponentsWithStats(lines, labels, stats, centroids, 8, CV_32S);
  std::vector<cv::Rect> boxes;
  for (int i = 1; i < line_components; ++i) {
    const cv::Rect box(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                       stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
    if (box.height <= max_line_thickness) boxes.push_back(box);
  }
  std::stable_sort(boxes.begin(), boxes.end(), [](const cv::Rect& a, const cv::Rect& b) { return a.width > b.width; });
  const int written = std::min(static_cast<int>(boxes.size()), static_cast<int>(capacity));
  for (int i = 0; i < written; ++i) {
    int32_t* row = line_boxes + static_cast<int64_t>(i) * kLineBoxValues;
    row[0] = boxes[i].x;
    row[1] = boxes[i].y;
    row[2] = boxes[i].width;
    row[3] = boxes[i].height;
  }
  return static_cast<int32_t>(boxes.size());
  AC_CATCH(-1)
}
