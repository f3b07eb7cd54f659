// Shared plumbing for the libtorch half of the shim (tensor.cpp, nn.cpp, optim.cpp).
// Tensors cross the ABI as opaque `at::Tensor*` handles allocated on the heap; the managed side owns
// each handle and frees it with ac_tensor_dispose. Only ATen headers here: <torch/torch.h> is far
// heavier to compile and the shim needs none of the C++ frontend's module machinery.
#pragma once

#include "common/common.h"

#include <ATen/ATen.h>

#include <atomic>
#include <string>
#include <vector>

namespace ac::torch_shim {

using TensorHandle = at::Tensor*;

// Handles currently alive on the native side (allocated by wrap, freed by ac_tensor_dispose).
extern std::atomic<int64_t> live_tensors;

// Moves a result onto the heap as a new handle; an undefined tensor becomes null.
inline TensorHandle wrap(at::Tensor tensor) {
  if (!tensor.defined()) return nullptr;
  auto* handle = new at::Tensor(std::move(tensor));
  live_tensors.fetch_add(1, std::memory_order_relaxed);
  return handle;
}

inline const at::Tensor& deref(TensorHandle handle, const char* what = "tensor") {
  if (handle == nullptr) throw std::invalid_argument(std::string("null handle passed for ") + what);
  return *handle;
}

// Optional tensor arguments (bias, class weights, running stats) arrive as null handles when absent.
inline c10::optional<at::Tensor> optional(TensorHandle handle) {
  if (handle == nullptr) return c10::nullopt;
  return *handle;
}

inline at::IntArrayRef int_array(const int64_t* values, int32_t count, const char* what) {
  if (count < 0 || (count > 0 && values == nullptr))
    throw std::invalid_argument(std::string("invalid array passed for ") + what);
  return at::IntArrayRef(values, static_cast<size_t>(count));
}

inline std::vector<at::Tensor> tensor_list(TensorHandle* handles, int32_t count, const char* what) {
  if (count < 0 || (count > 0 && handles == nullptr))
    throw std::invalid_argument(std::string("invalid tensor list passed for ") + what);
  std::vector<at::Tensor> list;
  list.reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count; ++i) list.push_back(deref(handles[i], what));
  return list;
}

inline at::ScalarType scalar_type(int32_t code) {
  if (code < 0 || code >= static_cast<int32_t>(at::ScalarType::NumOptions))
    throw std::invalid_argument("unknown scalar type code " + std::to_string(code));
  return static_cast<at::ScalarType>(code);
}

inline at::Device device(int32_t type, int32_t index) {
  return at::Device(static_cast<at::DeviceType>(type), static_cast<at::DeviceIndex>(index));
}

}  // namespace ac::torch_shim

// libtorch throws c10::Error, whose what() carries a long C++ backtrace. Inside AC_TRY these macros
// rethrow it with the message alone, so the managed exception reads like PyTorch's.
#define AC_TORCH_TRY \
  AC_TRY             \
  try {
#define AC_TORCH_RETHROW                                        \
  }                                                             \
  catch (const c10::Error& e) {                                 \
    throw std::runtime_error(e.what_without_backtrace());       \
  }
#define AC_TORCH_CATCH(fallback) AC_TORCH_RETHROW AC_CATCH(fallback)
#define AC_TORCH_CATCH_VOID AC_TORCH_RETHROW AC_CATCH_VOID
