// Decoding and encoding of image files (PNG, JPEG, TIFF, BMP) as float32 grey in [0, 1].
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "common/common.h"
#include "image/image.h"

namespace {

using ac::image::require;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

cv::Mat to_unit_float(const cv::Mat& decoded) {
  cv::Mat grey = decoded;
  if (decoded.channels() != 1) {
    // ANYDEPTH without ANYCOLOR should already give grey; keep a guard for odd codecs.
    cv::cvtColor(decoded, grey, decoded.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
  }
  cv::Mat result;
  switch (grey.depth()) {
    case CV_8U:
      grey.convertTo(result, CV_32F, 1.0 / 255.0);
      break;
    case CV_16U:
      grey.convertTo(result, CV_32F, 1.0 / 65535.0);
      break;
    case CV_32F:
      // Float TIFFs are taken as already scaled to [0, 1]; clamp anything outside.
      result = cv::min(cv::max(grey, 0.0), 1.0);
      break;
    default:
      throw std::runtime_error(
          "unsupported pixel depth (only 8-bit, 16-bit and float grey or colour images)");
  }
  return result;
}

}  // namespace

// Decodes an encoded image into a native float32 grey Mat. Returns an opaque handle (free with
// ac_image_free) and reports its size and the source's bit depth; null on failure.
AC_EXPORT(void*)
ac_image_decode(const uint8_t* data, int64_t length, int32_t* width, int32_t* height, int32_t* bit_depth) {
  AC_TRY
  require(width != nullptr && height != nullptr && bit_depth != nullptr, "size outputs are null");
  require(data != nullptr && length > 0, "the buffer is empty");
  require(length <= INT32_MAX, "the buffer is larger than 2 GiB");
  const cv::Mat encoded(1, static_cast<int>(length), CV_8UC1, const_cast<uint8_t*>(data));
  const cv::Mat decoded = cv::imdecode(encoded, cv::IMREAD_ANYDEPTH);
  if (decoded.empty()) throw std::runtime_error("OpenCV could not decode the data");
  const int depth = decoded.depth();
  auto* result = new cv::Mat(to_unit_float(decoded));
  *width = result->cols;
  *height = result->rows;
  *bit_depth = depth == CV_8U ? 8 : depth == CV_16U ? 16 : 32;
  return result;
  AC_CATCH(nullptr)
}

// Copies a decoded image's pixels (row-major) into caller memory of exactly width*height floats.
AC_EXPORT(void) ac_image_copy_pixels(const void* handle, float* destination, int64_t count) {
  AC_TRY
  require(handle != nullptr, "image handle is null");
  require(destination != nullptr, "destination is null");
  const auto& image = *static_cast<const cv::Mat*>(handle);
  require(count == static_cast<int64_t>(image.total()), "destination holds " + std::to_string(count) +
                                                            " floats, the image has " +
                                                            std::to_string(image.total()));
  cv::Mat target(image.rows, image.cols, CV_32FC1, destination);
  image.copyTo(target);
  AC_CATCH_VOID
}

AC_EXPORT(void) ac_image_free(void* handle) {
  AC_TRY
  delete static_cast<cv::Mat*>(handle);
  AC_CATCH_VOID
}

// Encodes a [0, 1] float image as PNG, TIFF, BMP or JPEG (chosen by extension, e.g. ".png") at 8 or
// 16 bits. The bytes are malloc'd into *out_data; the caller releases them with ac_free.
AC_EXPORT(void)
ac_image_encode(const float* pixels, int32_t width, int32_t height, const char* extension, int32_t bit_depth,
                int32_t jpeg_quality, uint8_t** out_data, int64_t* out_length) {
  AC_TRY
  require(out_data != nullptr && out_length != nullptr, "outputs are null");
  *out_data = nullptr;
  *out_length = 0;
  const cv::Mat image = ac::image::view_float(pixels, width, height, "pixels");
  require(extension != nullptr, "extension is null");
  const std::string ext = lower(extension);
  const bool png = ext == ".png", tiff = ext == ".tif" || ext == ".tiff", bmp = ext == ".bmp",
             jpeg = ext == ".jpg" || ext == ".jpeg";
  require(png || tiff || bmp || jpeg,
          "unsupported extension '" + ext + "' (use .png, .tif, .tiff, .bmp, .jpg, .jpeg)");
  require(bit_depth == 8 || bit_depth == 16, "bit depth must be 8 or 16, got " + std::to_string(bit_depth));
  require(bit_depth == 8 || png || tiff, ext + " stores 8-bit images only");
  require(jpeg_quality >= 1 && jpeg_quality <= 100, "JPEG quality must be in 1..100");

  cv::Mat scaled;
  image.convertTo(scaled, bit_depth == 8 ? CV_8U : CV_16U, bit_depth == 8 ? 255.0 : 65535.0);
  std::vector<int> params;
  if (jpeg) params = {cv::IMWRITE_JPEG_QUALITY, jpeg_quality};
  std::vector<uint8_t> bytes;
  if (!cv::imencode(ext, scaled, bytes, params) || bytes.empty())
    throw std::runtime_error("OpenCV could not encode the image as " + ext);
  auto* copy = static_cast<uint8_t*>(std::malloc(bytes.size()));
  if (copy == nullptr) throw std::bad_alloc();
  std::memcpy(copy, bytes.data(), bytes.size());
  *out_data = copy;
  *out_length = static_cast<int64_t>(bytes.size());
  AC_CATCH_VOID
}

// OpenCV's own worker threads; 1 keeps each call on the calling thread (best for many small crops).
AC_EXPORT(void) ac_image_set_num_threads(int32_t threads) {
  AC_TRY
  cv::setNumThreads(threads);
  AC_CATCH_VOID
}

AC_EXPORT(int32_t) ac_image_get_num_threads() {
  AC_TRY
  return cv::getNumThreads();
  AC_CATCH(-1)
}

// The OpenCV version the shim was compiled against, for the report's provenance.
AC_EXPORT(const char*) ac_image_opencv_version() {
  ac::clear_last_error();
  return CV_VERSION;
}
