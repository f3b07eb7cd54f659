// The one libjpeg decoding path behind the JPEG exports: checked decoding (jpeg_check.cpp) and decoding straight to
// a reduced image (jpeg_reduce.cpp).
#pragma once

#include <cstdint>

namespace cv {
class Mat;
}

namespace ac::image {

// How decode_jpeg runs libjpeg.
struct JpegDecoding {
  // Each side is reduced by this factor (1: full size).
  int32_t factor;
  // The fast integer IDCT without fancy upsampling: enough to read every entropy-coded bit, not for pixels kept.
  bool fast;
  // False only checks the data: nothing is kept and null is returned.
  bool keep;

  // The image with each side reduced by factor, decoded accurately.
  static JpegDecoding reduced(int32_t factor) { return {factor, false, true}; }

  // Only a check of the data: decoded at 1/8 scale, which still reads every entropy-coded bit, and not kept.
  static JpegDecoding check_only() { return {8, true, false}; }
};

// Decodes a JPEG to float32 grey in [0, 1] with each side reduced by how.factor (output ceil(w / factor) x
// ceil(h / factor)), silently; returns it (new'd; the exports hand it out as an image handle), or null when only
// checking. *warnings counts decoder warnings (damaged data), or is -1 when libjpeg gave up (*message then holds its
// error, and null is returned); *message is the first warning otherwise (malloc'd, free with ac_free; null when none).
// *width and *height are the output size. Throws (before decoding) on bad arguments.
cv::Mat* decode_jpeg(const uint8_t* data, int64_t length, const JpegDecoding& how, int32_t* warnings, char** message,
                     int32_t* width, int32_t* height);

}  // namespace ac::image
