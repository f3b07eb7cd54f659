// Particle segmentation helpers: local contrast normalisation, h-maxima markers, marker-based
// watershed, per-label contours and colour PNG encoding. Images are float32 grey in [0, 1].
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "common/common.h"
#include "image/image.h"

namespace {

using ac::image::ContourSet;
using ac::image::require;

constexpr int kDx[8] = {-1, 0, 1, -1, 1, -1, 0, 1};
constexpr int kDy[8] = {-1, -1, -1, 0, 0, 1, 1, 1};

// Morphological reconstruction by dilation of `marker` under `mask` (8-connected), in place on marker:
// Vincent's hybrid algorithm, two raster scans and then a FIFO queue for what they could not settle.
void reconstruct_by_dilation(std::vector<float>& marker, const float* mask, int width, int height) {
  auto at = [width](int x, int y) { return static_cast<size_t>(y) * width + x; };
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      float v = marker[at(x, y)];
      for (int k = 0; k < 4; ++k) {  // neighbours already visited in a forward scan
        const int nx = x + kDx[k], ny = y + kDy[k];
        if (nx >= 0 && nx < width && ny >= 0) v = std::max(v, marker[at(nx, ny)]);
      }
      marker[at(x, y)] = std::min(v, mask[at(x, y)]);
    }
  }
  std::vector<size_t> queue;
  for (int y = height - 1; y >= 0; --y) {
    for (int x = width - 1; x >= 0; --x) {
      float v = marker[at(x, y)];
      for (int k = 4; k < 8; ++k) {  // neighbours already visited in a backward scan
        const int nx = x + kDx[k], ny = y + kDy[k];
        if (nx >= 0 && nx < width && ny < height) v = std::max(v, marker[at(nx, ny)]);
      }
      v = std::min(v, mask[at(x, y)]);
      marker[at(x, y)] = v;
      for (int k = 4; k < 8; ++k) {
        const int nx = x + kDx[k], ny = y + kDy[k];
        if (nx < 0 || nx >= width || ny >= height) continue;
        const size_t q = at(nx, ny);
        if (marker[q] < v && marker[q] < mask[q]) {
          queue.push_back(at(x, y));
          break;
        }
      }
    }
  }
  for (size_t head = 0; head < queue.size(); ++head) {
    const size_t p = queue[head];
    const int x = static_cast<int>(p % width), y = static_cast<int>(p / width);
    for (int k = 0; k < 8; ++k) {
      const int nx = x + kDx[k], ny = y + kDy[k];
      if (nx < 0 || nx >= width || ny < 0 || ny >= height) continue;
      const size_t q = at(nx, ny);
      if (marker[q] < marker[p] && marker[q] != mask[q]) {
        marker[q] = std::min(marker[p], mask[q]);
        queue.push_back(q);
      }
    }
  }
}

}  // namespace

// CLAHE on the 8-bit quantised image: clip_limit as OpenCV defines it (2 to 4 is typical), the image cut
// into tiles_x by tiles_y tiles. Writes [0, 1] floats.
AC_EXPORT(void)
ac_image_clahe(const float* source, int32_t width, int32_t height, float* destination, double clip_limit,
               int32_t tiles_x, int32_t tiles_y) {
  AC_TRY
  require(clip_limit > 0 && std::isfinite(clip_limit), "clip limit must be a positive number");
  require(tiles_x >= 1 && tiles_y >= 1, "tile grid must be at least 1x1");
  const cv::Mat src = ac::image::view_float(source, width, height, "source");
  cv::Mat dst = ac::image::view_float(destination, width, height, "destination");
  const auto clahe = cv::createCLAHE(clip_limit, cv::Size(tiles_x, tiles_y));
  cv::Mat equalised;
  clahe->apply(ac::image::to_u8(src), equalised);
  equalised.convertTo(dst, CV_32F, 1.0 / 255.0);
  AC_CATCH_VOID
}

// Local mean/std normalisation: z = (I - mean) / sqrt(var + eps) over a Gaussian window of sigma pixels,
// mapped to [0, 1] as 0.5 + z / 6 and clipped (so +-3 local standard deviations span the range).
AC_EXPORT(void)
ac_image_local_normalize(const float* source, int32_t width, int32_t height, float* destination, double sigma) {
  AC_TRY
  require(sigma > 0 && std::isfinite(sigma), "sigma must be a positive number of pixels");
  const cv::Mat src = ac::image::view_float(source, width, height, "source");
  cv::Mat dst = ac::image::view_float(destination, width, height, "destination");
  cv::Mat mean, square_mean;
  cv::GaussianBlur(src, mean, cv::Size(0, 0), sigma, sigma, cv::BORDER_REFLECT101);
  cv::GaussianBlur(src.mul(src), square_mean, cv::Size(0, 0), sigma, sigma, cv::BORDER_REFLECT101);
  cv::Mat variance = square_mean - mean.mul(mean);
  cv::max(variance, 0.0, variance);
  cv::Mat deviation;
  cv::sqrt(variance + 1e-6, deviation);  // eps: one 8-bit grey level squared, so flat areas stay finite
  cv::Mat z = (src - mean) / deviation;
  z.convertTo(dst, CV_32F, 1.0 / 6.0, 0.5);
  cv::min(cv::max(dst, 0.0), 1.0, dst);
  AC_CATCH_VOID
}

// Markers from the h-maxima transform: the regional maxima of the reconstruction of (values - h) under
// values, restricted to pixels with values > 0. A dome survives only if it rises at least h above the
// saddle joining it to a higher dome. Writes 1 on marker pixels, 0 elsewhere.
AC_EXPORT(void)
ac_image_h_maxima(const float* values, int32_t width, int32_t height, double h, uint8_t* markers) {
  AC_TRY
  require(h > 0 && std::isfinite(h), "h must be a positive number");
  const cv::Mat src = ac::image::view_float(values, width, height, "values");
  cv::Mat out = ac::image::view_mask(markers, width, height, "markers");
  const size_t n = static_cast<size_t>(width) * height;
  std::vector<float> rec(n);
  for (size_t i = 0; i < n; ++i) rec[i] = values[i] - static_cast<float>(h);
  reconstruct_by_dilation(rec, values, width, height);

  // Flood each plateau of equal reconstructed value inside the foreground; it is a maximum unless a
  // foreground neighbour is higher.
  out.setTo(0);
  std::vector<uint8_t> seen(n, 0);
  std::vector<size_t> plateau;
  for (size_t start = 0; start < n; ++start) {
    if (seen[start] != 0 || values[start] <= 0) continue;
    const float level = rec[start];
    bool maximum = true;
    plateau.clear();
    plateau.push_back(start);
    seen[start] = 1;
    for (size_t head = 0; head < plateau.size(); ++head) {
      const size_t p = plateau[head];
      const int x = static_cast<int>(p % width), y = static_cast<int>(p / width);
      for (int k = 0; k < 8; ++k) {
        const int nx = x + kDx[k], ny = y + kDy[k];
        if (nx < 0 || nx >= width || ny < 0 || ny >= height) continue;
        const size_t q = static_cast<size_t>(ny) * width + nx;
        if (values[q] <= 0) continue;
        if (rec[q] > level) {
          maximum = false;
        } else if (rec[q] == level && seen[q] == 0) {
          seen[q] = 1;
          plateau.push_back(q);
        }
      }
    }
    if (maximum)
      for (const size_t p : plateau) markers[p] = 1;
  }
  AC_CATCH_VOID
}

// Marker-based watershed (OpenCV's Meyer flooding) of the grey image. `labels` holds the markers on
// entry (0 = unknown, > 0 = seed labels) and the result on return, -1 on the lines between basins.
// OpenCV wants 8-bit BGR and marks the outermost pixel ring as lines, so the image is padded by one pixel.
AC_EXPORT(void)
ac_image_watershed(const float* image, int32_t width, int32_t height, int32_t* labels) {
  AC_TRY
  require(labels != nullptr, "labels buffer is null");
  const cv::Mat src = ac::image::view_float(image, width, height, "image");
  cv::Mat label_view(height, width, CV_32SC1, labels);
  cv::Mat colour, padded_colour, padded_labels;
  cv::cvtColor(ac::image::to_u8(src), colour, cv::COLOR_GRAY2BGR);
  cv::copyMakeBorder(colour, padded_colour, 1, 1, 1, 1, cv::BORDER_REPLICATE);
  cv::copyMakeBorder(label_view, padded_labels, 1, 1, 1, 1, cv::BORDER_REPLICATE);
  cv::watershed(padded_colour, padded_labels);
  padded_labels(cv::Rect(1, 1, width, height)).copyTo(label_view);
  AC_CATCH_VOID
}

// The outer contour of each label 1..label_count of a label image (0 = background, negatives ignored),
// as a contour set (see ac_contours_*): contour i belongs to label i + 1 and is empty when the label
// has no pixels. A label split into pieces keeps its largest piece's contour.
AC_EXPORT(void*)
ac_labels_find_contours(const int32_t* labels, int32_t width, int32_t height, int32_t label_count) {
  AC_TRY
  require(labels != nullptr, "labels buffer is null");
  require(label_count >= 0, "label count must not be negative");
  ac::image::require_size(width, height);
  const cv::Mat view(height, width, CV_32SC1, const_cast<int32_t*>(labels));
  std::vector<cv::Rect> boxes(static_cast<size_t>(label_count));
  std::vector<int> x0(label_count, width), y0(label_count, height), x1(label_count, -1), y1(label_count, -1);
  for (int y = 0; y < height; ++y) {
    const int32_t* row = view.ptr<int32_t>(y);
    for (int x = 0; x < width; ++x) {
      const int32_t l = row[x];
      if (l <= 0) continue;
      if (l > label_count)
        throw std::invalid_argument("label " + std::to_string(l) + " exceeds the label count " + std::to_string(label_count));
      const int i = l - 1;
      x0[i] = std::min(x0[i], x);
      y0[i] = std::min(y0[i], y);
      x1[i] = std::max(x1[i], x);
      y1[i] = std::max(y1[i], y);
    }
  }
  auto set = std::make_unique<ContourSet>();
  set->contours.resize(static_cast<size_t>(label_count));
  std::vector<std::vector<cv::Point>> found;
  cv::Mat piece;
  for (int i = 0; i < label_count; ++i) {
    if (x1[i] < 0) continue;
    const cv::Rect box(x0[i], y0[i], x1[i] - x0[i] + 1, y1[i] - y0[i] + 1);
    // A one-pixel frame keeps contours of pieces on the box edge closed.
    cv::Mat framed(box.height + 2, box.width + 2, CV_8UC1, cv::Scalar(0));
    cv::compare(view(box), i + 1, piece, cv::CMP_EQ);
    piece.copyTo(framed(cv::Rect(1, 1, box.width, box.height)));
    found.clear();
    cv::findContours(framed, found, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE, cv::Point(box.x - 1, box.y - 1));
    size_t best = 0;
    for (size_t c = 1; c < found.size(); ++c)
      if (found[c].size() > found[best].size()) best = c;
    if (!found.empty()) set->contours[i] = std::move(found[best]);
  }
  set->measure();
  return set.release();
  AC_CATCH(nullptr)
}

// Encodes an interleaved 8-bit RGB image as PNG (extension ".png") into malloc'd memory freed with ac_free.
AC_EXPORT(void)
ac_image_encode_rgb(const uint8_t* rgb, int32_t width, int32_t height, uint8_t** out_data, int64_t* out_length) {
  AC_TRY
  require(rgb != nullptr, "rgb buffer is null");
  require(out_data != nullptr && out_length != nullptr, "outputs are null");
  ac::image::require_size(width, height);
  *out_data = nullptr;
  *out_length = 0;
  const cv::Mat view(height, width, CV_8UC3, const_cast<uint8_t*>(rgb));
  cv::Mat bgr;
  cv::cvtColor(view, bgr, cv::COLOR_RGB2BGR);
  std::vector<uint8_t> bytes;
  if (!cv::imencode(".png", bgr, bytes) || bytes.empty()) throw std::runtime_error("OpenCV could not encode the PNG");
  auto* copy = static_cast<uint8_t*>(std::malloc(bytes.size()));
  if (copy == nullptr) throw std::bad_alloc();
  std::memcpy(copy, bytes.data(), bytes.size());
  *out_data = copy;
  *out_length = static_cast<int64_t>(bytes.size());
  AC_CATCH_VOID
}
