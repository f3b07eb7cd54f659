// A JPEG decoded straight to its f-times reduced grey image: libjpeg's DCT scaling does the largest power-of-two
// part of f (1/2, 1/4 or 1/8 of each side, so the full image is never produced) and block means the rest, row by
// row as scanlines arrive. Only one scaled scanline and one output row of sums are held besides the result. The
// decoder here is also the one behind ac_jpeg_decode_checked (a full decode is a reduction by 1).
#include <algorithm>
#include <cstdlib>
#include <opencv2/core.hpp>
#include <vector>

#include "common/common.h"
#include "image/image.h"
#include "image/jpeg_decode.h"
#include "image/jpeg_errors.h"

namespace {

// The largest of 8, 4, 2, 1 dividing factor: the part of the reduction libjpeg's scaled IDCT does (output sizes exact).
int dct_scale(int32_t factor) {
  for (int scale : {8, 4, 2})
    if (factor % scale == 0) return scale;
  return 1;
}

}  // namespace

namespace ac::image {

cv::Mat* decode_jpeg(const uint8_t* data, int64_t length, const JpegDecoding& how, int32_t* warnings, char** message,
                     int32_t* width, int32_t* height) {
  require(data != nullptr && length > 0, "the buffer is empty");
  require(how.factor >= 1, "the reduction factor must be positive");
  require(warnings != nullptr && message != nullptr && width != nullptr && height != nullptr, "outputs are null");
  *warnings = 0;
  *message = nullptr;
  *width = 0;
  *height = 0;

  jpeg_decompress_struct info;
  CountingErrors errors;
  install_counting_errors(info, errors);
  cv::Mat* volatile result = nullptr;
  std::vector<JSAMPLE> row;
  std::vector<double> sums;

  // libjpeg's fatal errors longjmp here, so every libjpeg call must stay in this frame.
  if (setjmp(errors.jump) != 0) {
    jpeg_destroy_decompress(&info);
    delete result;
    *warnings = -1;
    *message = ac::duplicate_string(errors.fatal);
    return nullptr;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, const_cast<unsigned char*>(data), static_cast<unsigned long>(length));
  jpeg_read_header(&info, TRUE);
  info.out_color_space = JCS_GRAYSCALE;
  const int scale = dct_scale(how.factor);
  info.scale_num = 1;
  info.scale_denom = static_cast<unsigned int>(scale);
  if (how.fast) {
    info.dct_method = JDCT_IFAST;
    info.do_fancy_upsampling = FALSE;
  }
  jpeg_start_decompress(&info);

  const int rest = how.factor / scale;
  const auto scaled_width = static_cast<int>(info.output_width);
  const auto scaled_height = static_cast<int>(info.output_height);
  const int out_width = (scaled_width + rest - 1) / rest;
  const int out_height = (scaled_height + rest - 1) / rest;
  if (how.keep) result = new cv::Mat(out_height, out_width, CV_32FC1);
  row.resize(static_cast<size_t>(scaled_width) * info.output_components);
  sums.assign(static_cast<size_t>(out_width), 0.0);
  int rows = 0;
  int out_row = 0;
  while (info.output_scanline < info.output_height) {
    JSAMPROW rows_in[1] = {row.data()};
    jpeg_read_scanlines(&info, rows_in, 1);
    if (result == nullptr) continue;
    for (int x = 0; x < scaled_width; ++x) sums[static_cast<size_t>(x / rest)] += row[static_cast<size_t>(x)];
    ++rows;
    if (rows == rest || static_cast<int>(info.output_scanline) == scaled_height) {
      auto* target = result->ptr<float>(out_row);
      for (int b = 0; b < out_width; ++b) {
        const int columns = std::min(rest, scaled_width - b * rest);
        target[b] = static_cast<float>(sums[static_cast<size_t>(b)] / (static_cast<double>(columns) * rows * 255.0));
      }
      std::fill(sums.begin(), sums.end(), 0.0);
      rows = 0;
      ++out_row;
    }
  }
  jpeg_finish_decompress(&info);
  *width = out_width;
  *height = out_height;
  jpeg_destroy_decompress(&info);
  *warnings = errors.warnings;
  if (errors.warnings > 0) *message = ac::duplicate_string(errors.first_warning);
  return result;
}

}  // namespace ac::image

// Decodes a JPEG to float32 grey in [0, 1] with each side reduced by factor (output ceil(w / factor) x
// ceil(h / factor)); free the handle with ac_image_free. *warnings counts decoder warnings (damaged data), or is -1
// when libjpeg gave up (*message then holds its error, and null is returned); *message is the first warning otherwise
// (malloc'd, free with ac_free; null when none).
AC_EXPORT(void*)
ac_jpeg_decode_reduced(const uint8_t* data, int64_t length, int32_t factor, int32_t* warnings, char** message,
                       int32_t* width, int32_t* height) {
  AC_TRY
  const auto how = ac::image::JpegDecoding::reduced(factor);
  return ac::image::decode_jpeg(data, length, how, warnings, message, width, height);
  AC_CATCH(nullptr)
}
