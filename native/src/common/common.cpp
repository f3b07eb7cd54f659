#include "common/common.h"

#include <cstdlib>
#include <cstring>

namespace {
thread_local std::string last_error;
thread_local bool has_error = false;
}  // namespace

namespace ac {

void set_last_error(const std::string& message) {
  last_error = message;
  has_error = true;
}

void clear_last_error() {
  has_error = false;
  last_error.clear();
}

char* duplicate_string(const std::string& text) {
  char* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy == nullptr) throw std::bad_alloc();
  std::memcpy(copy, text.c_str(), text.size() + 1);
  return copy;
}

}  // namespace ac

// Returns the calling thread's last error, or null when the last call succeeded.
// The pointer stays valid until the next call into the shim on this thread.
AC_EXPORT(const char*) ac_last_error() { return has_error ? last_error.c_str() : nullptr; }

AC_EXPORT(void) ac_free(void* pointer) { std::free(pointer); }

AC_EXPORT(const char*) ac_version() {
  ac::clear_last_error();
  return AC_VERSION;
}

// 1 when the shim was built with its libtorch half.
AC_EXPORT(int32_t) ac_has_torch() {
  ac::clear_last_error();
#ifdef AC_WITH_TORCH
  return 1;
#else
  return 0;
#endif
}

// Test hook: raises a C++ exception inside an export so the error path can be proven end to end.
AC_EXPORT(int32_t) ac_debug_throw(const char* message) {
  AC_TRY
  throw std::runtime_error(message == nullptr ? "null" : message);
  AC_CATCH(-1)
}
