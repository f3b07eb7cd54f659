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

namespace {

// OpenCV's watershed (Meyer flooding) of a [0, 1] float relief, in place on the CV_32SC1 `labels` of its
// size: markers on entry (0 = unknown, > 0 = seed labels), basins on return, -1 on the lines between them.
// OpenCV wants 8-bit BGR and marks the outermost pixel ring as lines, so both are padded by one pixel.
// A [0, 1] float relief as OpenCV's watershed reads it: 8-bit BGR with a replicated one-pixel frame, written
// into `padded` (allocated when it is not already (rows + 2) x (cols + 2) CV_8UC3).
void pad_relief(const cv::Mat& relief, cv::Mat& padded) {
  cv::Mat colour;
  cv::cvtColor(ac::image::to_u8(relief), colour, cv::COLOR_GRAY2BGR);
  cv::copyMakeBorder(colour, padded, 1, 1, 1, 1, cv::BORDER_REPLICATE);
}

void flood_from_markers(const cv::Mat& relief, cv::Mat& labels) {
  cv::Mat padded_colour, padded_labels;
  pad_relief(relief, padded_colour);
  cv::copyMakeBorder(labels, padded_labels, 1, 1, 1, 1, cv::BORDER_REPLICATE);
  cv::watershed(padded_colour, padded_labels);
  padded_labels(cv::Rect(1, 1, labels.cols, labels.rows)).copyTo(labels);
}

// Breadth-first from the object pixels (labels > 0) in scan order, 8-connected (kDx/kDy): each foreground
// pixel still 0 takes the label of the object that reaches it first. Only object pixels beside an unclaimed one
// start in the queue; the others would find nothing to claim when their turn came.
void claim_unlabelled(int32_t* labels, const uint8_t* foreground, int width, int height) {
  const size_t n = static_cast<size_t>(width) * height;
  auto at = [width](int x, int y) { return static_cast<size_t>(y) * width + x; };
  std::vector<uint8_t> start(n, 0);
  bool any = false;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      if (foreground[at(x, y)] == 0 || labels[at(x, y)] != 0) continue;
      any = true;
      for (int k = 0; k < 8; ++k) {
        const int u = x + kDx[k], v = y + kDy[k];
        if (u >= 0 && v >= 0 && u < width && v < height && labels[at(u, v)] != 0) start[at(u, v)] = 1;
      }
    }
  }
  if (!any) return;
  std::vector<size_t> queue;
  for (size_t i = 0; i < n; ++i)
    if (start[i] != 0) queue.push_back(i);
  for (size_t head = 0; head < queue.size(); ++head) {
    const size_t i = queue[head];
    const int x = static_cast<int>(i % width), y = static_cast<int>(i / width);
    for (int k = 0; k < 8; ++k) {
      const int u = x + kDx[k], v = y + kDy[k];
      if (u < 0 || v < 0 || u >= width || v >= height) continue;
      const size_t j = at(u, v);
      if (foreground[j] != 0 && labels[j] == 0) {
        labels[j] = labels[i];
        queue.push_back(j);
      }
    }
  }
}

}  // namespace

// Marker-based watershed (OpenCV's Meyer flooding) of the grey image. `labels` holds the markers on
// entry (0 = unknown, > 0 = seed labels) and the result on return, -1 on the lines between basins.
AC_EXPORT(void)
ac_image_watershed(const float* image, int32_t width, int32_t height, int32_t* labels) {
  AC_TRY
  require(labels != nullptr, "labels buffer is null");
  const cv::Mat src = ac::image::view_float(image, width, height, "image");
  cv::Mat label_view(height, width, CV_32SC1, labels);
  flood_from_markers(src, label_view);
  AC_CATCH_VOID
}

// The seeds of the instance scheme (InstanceFields.Seeds in the C# half): the 4-connected regions of the
// foreground pixels whose `interior` value reaches `threshold` (four-connectivity, so seeds do not join
// diagonally through a thin boundary line). Writes labels 1..count - 1 in scan order (0 = none) into `labels`
// and returns count (the background included), or -1.
AC_EXPORT(int32_t)
ac_instance_seeds(const uint8_t* foreground, const float* interior, float threshold, int32_t width, int32_t height,
                  int32_t* labels) {
  AC_TRY
  require(foreground != nullptr && interior != nullptr && labels != nullptr, "foreground, interior or labels buffer is null");
  ac::image::require_size(width, height);
  cv::Mat seeds(height, width, CV_8UC1);
  uint8_t* seed = seeds.ptr<uint8_t>();
  const size_t n = static_cast<size_t>(width) * height;
  for (size_t i = 0; i < n; ++i) seed[i] = foreground[i] != 0 && interior[i] >= threshold ? 1 : 0;
  cv::Mat label_view(height, width, CV_32SC1, labels);
  return cv::connectedComponents(seeds, label_view, 4, CV_32S);
  AC_CATCH(-1)
}

// What every flood of one foreground shares (InstanceFields.Ground in the C# half): the foreground's
// 8-connected regions, written into `regions` (0 = background, 1..count - 1) with their count (the background
// included) returned, or -1; and the relief the watershed floods, 0.5 + boundary / 2 on the foreground and 0
// below it, as OpenCV's watershed wants it: 8-bit BGR, padded by one replicated pixel on every side, written
// into `relief` (3 x (width + 2) x (height + 2) bytes, row-major).
AC_EXPORT(int32_t)
ac_instance_flood_ground(const uint8_t* foreground, const float* boundary, int32_t width, int32_t height, int32_t* regions,
                         uint8_t* relief) {
  AC_TRY
  const cv::Mat mask = ac::image::view_mask(foreground, width, height, "foreground mask");
  require(boundary != nullptr && regions != nullptr && relief != nullptr, "boundary, regions or relief buffer is null");
  const size_t n = static_cast<size_t>(width) * height;
  cv::Mat level(height, width, CV_32FC1);
  float* value = level.ptr<float>();
  // Background sits below every object pixel, so each object fills from its seeds first.
  for (size_t i = 0; i < n; ++i) value[i] = foreground[i] == 0 ? 0.0f : 0.5f + 0.5f * std::clamp(boundary[i], 0.0f, 1.0f);
  cv::Mat padded(height + 2, width + 2, CV_8UC3, relief);
  pad_relief(level, padded);
  require(padded.data == relief, "the relief was not written in place");
  cv::Mat region_view(height, width, CV_32SC1, regions);
  return cv::connectedComponents(mask, region_view, 8, CV_32S);
  AC_CATCH(-1)
}

// The objects of the instance scheme (InstanceFields.Flood in the C# half), on a foreground's ground from
// ac_instance_flood_ground (`regions`, `region_count`, `relief`): the seeds (`seed_labels`, 1..seed_count - 1,
// with their pixel counts in `seed_areas`) of at least `min_seed_area` pixels flood the foreground over the
// relief, with every background pixel one marker below it; a foreground region (8-connected) without such a
// seed is one object; foreground pixels the flooding left unclaimed join the nearest object. Writes 1..count
// into `objects` (kept seeds in label order, then the seedless regions in scan order; 0 = background) and
// returns count, or -1.
AC_EXPORT(int32_t)
ac_instance_flood(const uint8_t* foreground, const int32_t* regions, int32_t region_count, const uint8_t* relief,
                  const int32_t* seed_labels, const int32_t* seed_areas, int32_t seed_count, int32_t width, int32_t height,
                  int32_t min_seed_area, int32_t* objects) {
  AC_TRY
  ac::image::view_mask(foreground, width, height, "foreground mask");
  require(regions != nullptr && relief != nullptr, "regions or relief buffer is null");
  require(region_count >= 1, "the region count must include the background");
  require(seed_labels != nullptr && objects != nullptr, "seed labels or objects buffer is null");
  require(seed_count >= 1 && seed_areas != nullptr, "seed areas must hold at least the background's entry");
  constexpr int32_t kBackground = 1;
  std::vector<int32_t> kept(static_cast<size_t>(seed_count), 0);
  int32_t next = kBackground;
  for (int32_t s = 1; s < seed_count; ++s) kept[s] = seed_areas[s] >= std::max(1, min_seed_area) ? ++next : 0;

  // The markers are written straight into the padded frame the watershed works in; it draws its own line
  // pixels on the outer ring, so the ring's zeros are never read as markers.
  cv::Mat padded_markers = cv::Mat::zeros(height + 2, width + 2, CV_32SC1);
  std::vector<uint8_t> seeded(static_cast<size_t>(region_count), 0);
  for (int y = 0; y < height; ++y) {
    int32_t* marker = padded_markers.ptr<int32_t>(y + 1) + 1;
    const size_t row = static_cast<size_t>(y) * width;
    for (int x = 0; x < width; ++x) {
      const size_t i = row + x;
      if (foreground[i] == 0) {
        marker[x] = kBackground;
        continue;
      }
      const int32_t seed = seed_labels[i];
      if (seed < 0 || seed >= seed_count)  // not require(): its message would be built for every pixel
        throw std::invalid_argument("seed label " + std::to_string(seed) + " is outside 0.." + std::to_string(seed_count - 1));
      const int32_t r = regions[i];
      if (r <= 0 || r >= region_count)
        throw std::invalid_argument("foreground pixel " + std::to_string(i) + " has region " + std::to_string(r) + ", outside 1.." +
                                    std::to_string(region_count - 1));
      marker[x] = kept[seed];
      if (kept[seed] != 0) seeded[r] = 1;
    }
  }
  std::vector<int32_t> own_seed(static_cast<size_t>(region_count), 0);
  for (int y = 0; y < height; ++y) {
    int32_t* marker = padded_markers.ptr<int32_t>(y + 1) + 1;
    const size_t row = static_cast<size_t>(y) * width;
    for (int x = 0; x < width; ++x) {
      if (foreground[row + x] == 0) continue;
      const int32_t r = regions[row + x];
      if (seeded[r] == 0) {
        if (own_seed[r] == 0) own_seed[r] = ++next;
        marker[x] = own_seed[r];
      }
    }
  }

  if (next > kBackground) {
    const cv::Mat colour(height + 2, width + 2, CV_8UC3, const_cast<uint8_t*>(relief));
    cv::watershed(colour, padded_markers);
  }
  for (int y = 0; y < height; ++y) {
    const int32_t* marker = padded_markers.ptr<int32_t>(y + 1) + 1;
    const size_t row = static_cast<size_t>(y) * width;
    for (int x = 0; x < width; ++x)
      objects[row + x] = foreground[row + x] != 0 && marker[x] > kBackground ? marker[x] - kBackground : 0;
  }
  claim_unlabelled(objects, foreground, width, height);
  return next - kBackground;
  AC_CATCH(-1)
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
