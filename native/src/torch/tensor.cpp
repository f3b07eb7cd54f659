// Tensors: creation, copies to and from managed memory, element-wise maths, shape ops, autograd and
// process-wide settings (seed, threads, devices). Op families share one export each, selected by a
// small integer code that NativeMethods.Tensor.cs mirrors as an enum.
#include "torch/torch_shim.h"

#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <torch/version.h>
#include <c10/core/GradMode.h>

#include <cstring>
#include <memory>
#include <sstream>

using ac::torch_shim::deref;
using ac::torch_shim::int_array;
using ac::torch_shim::TensorHandle;
using ac::torch_shim::wrap;

namespace ac::torch_shim {
std::atomic<int64_t> live_tensors{0};
}

namespace {

at::TensorOptions options_for(int32_t dtype, int32_t device_type, int32_t device_index) {
  return at::TensorOptions()
      .dtype(ac::torch_shim::scalar_type(dtype))
      .device(ac::torch_shim::device(device_type, device_index));
}

enum class Factory : int32_t { Zeros = 0, Ones = 1, Empty = 2, Full = 3, Randn = 4, Rand = 5 };

enum class Unary : int32_t {
  Neg = 0, Abs, Sqrt, Exp, Log, Relu, Relu6, Sigmoid, Tanh, Square,
  Clone, Detach, Contiguous, Floor, Round, Sign, ZerosLike, OnesLike, Rsqrt
};

enum class Binary : int32_t {
  Add = 0, Sub, Mul, Div, Eq, Ne, Lt, Le, Gt, Ge, Pow, Maximum, Minimum, MatMul
};

enum class WithScalar : int32_t {
  Add = 0, Sub, Mul, Div, Eq, Ne, Lt, Le, Gt, Ge, Pow, ReverseSub, ReverseDiv
};

enum class InPlace : int32_t { Add = 0, Sub, Mul, Div, Copy };

enum class InPlaceScalar : int32_t { Add = 0, Mul, Fill, ClampMin };

enum class Reduce : int32_t { Sum = 0, Mean, Max, Min };

[[noreturn]] void unknown_op(const char* family, int32_t code) {
  throw std::invalid_argument(std::string("unknown ") + family + " op code " + std::to_string(code));
}

}  // namespace

// ---- lifetime -------------------------------------------------------------------------------

AC_EXPORT(void) ac_tensor_dispose(TensorHandle handle) {
  AC_TORCH_TRY
  if (handle != nullptr) {
    delete handle;
    ac::torch_shim::live_tensors.fetch_sub(1, std::memory_order_relaxed);
  }
  AC_TORCH_CATCH_VOID
}

AC_EXPORT(int64_t) ac_tensor_live_count() {
  AC_TORCH_TRY
  return ac::torch_shim::live_tensors.load(std::memory_order_relaxed);
  AC_TORCH_CATCH(-1)
}

// ---- creation -------------------------------------------------------------------------------

// Copies `byte_count` bytes of managed memory into a new CPU tensor of the given dtype and shape.
AC_EXPORT(TensorHandle) ac_tensor_from_buffer(const void* data, int64_t byte_count, int32_t dtype,
                                              const int64_t* shape, int32_t ndim) {
  AC_TORCH_TRY
  auto sizes = int_array(shape, ndim, "shape");
  auto type = ac::torch_shim::scalar_type(dtype);
  auto result = at::empty(sizes, at::TensorOptions().dtype(type));
  if (static_cast<int64_t>(result.nbytes()) != byte_count)
    throw std::invalid_argument("buffer holds " + std::to_string(byte_count) + " bytes but shape " +
                                c10::str(sizes) + " of " + c10::toString(type) + " needs " +
                                std::to_string(result.nbytes()));
  if (byte_count > 0) {
    if (data == nullptr) throw std::invalid_argument("null data buffer");
    std::memcpy(result.data_ptr(), data, static_cast<size_t>(byte_count));
  }
  return wrap(result);
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_tensor_factory(int32_t kind, const int64_t* shape, int32_t ndim, double value,
                                          int32_t dtype, int32_t device_type, int32_t device_index) {
  AC_TORCH_TRY
  auto sizes = int_array(shape, ndim, "shape");
  auto options = options_for(dtype, device_type, device_index);
  switch (static_cast<Factory>(kind)) {
    case Factory::Zeros: return wrap(at::zeros(sizes, options));
    case Factory::Ones: return wrap(at::ones(sizes, options));
    case Factory::Empty: return wrap(at::empty(sizes, options));
    case Factory::Full: return wrap(at::full(sizes, value, options));
    case Factory::Randn: return wrap(at::randn(sizes, options));
    case Factory::Rand: return wrap(at::rand(sizes, options));
  }
  unknown_op("factory", kind);
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_tensor_arange(double start, double end, double step, int32_t dtype,
                                         int32_t device_type, int32_t device_index) {
  AC_TORCH_TRY
  return wrap(at::arange(start, end, step, options_for(dtype, device_type, device_index)));
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_tensor_randint(int64_t low, int64_t high, const int64_t* shape, int32_t ndim,
                                          int32_t dtype, int32_t device_type, int32_t device_index) {
  AC_TORCH_TRY
  return wrap(at::randint(low, high, int_array(shape, ndim, "shape"),
                          options_for(dtype, device_type, device_index)));
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_tensor_randperm(int64_t n, int32_t device_type, int32_t device_index) {
  AC_TORCH_TRY
  return wrap(at::randperm(n, options_for(static_cast<int32_t>(at::kLong), device_type, device_index)));
  AC_TORCH_CATCH(nullptr)
}

// ---- inspection and copies out --------------------------------------------------------------

// Copies the tensor (moved to the CPU, made contiguous) into managed memory of exactly its size.
AC_EXPORT(int32_t) ac_tensor_copy_to(TensorHandle handle, void* destination, int64_t byte_count) {
  AC_TORCH_TRY
  auto source = deref(handle).detach().to(at::kCPU).contiguous();
  if (static_cast<int64_t>(source.nbytes()) != byte_count)
    throw std::invalid_argument("destination holds " + std::to_string(byte_count) + " bytes but the tensor has " +
                                std::to_string(source.nbytes()));
  if (byte_count > 0) {
    if (destination == nullptr) throw std::invalid_argument("null destination buffer");
    std::memcpy(destination, source.data_ptr(), static_cast<size_t>(byte_count));
  }
  return 0;
  AC_TORCH_CATCH(-1)
}

AC_EXPORT(int32_t) ac_tensor_dtype(TensorHandle handle) {
  AC_TORCH_TRY
  return static_cast<int32_t>(deref(handle).scalar_type());
  AC_TORCH_CATCH(-1)
}

AC_EXPORT(int32_t) ac_tensor_dim(TensorHandle handle) {
  AC_TORCH_TRY
  return static_cast<int32_t>(deref(handle).dim());
  AC_TORCH_CATCH(-1)
}

// Writes up to `capacity` sizes; returns the tensor's rank.
AC_EXPORT(int32_t) ac_tensor_shape(TensorHandle handle, int64_t* sizes, int32_t capacity) {
  AC_TORCH_TRY
  const auto& tensor = deref(handle);
  auto rank = static_cast<int32_t>(tensor.dim());
  for (int32_t i = 0; i < rank && i < capacity; ++i) sizes[i] = tensor.size(i);
  return rank;
  AC_TORCH_CATCH(-1)
}

AC_EXPORT(int64_t) ac_tensor_numel(TensorHandle handle) {
  AC_TORCH_TRY
  return deref(handle).numel();
  AC_TORCH_CATCH(-1)
}

AC_EXPORT(int32_t) ac_tensor_device(TensorHandle handle, int32_t* device_type, int32_t* device_index) {
  AC_TORCH_TRY
  auto where = deref(handle).device();
  *device_type = static_cast<int32_t>(where.type());
  *device_index = where.index();
  return 0;
  AC_TORCH_CATCH(-1)
}

AC_EXPORT(double) ac_tensor_item_double(TensorHandle handle) {
  AC_TORCH_TRY
  return deref(handle).item<double>();
  AC_TORCH_CATCH(0.0)
}

AC_EXPORT(int64_t) ac_tensor_item_int64(TensorHandle handle) {
  AC_TORCH_TRY
  return deref(handle).item<int64_t>();
  AC_TORCH_CATCH(0)
}

// A printable rendering of the values (PyTorch's formatter); free with ac_free.
AC_EXPORT(char*) ac_tensor_to_string(TensorHandle handle) {
  AC_TORCH_TRY
  std::ostringstream text;
  text << deref(handle);
  return ac::duplicate_string(text.str());
  AC_TORCH_CATCH(nullptr)
}

// ---- conversions and shape ------------------------------------------------------------------

// A negative dtype or device type keeps the tensor's own.
AC_EXPORT(TensorHandle) ac_tensor_to(TensorHandle handle, int32_t dtype, int32_t device_type,
                                     int32_t device_index, int32_t copy) {
  AC_TORCH_TRY
  const auto& tensor = deref(handle);
  auto type = dtype < 0 ? tensor.scalar_type() : ac::torch_shim::scalar_type(dtype);
  auto where = device_type < 0 ? tensor.device() : ac::torch_shim::device(device_type, device_index);
  return wrap(tensor.to(where, type, /*non_blocking=*/false, copy != 0));
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_tensor_reshape(TensorHandle handle, const int64_t* shape, int32_t ndim, int32_t view) {
  AC_TORCH_TRY
  auto sizes = int_array(shape, ndim, "shape");
  return wrap(view != 0 ? deref(handle).view(sizes) : deref(handle).reshape(sizes));
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_tensor_permute(TensorHandle handle, const int64_t* dims, int32_t ndim) {
  AC_TORCH_TRY
  return wrap(deref(handle).permute(int_array(dims, ndim, "dims")));
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_tensor_expand(TensorHandle handle, const int64_t* shape, int32_t ndim) {
  AC_TORCH_TRY
  return wrap(deref(handle).expand(int_array(shape, ndim, "shape")));
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_tensor_flip(TensorHandle handle, const int64_t* dims, int32_t ndim) {
  AC_TORCH_TRY
  return wrap(deref(handle).flip(int_array(dims, ndim, "dims")));
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_tensor_transpose(TensorHandle handle, int64_t dim0, int64_t dim1) {
  AC_TORCH_TRY
  return wrap(deref(handle).transpose(dim0, dim1));
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_tensor_unsqueeze(TensorHandle handle, int64_t dim) {
  AC_TORCH_TRY
  return wrap(deref(handle).unsqueeze(dim));
  AC_TORCH_CATCH(nullptr)
}

// has_dim == 0 removes every size-1 dimension.
AC_EXPORT(TensorHandle) ac_tensor_squeeze(TensorHandle handle, int64_t dim, int32_t has_dim) {
  AC_TORCH_TRY
  return wrap(has_dim != 0 ? deref(handle).squeeze(dim) : deref(handle).squeeze());
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_tensor_flatten(TensorHandle handle, int64_t start_dim, int64_t end_dim) {
  AC_TORCH_TRY
  return wrap(deref(handle).flatten(start_dim, end_dim));
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_tensor_index_select(TensorHandle handle, int64_t dim, TensorHandle index) {
  AC_TORCH_TRY
  return wrap(deref(handle).index_select(dim, deref(index, "index")));
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_tensor_narrow(TensorHandle handle, int64_t dim, int64_t start, int64_t length) {
  AC_TORCH_TRY
  return wrap(deref(handle).narrow(dim, start, length));
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_tensor_select(TensorHandle handle, int64_t dim, int64_t index) {
  AC_TORCH_TRY
  return wrap(deref(handle).select(dim, index));
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_tensor_cat(TensorHandle* handles, int32_t count, int64_t dim, int32_t stack) {
  AC_TORCH_TRY
  auto list = ac::torch_shim::tensor_list(handles, count, "cat");
  return wrap(stack != 0 ? at::stack(list, dim) : at::cat(list, dim));
  AC_TORCH_CATCH(nullptr)
}

// ---- maths ----------------------------------------------------------------------------------

AC_EXPORT(TensorHandle) ac_tensor_unary(TensorHandle handle, int32_t op) {
  AC_TORCH_TRY
  const auto& x = deref(handle);
  switch (static_cast<Unary>(op)) {
    case Unary::Neg: return wrap(x.neg());
    case Unary::Abs: return wrap(x.abs());
    case Unary::Sqrt: return wrap(x.sqrt());
    case Unary::Exp: return wrap(x.exp());
    case Unary::Log: return wrap(x.log());
    case Unary::Relu: return wrap(at::relu(x));
    case Unary::Relu6: return wrap(at::hardtanh(x, 0.0, 6.0));
    case Unary::Sigmoid: return wrap(x.sigmoid());
    case Unary::Tanh: return wrap(x.tanh());
    case Unary::Square: return wrap(x.square());
    case Unary::Clone: return wrap(x.clone());
    case Unary::Detach: return wrap(x.detach());
    case Unary::Contiguous: return wrap(x.contiguous());
    case Unary::Floor: return wrap(x.floor());
    case Unary::Round: return wrap(x.round());
    case Unary::Sign: return wrap(x.sign());
    case Unary::ZerosLike: return wrap(at::zeros_like(x));
    case Unary::OnesLike: return wrap(at::ones_like(x));
    case Unary::Rsqrt: return wrap(x.rsqrt());
  }
  unknown_op("unary", op);
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_tensor_binary(TensorHandle left, TensorHandle right, int32_t op) {
  AC_TORCH_TRY
  const auto& a = deref(left, "left operand");
  const auto& b = deref(right, "right operand");
  switch (static_cast<Binary>(op)) {
    case Binary::Add: return wrap(a.add(b));
    case Binary::Sub: return wrap(a.sub(b));
    case Binary::Mul: return wrap(a.mul(b));
    case Binary::Div: return wrap(a.div(b));
    case Binary::Eq: return wrap(a.eq(b));
    case Binary::Ne: return wrap(a.ne(b));
    case Binary::Lt: return wrap(a.lt(b));
    case Binary::Le: return wrap(a.le(b));
    case Binary::Gt: return wrap(a.gt(b));
    case Binary::Ge: return wrap(a.ge(b));
    case Binary::Pow: return wrap(a.pow(b));
    case Binary::Maximum: return wrap(at::maximum(a, b));
    case Binary::Minimum: return wrap(at::minimum(a, b));
    case Binary::MatMul: return wrap(a.matmul(b));
  }
  unknown_op("binary", op);
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_tensor_scalar_op(TensorHandle handle, double value, int32_t op) {
  AC_TORCH_TRY
  const auto& a = deref(handle);
  const at::Scalar s(value);
  switch (static_cast<WithScalar>(op)) {
    case WithScalar::Add: return wrap(a.add(s));
    case WithScalar::Sub: return wrap(a.sub(s));
    case WithScalar::Mul: return wrap(a.mul(s));
    case WithScalar::Div: return wrap(a.div(s));
    case WithScalar::Eq: return wrap(a.eq(s));
    case WithScalar::Ne: return wrap(a.ne(s));
    case WithScalar::Lt: return wrap(a.lt(s));
    case WithScalar::Le: return wrap(a.le(s));
    case WithScalar::Gt: return wrap(a.gt(s));
    case WithScalar::Ge: return wrap(a.ge(s));
    case WithScalar::Pow: return wrap(a.pow(s));
    case WithScalar::ReverseSub: return wrap(at::rsub(a, s));
    case WithScalar::ReverseDiv: return wrap(a.reciprocal().mul(s));
  }
  unknown_op("scalar", op);
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(int32_t) ac_tensor_inplace(TensorHandle target, TensorHandle other, double alpha, int32_t op) {
  AC_TORCH_TRY
  const auto& a = deref(target, "target");
  const auto& b = deref(other, "other");
  switch (static_cast<InPlace>(op)) {
    case InPlace::Add: a.add_(b, alpha); return 0;
    case InPlace::Sub: a.sub_(b, alpha); return 0;
    case InPlace::Mul: a.mul_(b); return 0;
    case InPlace::Div: a.div_(b); return 0;
    case InPlace::Copy: a.copy_(b); return 0;
  }
  unknown_op("in-place", op);
  AC_TORCH_CATCH(-1)
}

AC_EXPORT(int32_t) ac_tensor_inplace_scalar(TensorHandle target, double value, int32_t op) {
  AC_TORCH_TRY
  const auto& a = deref(target, "target");
  switch (static_cast<InPlaceScalar>(op)) {
    case InPlaceScalar::Add: a.add_(value); return 0;
    case InPlaceScalar::Mul: a.mul_(value); return 0;
    case InPlaceScalar::Fill: a.fill_(value); return 0;
    case InPlaceScalar::ClampMin: a.clamp_min_(value); return 0;
  }
  unknown_op("in-place scalar", op);
  AC_TORCH_CATCH(-1)
}

// Replaces the tensor's storage while keeping its identity (what Module.To does for parameters).
AC_EXPORT(int32_t) ac_tensor_set_data(TensorHandle target, TensorHandle source) {
  AC_TORCH_TRY
  deref(target, "target").set_data(deref(source, "source"));
  return 0;
  AC_TORCH_CATCH(-1)
}

AC_EXPORT(TensorHandle) ac_tensor_clamp(TensorHandle handle, double min, int32_t has_min, double max, int32_t has_max) {
  AC_TORCH_TRY
  c10::optional<at::Scalar> low = has_min != 0 ? c10::optional<at::Scalar>(min) : c10::nullopt;
  c10::optional<at::Scalar> high = has_max != 0 ? c10::optional<at::Scalar>(max) : c10::nullopt;
  return wrap(deref(handle).clamp(low, high));
  AC_TORCH_CATCH(nullptr)
}

// ndims == 0 reduces over every dimension.
AC_EXPORT(TensorHandle) ac_tensor_reduce(TensorHandle handle, int32_t op, const int64_t* dims, int32_t ndims,
                                         int32_t keepdim) {
  AC_TORCH_TRY
  const auto& x = deref(handle);
  auto over = int_array(dims, ndims, "dims");
  bool keep = keepdim != 0;
  switch (static_cast<Reduce>(op)) {
    case Reduce::Sum: return wrap(ndims == 0 ? x.sum() : x.sum(over, keep));
    case Reduce::Mean: return wrap(ndims == 0 ? x.mean() : x.mean(over, keep));
    case Reduce::Max: return wrap(x.amax(over, keep));
    case Reduce::Min: return wrap(x.amin(over, keep));
  }
  unknown_op("reduction", op);
  AC_TORCH_CATCH(nullptr)
}

// has_dim == 0 gives the flat index over all elements.
AC_EXPORT(TensorHandle) ac_tensor_argmax(TensorHandle handle, int64_t dim, int32_t has_dim, int32_t keepdim) {
  AC_TORCH_TRY
  c10::optional<int64_t> over = has_dim != 0 ? c10::optional<int64_t>(dim) : c10::nullopt;
  return wrap(deref(handle).argmax(over, keepdim != 0));
  AC_TORCH_CATCH(nullptr)
}

// ---- autograd -------------------------------------------------------------------------------

AC_EXPORT(int32_t) ac_tensor_requires_grad(TensorHandle handle) {
  AC_TORCH_TRY
  return deref(handle).requires_grad() ? 1 : 0;
  AC_TORCH_CATCH(-1)
}

AC_EXPORT(int32_t) ac_tensor_set_requires_grad(TensorHandle handle, int32_t requires_grad) {
  AC_TORCH_TRY
  deref(handle).requires_grad_(requires_grad != 0);
  return 0;
  AC_TORCH_CATCH(-1)
}

AC_EXPORT(int32_t) ac_tensor_is_leaf(TensorHandle handle) {
  AC_TORCH_TRY
  return deref(handle).is_leaf() ? 1 : 0;
  AC_TORCH_CATCH(-1)
}

// `gradient` may be null for a scalar output.
AC_EXPORT(int32_t) ac_tensor_backward(TensorHandle handle, TensorHandle gradient, int32_t retain_graph) {
  AC_TORCH_TRY
  const auto& output = deref(handle);
  at::Tensor seed = gradient != nullptr ? *gradient : at::Tensor();
  output.backward(seed, c10::optional<bool>(retain_graph != 0), /*create_graph=*/false);
  return 0;
  AC_TORCH_CATCH(-1)
}

// A new handle on the accumulated gradient, or null (without error) when there is none yet.
AC_EXPORT(TensorHandle) ac_tensor_grad(TensorHandle handle) {
  AC_TORCH_TRY
  return wrap(deref(handle).grad());
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(int32_t) ac_tensor_zero_grad(TensorHandle handle) {
  AC_TORCH_TRY
  auto& grad = deref(handle).mutable_grad();
  if (grad.defined()) {
    grad = grad.detach();
    grad.zero_();
  }
  return 0;
  AC_TORCH_CATCH(-1)
}

// Disables gradient recording on the calling thread until the returned guard is passed to
// ac_autograd_no_grad_exit (on the same thread, innermost first).
AC_EXPORT(void*) ac_autograd_no_grad_enter() {
  AC_TORCH_TRY
  return new c10::AutoGradMode(false);
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(void) ac_autograd_no_grad_exit(void* guard) {
  AC_TORCH_TRY
  delete static_cast<c10::AutoGradMode*>(guard);
  AC_TORCH_CATCH_VOID
}

namespace {

// What ac_autocast_enter found, restored by ac_autocast_exit.
struct AutocastScope {
  bool was_enabled;
  at::ScalarType previous_type;
};

}  // namespace

// Autocast on the CPU until the returned scope is passed to ac_autocast_exit (on the same thread, innermost
// first): the operations libtorch's autocast lists for lower precision (convolutions and matrix products; 1.13's
// CPU list has no transposed convolution) run in `dtype`, casting their float32 inputs and weights; the rest run
// as its lists say or in their inputs' types.
AC_EXPORT(void*) ac_autocast_enter(int32_t dtype) {
  AC_TORCH_TRY
  const auto type = ac::torch_shim::scalar_type(dtype);
  auto scope = std::make_unique<AutocastScope>(AutocastScope{at::autocast::is_cpu_enabled(), at::autocast::get_autocast_cpu_dtype()});
  at::autocast::set_autocast_cpu_dtype(type);
  at::autocast::set_cpu_enabled(true);
  at::autocast::increment_nesting();
  return scope.release();
  AC_TORCH_CATCH(nullptr)
}

// Ends an autocast scope. Leaving the outermost one drops autocast's cached low-precision copies of the
// weights, which the optimiser's next step would otherwise leave stale.
AC_EXPORT(void) ac_autocast_exit(void* handle) {
  AC_TORCH_TRY
  const std::unique_ptr<AutocastScope> scope(static_cast<AutocastScope*>(handle));
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_cpu_enabled(scope->was_enabled);
  at::autocast::set_autocast_cpu_dtype(scope->previous_type);
  AC_TORCH_CATCH_VOID
}

AC_EXPORT(int32_t) ac_autograd_is_enabled() {
  AC_TORCH_TRY
  return c10::GradMode::is_enabled() ? 1 : 0;
  AC_TORCH_CATCH(-1)
}

// ---- process-wide settings ------------------------------------------------------------------

AC_EXPORT(void) ac_torch_manual_seed(uint64_t seed) {
  AC_TORCH_TRY
  at::manual_seed(seed);
  AC_TORCH_CATCH_VOID
}

AC_EXPORT(void) ac_torch_set_num_threads(int32_t threads) {
  AC_TORCH_TRY
  if (threads < 1) throw std::invalid_argument("thread count must be at least 1, got " + std::to_string(threads));
  at::set_num_threads(threads);
  AC_TORCH_CATCH_VOID
}

AC_EXPORT(int32_t) ac_torch_get_num_threads() {
  AC_TORCH_TRY
  return at::get_num_threads();
  AC_TORCH_CATCH(-1)
}

AC_EXPORT(int32_t) ac_torch_cuda_is_available() {
  AC_TORCH_TRY
  return at::hasCUDA() ? 1 : 0;
  AC_TORCH_CATCH(0)
}

AC_EXPORT(int32_t) ac_torch_cuda_device_count() {
  AC_TORCH_TRY
  return at::hasCUDA() ? static_cast<int32_t>(at::detail::getCUDAHooks().getNumGPUs()) : 0;
  AC_TORCH_CATCH(0)
}

// Parses "cpu", "cuda", "cuda:1" (libtorch's own grammar) into a device type and index.
AC_EXPORT(int32_t) ac_torch_parse_device(const char* text, int32_t* device_type, int32_t* device_index) {
  AC_TORCH_TRY
  if (text == nullptr) throw std::invalid_argument("null device string");
  at::Device parsed{std::string(text)};
  *device_type = static_cast<int32_t>(parsed.type());
  *device_index = parsed.index();
  return 0;
  AC_TORCH_CATCH(-1)
}

// The libtorch version the shim was compiled against, for the report's provenance.
AC_EXPORT(const char*) ac_torch_version() {
  ac::clear_last_error();
  return TORCH_VERSION;
}
