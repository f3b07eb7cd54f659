// A libjpeg error manager that counts the decoder's warnings ("Corrupt JPEG data: bad Huffman code") instead of
// printing them to stderr, and turns a fatal error into a longjmp carrying its message. Shared by the JPEG readers.
#pragma once

#include <csetjmp>
#include <cstdio>
#include <cstring>

// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>

namespace ac::image {

struct CountingErrors {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  int warnings;
  char first_warning[JMSG_LENGTH_MAX];
  char fatal[JMSG_LENGTH_MAX];
};

inline void jpeg_on_fatal(j_common_ptr info) {
  auto* errors = reinterpret_cast<CountingErrors*>(info->err);
  (*info->err->format_message)(info, errors->fatal);
  std::longjmp(errors->jump, 1);
}

// Level -1 is a warning (damaged data the decoder worked around); higher levels are trace messages.
inline void jpeg_on_message(j_common_ptr info, int level) {
  if (level >= 0) return;
  auto* errors = reinterpret_cast<CountingErrors*>(info->err);
  if (errors->warnings++ == 0) (*info->err->format_message)(info, errors->first_warning);
}

inline void jpeg_no_output(j_common_ptr) {}

// Clears *errors and installs it as info's error manager.
inline void install_counting_errors(jpeg_decompress_struct& info, CountingErrors& errors) {
  std::memset(&errors, 0, sizeof errors);
  info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = jpeg_on_fatal;
  errors.base.emit_message = jpeg_on_message;
  errors.base.output_message = jpeg_no_output;
}

}  // namespace ac::image
