// Checked JPEG decoding: libjpeg directly (decode_jpeg, jpeg_reduce.cpp), with an error manager that counts the
// decoder's warnings ("Corrupt JPEG data: bad Huffman code") instead of printing them to stderr, so damaged entropy
// data is found per file.
#include "common/common.h"
#include "image/jpeg_decode.h"

// Decodes a JPEG silently. With full == 0 it only checks the data (decoding at 1/8 scale, which still reads every
// entropy-coded bit) and returns null; with full == 1 it returns a float32 grey [0, 1] image handle (free with
// ac_image_free). *warnings is the number of decoder warnings, or -1 when libjpeg gave up (*message then holds its
// error); *message is the first warning otherwise (malloc'd, free with ac_free; null when none).
AC_EXPORT(void*)
ac_jpeg_decode_checked(const uint8_t* data, int64_t length, int32_t full, int32_t* warnings, char** message,
                       int32_t* width, int32_t* height) {
  AC_TRY
  using ac::image::JpegDecoding;
  const auto how = full ? JpegDecoding::reduced(1) : JpegDecoding::check_only();
  return ac::image::decode_jpeg(data, length, how, warnings, message, width, height);
  AC_CATCH(nullptr)
}
