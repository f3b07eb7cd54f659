// Optimisers from libtorch's C++ frontend, created over the managed parameter tensors. The optimiser
// keeps its own references to the parameters' storage, so it stays valid whatever the managed side
// does with its handles; its state (momentum buffers, Adam moments) lives and dies with it.
#include "torch/torch_shim.h"

#include <c10/core/GradMode.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

#include <cmath>
#include <limits>
#include <memory>

using ac::torch_shim::TensorHandle;

namespace {

using OptimizerHandle = torch::optim::Optimizer*;

torch::optim::Optimizer& optimizer(OptimizerHandle handle) {
  if (handle == nullptr) throw std::invalid_argument("null optimizer handle");
  return *handle;
}

void check_rate(double value, const char* name) {
  if (!(value >= 0.0) || std::isinf(value))
    throw std::invalid_argument(std::string(name) + " must be a finite value >= 0, got " + std::to_string(value));
}

}  // namespace

AC_EXPORT(OptimizerHandle) ac_optim_sgd_create(TensorHandle* parameters, int32_t count, double lr, double momentum,
                                               double dampening, double weight_decay, int32_t nesterov) {
  AC_TORCH_TRY
  check_rate(lr, "learning rate");
  check_rate(momentum, "momentum");
  check_rate(weight_decay, "weight decay");
  auto params = ac::torch_shim::tensor_list(parameters, count, "parameters");
  auto options = torch::optim::SGDOptions(lr).momentum(momentum).dampening(dampening).weight_decay(weight_decay).nesterov(
      nesterov != 0);
  return new torch::optim::SGD(params, options);
  AC_TORCH_CATCH(nullptr)
}

// decoupled != 0 gives AdamW (weight decay applied to the weights, not folded into the gradient).
AC_EXPORT(OptimizerHandle) ac_optim_adam_create(TensorHandle* parameters, int32_t count, double lr, double beta1,
                                                double beta2, double eps, double weight_decay, int32_t amsgrad,
                                                int32_t decoupled) {
  AC_TORCH_TRY
  check_rate(lr, "learning rate");
  check_rate(weight_decay, "weight decay");
  auto params = ac::torch_shim::tensor_list(parameters, count, "parameters");
  if (decoupled != 0) {
    auto options = torch::optim::AdamWOptions(lr)
                       .betas(std::make_tuple(beta1, beta2))
                       .eps(eps)
                       .weight_decay(weight_decay)
                       .amsgrad(amsgrad != 0);
    return new torch::optim::AdamW(params, options);
  }
  auto options = torch::optim::AdamOptions(lr)
                     .betas(std::make_tuple(beta1, beta2))
                     .eps(eps)
                     .weight_decay(weight_decay)
                     .amsgrad(amsgrad != 0);
  return new torch::optim::Adam(params, options);
  AC_TORCH_CATCH(nullptr)
}

AC_EXPORT(void) ac_optim_dispose(OptimizerHandle handle) {
  AC_TORCH_TRY
  delete handle;
  AC_TORCH_CATCH_VOID
}

AC_EXPORT(int32_t) ac_optim_step(OptimizerHandle handle) {
  AC_TORCH_TRY
  optimizer(handle).step();
  return 0;
  AC_TORCH_CATCH(-1)
}

AC_EXPORT(int32_t) ac_optim_zero_grad(OptimizerHandle handle) {
  AC_TORCH_TRY
  optimizer(handle).zero_grad();
  return 0;
  AC_TORCH_CATCH(-1)
}

// The learning rate of the first parameter group (all groups share one here).
AC_EXPORT(double) ac_optim_get_lr(OptimizerHandle handle) {
  AC_TORCH_TRY
  auto& groups = optimizer(handle).param_groups();
  if (groups.empty()) throw std::logic_error("optimizer has no parameter groups");
  return groups.front().options().get_lr();
  AC_TORCH_CATCH(std::numeric_limits<double>::quiet_NaN())
}

AC_EXPORT(int32_t) ac_optim_set_lr(OptimizerHandle handle, double lr) {
  AC_TORCH_TRY
  check_rate(lr, "learning rate");
  for (auto& group : optimizer(handle).param_groups()) group.options().set_lr(lr);
  return 0;
  AC_TORCH_CATCH(-1)
}

// Rescales the gradients so that their joint norm is at most max_norm; returns the norm before
// clipping (torch.nn.utils.clip_grad_norm_). Parameters without a gradient are skipped.
AC_EXPORT(double) ac_optim_clip_grad_norm(TensorHandle* parameters, int32_t count, double max_norm, double norm_type) {
  AC_TORCH_TRY
  auto params = ac::torch_shim::tensor_list(parameters, count, "parameters");
  c10::AutoGradMode no_grad(false);
  std::vector<at::Tensor> norms;
  for (const auto& p : params)
    if (p.grad().defined()) norms.push_back(p.grad().norm(norm_type));
  if (norms.empty()) return 0.0;
  auto total = std::isinf(norm_type) ? at::stack(norms).max() : at::stack(norms).norm(norm_type);
  double total_norm = total.item<double>();
  double coefficient = max_norm / (total_norm + 1e-6);
  if (coefficient < 1.0)
    for (const auto& p : params)
      if (p.grad().defined()) p.grad().mul_(coefficient);
  return total_norm;
  AC_TORCH_CATCH(std::numeric_limits<double>::quiet_NaN())
}
