// Shared plumbing for every export of the shim: the C ABI macro and the error trap.
#pragma once

#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>

#define AC_EXPORT(ret) extern "C" __attribute__((visibility("default"))) ret

namespace ac {

// The last error raised on the calling thread; empty when the last call succeeded.
void set_last_error(const std::string& message);
void clear_last_error();

// Duplicates a string into malloc'd memory that the caller frees with ac_free.
char* duplicate_string(const std::string& text);

}  // namespace ac

// Every export body runs inside AC_TRY ... AC_CATCH(fallback). A C++ exception never crosses the
// C ABI: its message is kept as the thread's last error and the export returns `fallback`.
// The C# side calls ac_last_error() after each call and throws when it is set.
#define AC_TRY           \
  ac::clear_last_error(); \
  try {
#define AC_CATCH(fallback)                               \
  }                                                      \
  catch (const std::exception& e) {                      \
    ac::set_last_error(e.what());                        \
  }                                                      \
  catch (...) {                                          \
    ac::set_last_error("unknown native exception");     \
  }                                                      \
  return fallback;

#define AC_CATCH_VOID                                    \
  }                                                      \
  catch (const std::exception& e) {                      \
    ac::set_last_error(e.what());                        \
  }                                                      \
  catch (...) {                                          \
    ac::set_last_error("unknown native exception");     \
  }
