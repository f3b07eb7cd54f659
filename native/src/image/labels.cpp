// Label-preserving decoding of mask files: integer values come back exactly (8-, 16- and 32-bit grey PNG and
// TIFF), where ac_image_decode scales to [0, 1] and folds colour to grey.
#include <cmath>
#include <cstdint>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "common/common.h"
#include "image/image.h"

using ac::image::require;

namespace {

// A colour mask with equal channels is grey; otherwise each distinct colour becomes one value (R << 16 | G << 8 | B).
cv::Mat to_single_channel(const cv::Mat& decoded, int32_t* channels) {
  *channels = decoded.channels();
  if (decoded.channels() == 1) return decoded;
  require(decoded.depth() == CV_8U, "a colour mask must be 8 bits per channel");
  std::vector<cv::Mat> planes;
  cv::split(decoded, planes);
  const int colour = std::min(3, decoded.channels());
  bool grey = true;
  for (int c = 1; c < colour && grey; ++c) grey = cv::countNonZero(planes[c] != planes[0]) == 0;
  if (grey) return planes[0];
  // OpenCV decodes colour as B, G, R.
  cv::Mat packed(decoded.rows, decoded.cols, CV_32SC1);
  for (int y = 0; y < decoded.rows; ++y) {
    const auto* b = planes[0].ptr<uint8_t>(y);
    const auto* g = planes[1].ptr<uint8_t>(y);
    const auto* r = planes[2].ptr<uint8_t>(y);
    auto* out = packed.ptr<int32_t>(y);
    for (int x = 0; x < decoded.cols; ++x) out[x] = (int32_t{r[x]} << 16) | (int32_t{g[x]} << 8) | int32_t{b[x]};
  }
  return packed;
}

}  // namespace

// Decodes a mask keeping its integer values. *bit_depth is 8, 16 or 32 as stored; *channels is the file's channel
// count (3 or 4 for colour masks). Floating-point masks must hold whole numbers. Release with ac_image_free.
AC_EXPORT(void*)
ac_image_decode_labels(const uint8_t* data, int64_t length, int32_t* width, int32_t* height, int32_t* bit_depth,
                       int32_t* channels) {
  AC_TRY
  require(width != nullptr && height != nullptr && bit_depth != nullptr && channels != nullptr, "size outputs are null");
  require(data != nullptr && length > 0, "the buffer is empty");
  require(length <= INT32_MAX, "the buffer is larger than 2 GiB");
  const cv::Mat encoded(1, static_cast<int>(length), CV_8UC1, const_cast<uint8_t*>(data));
  const cv::Mat decoded = cv::imdecode(encoded, cv::IMREAD_UNCHANGED);
  if (decoded.empty()) throw std::runtime_error("OpenCV could not decode the data");
  const int depth = decoded.depth();
  const cv::Mat single = to_single_channel(decoded, channels);
  cv::Mat labels;
  if (single.depth() == CV_32F || single.depth() == CV_64F) {
    cv::Mat wide;
    single.convertTo(wide, CV_64F);
    for (int y = 0; y < wide.rows; ++y) {
      const auto* row = wide.ptr<double>(y);
      for (int x = 0; x < wide.cols; ++x)
        require(std::floor(row[x]) == row[x] && row[x] >= INT32_MIN && row[x] <= INT32_MAX,
                "a floating-point mask holds a value that is not a whole number at (" + std::to_string(x) + ", " +
                    std::to_string(y) + ")");
    }
    wide.convertTo(labels, CV_32S);
  } else {
    single.convertTo(labels, CV_32S);
  }
  auto* result = new cv::Mat(labels);
  *width = result->cols;
  *height = result->rows;
  *bit_depth = depth == CV_8U || depth == CV_8S ? 8 : depth == CV_16U || depth == CV_16S ? 16 : 32;
  return result;
  AC_CATCH(nullptr)
}

// Copies decoded labels (row-major int32) into caller memory of exactly width*height values.
AC_EXPORT(void) ac_image_copy_labels(const void* handle, int32_t* destination, int64_t count) {
  AC_TRY
  require(handle != nullptr, "label handle is null");
  require(destination != nullptr, "destination is null");
  const auto& labels = *static_cast<const cv::Mat*>(handle);
  require(labels.type() == CV_32SC1, "the handle does not hold decoded labels");
  require(count == static_cast<int64_t>(labels.total()),
          "destination holds " + std::to_string(count) + " values, the mask has " + std::to_string(labels.total()));
  cv::Mat target(labels.rows, labels.cols, CV_32SC1, destination);
  labels.copyTo(target);
  AC_CATCH_VOID
}
