// Functional neural-network ops and parameter initialisation. Layers and their state live on the
// managed side (Tensors/NN); these exports are the stateless kernels the layers call.
#include "torch/torch_shim.h"

#include <c10/core/GradMode.h>

#include <cmath>

using ac::torch_shim::deref;
using ac::torch_shim::int_array;
using ac::torch_shim::optional;
using ac::torch_shim::TensorHandle;
using ac::torch_shim::wrap;

namespace {

at::IntArrayRef pair(const int64_t* values, const char* what) { return int_array(values, 2, what); }

enum class FanMode : int32_t { FanIn = 0, FanOut = 1 };

enum class Nonlinearity : int32_t { Linear = 0, Relu = 1, LeakyRelu = 2, Tanh = 3, Sigmoid = 4 };

// PyTorch's fan rule: dim 1 is inputs, dim 0 outputs, every further dim multiplies both (conv kernels).
std::pair<double, double> fans(const at::Tensor& tensor) {
  if (tensor.dim() < 2)
    throw std::invalid_argument("fan in and fan out need a tensor of at least 2 dimensions, got " +
                                std::to_string(tensor.dim()));
  double receptive = 1;
  for (int64_t d = 2; d < tensor.dim(); ++d) receptive *= static_cast<double>(tensor.size(d));
  return {static_cast<double>(tensor.size(1)) * receptive, static_cast<double>(tensor.size(0)) * receptive};
}

double gain(int32_t nonlinearity, double slope) {
  switch (static_cast<Nonlinearity>(nonlinearity)) {
    case Nonlinearity::Linear: return 1.0;
    case Nonlinearity::Sigmoid: return 1.0;
    case Nonlinearity::Relu: return std::sqrt(2.0);
    case Nonlinearity::LeakyRelu: return std::sqrt(2.0 / (1.0 + slope * slope));
    case Nonlinearity::Tanh: return 5.0 / 3.0;
  }
  throw std::invalid_argument("unknown nonlinearity code " + std::to_string(nonlinearity));
}

}  // namespace

// ---- layers ---------------------------------------------------------------------------------

// stride, padding and dilation point at (height, width) pairs.
AC_EXPORT(TensorHandle) ac_nn_conv2d(TensorHandle input, TensorHandle weight, TensorHandle bias,
                                     const int64_t* stride, const int64_t* padding, const int64_t* dilation,
                                     int64_t groups) {
  AC_TORCH_TRY
  return wrap(at::conv2d(deref(input, "input"), deref(weight, "weight"), optional(bias), pair(stride, "stride"),
                         pair(padding, "padding"), pair(dilation, "dilation"), groups));
  AC_TORCH_CATCH(nullptr)
}

// In training mode the running statistics are updated in place and num_batches_tracked (when
// given) is incremented, matching torch.nn.BatchNorm2d with a fixed momentum.
AC_EXPORT(TensorHandle) ac_nn_batch_norm(TensorHandle input, TensorHandle weight, TensorHandle bias,
                                         TensorHandle running_mean, TensorHandle running_var,
                                         TensorHandle num_batches_tracked, int32_t training, double momentum,
                                         double eps) {
  AC_TORCH_TRY
  bool train = training != 0;
  auto output = at::batch_norm(deref(input, "input"), optional(weight), optional(bias), optional(running_mean),
                               optional(running_var), train, momentum, eps, /*cudnn_enabled=*/true);
  if (train && num_batches_tracked != nullptr) {
    c10::AutoGradMode no_grad(false);
    num_batches_tracked->add_(1);
  }
  return wrap(output);
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_nn_linear(TensorHandle input, TensorHandle weight, TensorHandle bias) {
  AC_TORCH_TRY
  return wrap(at::linear(deref(input, "input"), deref(weight, "weight"), optional(bias)));
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_nn_max_pool2d(TensorHandle input, const int64_t* kernel, const int64_t* stride,
                                         const int64_t* padding, const int64_t* dilation, int32_t ceil_mode) {
  AC_TORCH_TRY
  return wrap(at::max_pool2d(deref(input, "input"), pair(kernel, "kernel"), pair(stride, "stride"),
                             pair(padding, "padding"), pair(dilation, "dilation"), ceil_mode != 0));
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_nn_avg_pool2d(TensorHandle input, const int64_t* kernel, const int64_t* stride,
                                         const int64_t* padding, int32_t ceil_mode, int32_t count_include_pad) {
  AC_TORCH_TRY
  return wrap(at::avg_pool2d(deref(input, "input"), pair(kernel, "kernel"), pair(stride, "stride"),
                             pair(padding, "padding"), ceil_mode != 0, count_include_pad != 0));
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_nn_adaptive_avg_pool2d(TensorHandle input, int64_t height, int64_t width) {
  AC_TORCH_TRY
  const int64_t size[2] = {height, width};
  return wrap(at::adaptive_avg_pool2d(deref(input, "input"), at::IntArrayRef(size, 2)));
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_nn_dropout(TensorHandle input, double p, int32_t training) {
  AC_TORCH_TRY
  if (!(p >= 0.0 && p <= 1.0)) throw std::invalid_argument("dropout probability must be in [0, 1], got " + std::to_string(p));
  return wrap(at::dropout(deref(input, "input"), p, training != 0));
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_nn_softmax(TensorHandle input, int64_t dim, int32_t log) {
  AC_TORCH_TRY
  const auto& x = deref(input, "input");
  return wrap(log != 0 ? at::log_softmax(x, dim) : at::softmax(x, dim));
  AC_TORCH_CATCH(nullptr)
}

// Targets are class indices (int64, shape N) or class probabilities (float, shape N x C).
// reduction: 0 none, 1 mean, 2 sum (at::Reduction's codes).
AC_EXPORT(TensorHandle) ac_nn_cross_entropy(TensorHandle logits, TensorHandle targets, TensorHandle class_weights,
                                            double label_smoothing, int32_t reduction) {
  AC_TORCH_TRY
  if (reduction < 0 || reduction > 2) throw std::invalid_argument("unknown reduction code " + std::to_string(reduction));
  if (!(label_smoothing >= 0.0 && label_smoothing <= 1.0))
    throw std::invalid_argument("label smoothing must be in [0, 1], got " + std::to_string(label_smoothing));
  return wrap(at::cross_entropy_loss(deref(logits, "logits"), deref(targets, "targets"), optional(class_weights),
                                     reduction, /*ignore_index=*/-100, label_smoothing));
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(TensorHandle) ac_nn_mse_loss(TensorHandle input, TensorHandle target, int32_t reduction) {
  AC_TORCH_TRY
  if (reduction < 0 || reduction > 2) throw std::invalid_argument("unknown reduction code " + std::to_string(reduction));
  return wrap(at::mse_loss(deref(input, "input"), deref(target, "target"), reduction));
  AC_TORCH_CATCH(nullptr)
}

// theta: N x 2 x 3; size: the output's N, C, H, W.
AC_EXPORT(TensorHandle) ac_nn_affine_grid(TensorHandle theta, const int64_t* size, int32_t ndim, int32_t align_corners) {
  AC_TORCH_TRY
  const auto& matrices = deref(theta, "theta");
  auto out = int_array(size, ndim, "size");
  TORCH_CHECK(matrices.is_floating_point(), "affine_grid: theta must be floating point, got ", matrices.dtype());
  TORCH_CHECK(out.size() == 4, "affine_grid: size must be N, C, H, W, got ", out);
  TORCH_CHECK(matrices.dim() == 3 && matrices.size(0) == out[0] && matrices.size(1) == 2 && matrices.size(2) == 3,
              "affine_grid: theta must have shape ", out[0], " x 2 x 3 for size ", out, ", got ", matrices.sizes());
  return wrap(at::affine_grid_generator(matrices, out, align_corners != 0));
  AC_TORCH_CATCH(nullptr)
}

// mode: 0 bilinear, 1 nearest, 2 bicubic; padding: 0 zeros, 1 border, 2 reflection.
AC_EXPORT(TensorHandle) ac_nn_grid_sample(TensorHandle input, TensorHandle grid, int32_t mode, int32_t padding,
                                          int32_t align_corners) {
  AC_TORCH_TRY
  TORCH_CHECK(mode >= 0 && mode <= 2, "grid_sample: unknown interpolation mode code ", mode);
  TORCH_CHECK(padding >= 0 && padding <= 2, "grid_sample: unknown padding mode code ", padding);
  return wrap(at::grid_sampler(deref(input, "input"), deref(grid, "grid"), mode, padding, align_corners != 0));
  AC_TORCH_CATCH(nullptr)
}

// ---- initialisation (in place, never recorded by autograd) ----------------------------------

AC_EXPORT(int32_t) ac_init_uniform(TensorHandle tensor, double low, double high) {
  AC_TORCH_TRY
  c10::AutoGradMode no_grad(false);
  deref(tensor).uniform_(low, high);
  return 0;
  AC_TORCH_CATCH(-1)
}

AC_EXPORT(int32_t) ac_init_normal(TensorHandle tensor, double mean, double std) {
  AC_TORCH_TRY
  c10::AutoGradMode no_grad(false);
  deref(tensor).normal_(mean, std);
  return 0;
  AC_TORCH_CATCH(-1)
}

AC_EXPORT(int32_t) ac_init_constant(TensorHandle tensor, double value) {
  AC_TORCH_TRY
  c10::AutoGradMode no_grad(false);
  deref(tensor).fill_(value);
  return 0;
  AC_TORCH_CATCH(-1)
}

// He initialisation: std = gain / sqrt(fan); the uniform variant draws from +-sqrt(3) * std.
// `slope` is the leaky-ReLU negative slope (PyTorch's `a`).
AC_EXPORT(int32_t) ac_init_kaiming(TensorHandle tensor, double slope, int32_t mode, int32_t nonlinearity,
                                   int32_t uniform) {
  AC_TORCH_TRY
  const auto& t = deref(tensor);
  auto [fan_in, fan_out] = fans(t);
  double fan = static_cast<FanMode>(mode) == FanMode::FanOut ? fan_out : fan_in;
  double std = gain(nonlinearity, slope) / std::sqrt(fan);
  c10::AutoGradMode no_grad(false);
  if (uniform != 0)
    t.uniform_(-std::sqrt(3.0) * std, std::sqrt(3.0) * std);
  else
    t.normal_(0.0, std);
  return 0;
  AC_TORCH_CATCH(-1)
}

// Glorot initialisation: std = gain * sqrt(2 / (fan_in + fan_out)).
AC_EXPORT(int32_t) ac_init_xavier(TensorHandle tensor, double gain_value, int32_t uniform) {
  AC_TORCH_TRY
  const auto& t = deref(tensor);
  auto [fan_in, fan_out] = fans(t);
  double std = gain_value * std::sqrt(2.0 / (fan_in + fan_out));
  c10::AutoGradMode no_grad(false);
  if (uniform != 0)
    t.uniform_(-std::sqrt(3.0) * std, std::sqrt(3.0) * std);
  else
    t.normal_(0.0, std);
  return 0;
  AC_TORCH_CATCH(-1)
}
