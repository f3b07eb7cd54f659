// JPEG decoding through libjpeg directly, with an error manager that counts the decoder's warnings ("Corrupt JPEG
// data: bad Huffman code") instead of printing them to stderr, so damaged entropy data is found per file.
#include <cstdlib>
#include <cstring>
#include <opencv2/core.hpp>
#include <vector>

#include "common/common.h"
#include "image/image.h"
#include "image/jpeg_errors.h"

using ac::image::CountingErrors;

// Decodes a JPEG silently. With full == 0 it only checks the data (decoding at 1/8 scale, which still reads every
// entropy-coded bit) and returns null; with full == 1 it returns a float32 grey [0, 1] image handle (free with
// ac_image_free). *warnings is the number of decoder warnings, or -1 when libjpeg gave up (*message then holds its
// error); *message is the first warning otherwise (malloc'd, free with ac_free; null when none).
AC_EXPORT(void*)
ac_jpeg_decode_checked(const uint8_t* data, int64_t length, int32_t full, int32_t* warnings, char** message,
                       int32_t* width, int32_t* height) {
  AC_TRY
  ac::image::require(data != nullptr && length > 0, "the buffer is empty");
  ac::image::require(warnings != nullptr && message != nullptr && width != nullptr && height != nullptr,
                     "outputs are null");
  *warnings = 0;
  *message = nullptr;
  *width = 0;
  *height = 0;

  jpeg_decompress_struct info;
  CountingErrors errors;
  ac::image::install_counting_errors(info, errors);
  cv::Mat* volatile result = nullptr;
  std::vector<JSAMPLE> row;

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
  if (!full) {
    info.scale_num = 1;
    info.scale_denom = 8;
    info.dct_method = JDCT_IFAST;
    info.do_fancy_upsampling = FALSE;
  }
  jpeg_start_decompress(&info);
  if (full) result = new cv::Mat(static_cast<int>(info.output_height), static_cast<int>(info.output_width), CV_32FC1);
  row.resize(static_cast<size_t>(info.output_width) * info.output_components);
  while (info.output_scanline < info.output_height) {
    JSAMPROW rows[1] = {row.data()};
    const auto y = static_cast<int>(info.output_scanline);
    jpeg_read_scanlines(&info, rows, 1);
    if (result != nullptr) {
      auto* target = result->ptr<float>(y);
      for (size_t x = 0; x < info.output_width; ++x) target[x] = static_cast<float>(row[x]) / 255.0f;
    }
  }
  jpeg_finish_decompress(&info);
  *width = static_cast<int32_t>(info.output_width);
  *height = static_cast<int32_t>(info.output_height);
  jpeg_destroy_decompress(&info);
  *warnings = errors.warnings;
  if (errors.warnings > 0) *message = ac::duplicate_string(errors.first_warning);
  return result;
  AC_CATCH(nullptr)
}
