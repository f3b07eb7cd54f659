// Kernels that encoder-decoder segmentation networks need beyond nn.cpp: transposed convolution and
// resizing for the decoder, padding (reflection for tiled inference), group normalisation and one-hot targets.
#include "torch/torch_shim.h"

using ac::torch_shim::deref;
using ac::torch_shim::int_array;
using ac::torch_shim::optional;
using ac::torch_shim::TensorHandle;
using ac::torch_shim::wrap;

namespace {

enum class Resize : int32_t { Nearest = 0, Bilinear = 1, Bicubic = 2 };

enum class Pad : int32_t { Constant = 0, Reflect = 1, Replicate = 2 };

at::IntArrayRef pair(const int64_t* values, const char* what) { return int_array(values, 2, what); }

}  // namespace

// stride, padding, output_padding and dilation point at (height, width) pairs; weight is In x Out/groups x kH x kW.
AC_EXPORT(TensorHandle) ac_nn_conv_transpose2d(TensorHandle input, TensorHandle weight, TensorHandle bias,
                                               const int64_t* stride, const int64_t* padding,
                                               const int64_t* output_padding, const int64_t* dilation, int64_t groups) {
  AC_TORCH_TRY
  return wrap(at::conv_transpose2d(deref(input, "input"), deref(weight, "weight"), optional(bias), pair(stride, "stride"),
                                   pair(padding, "padding"), pair(output_padding, "output padding"), groups,
                                   pair(dilation, "dilation")));
  AC_TORCH_CATCH(nullptr)
}

// Resizes the last two dimensions of N x C x H x W input to height x width. mode: 0 nearest, 1 bilinear,
// 2 bicubic; align_corners only matters for the last two (PyTorch's F.interpolate).
AC_EXPORT(TensorHandle) ac_nn_interpolate(TensorHandle input, int64_t height, int64_t width, int32_t mode,
                                          int32_t align_corners) {
  AC_TORCH_TRY
  const auto& x = deref(input, "input");
  TORCH_CHECK(x.dim() == 4, "interpolate: input must be N x C x H x W, got ", x.sizes());
  TORCH_CHECK(height >= 1 && width >= 1, "interpolate: output size must be at least 1 x 1, got ", height, " x ", width);
  const int64_t size[2] = {height, width};
  const at::IntArrayRef out(size, 2);
  switch (static_cast<Resize>(mode)) {
    case Resize::Nearest: return wrap(at::upsample_nearest2d(x, out));
    case Resize::Bilinear: return wrap(at::upsample_bilinear2d(x, out, align_corners != 0));
    case Resize::Bicubic: return wrap(at::upsample_bicubic2d(x, out, align_corners != 0));
  }
  throw std::invalid_argument("interpolate: unknown mode code " + std::to_string(mode));
  AC_TORCH_CATCH(nullptr)
}

// Pads the last two dimensions by (left, right, top, bottom). mode: 0 constant (value), 1 reflect (mirror
// without repeating the edge, PyTorch's "reflect"; each pad must be smaller than the side), 2 replicate.
AC_EXPORT(TensorHandle) ac_nn_pad2d(TensorHandle input, int64_t left, int64_t right, int64_t top, int64_t bottom,
                                    int32_t mode, double value) {
  AC_TORCH_TRY
  const auto& x = deref(input, "input");
  TORCH_CHECK(x.dim() == 3 || x.dim() == 4, "pad2d: input must be C x H x W or N x C x H x W, got ", x.sizes());
  const int64_t pads[4] = {left, right, top, bottom};
  const at::IntArrayRef p(pads, 4);
  switch (static_cast<Pad>(mode)) {
    case Pad::Constant: return wrap(at::constant_pad_nd(x, p, value));
    case Pad::Reflect:
      TORCH_CHECK(left >= 0 && right >= 0 && top >= 0 && bottom >= 0, "pad2d: reflection needs non-negative pads");
      TORCH_CHECK(left < x.size(-1) && right < x.size(-1) && top < x.size(-2) && bottom < x.size(-2),
                  "pad2d: reflection pads must be smaller than the input (", x.size(-2), " x ", x.size(-1), "), got left ",
                  left, ", right ", right, ", top ", top, ", bottom ", bottom);
      return wrap(at::reflection_pad2d(x, p));
    case Pad::Replicate:
      TORCH_CHECK(left >= 0 && right >= 0 && top >= 0 && bottom >= 0, "pad2d: replication needs non-negative pads");
      return wrap(at::replication_pad2d(x, p));
  }
  throw std::invalid_argument("pad2d: unknown mode code " + std::to_string(mode));
  AC_TORCH_CATCH(nullptr)
}

// Group normalisation (Wu & He): channels split into `groups`, each normalised per sample over its channels and pixels.
AC_EXPORT(TensorHandle) ac_nn_group_norm(TensorHandle input, int64_t groups, TensorHandle weight, TensorHandle bias,
                                         double eps) {
  AC_TORCH_TRY
  const auto& x = deref(input, "input");
  TORCH_CHECK(x.dim() >= 2, "group_norm: input must have a channel dimension, got ", x.sizes());
  TORCH_CHECK(groups >= 1 && x.size(1) % groups == 0, "group_norm: ", x.size(1), " channels cannot split into ", groups,
              " groups");
  return wrap(at::group_norm(x, groups, optional(weight), optional(bias), eps, /*cudnn_enabled=*/true));
  AC_TORCH_CATCH(nullptr)
}

// Class indices (int64, any shape) to a float one-hot tensor with the classes as dimension 1 (N x C x ...),
// the layout a segmentation loss compares with softmax output.
AC_EXPORT(TensorHandle) ac_nn_one_hot(TensorHandle indices, int64_t classes) {
  AC_TORCH_TRY
  const auto& y = deref(indices, "indices");
  TORCH_CHECK(y.scalar_type() == at::kLong, "one_hot: indices must be int64, got ", y.dtype());
  TORCH_CHECK(y.dim() >= 1, "one_hot: indices need a batch dimension");
  TORCH_CHECK(classes >= 1, "one_hot: class count must be at least 1, got ", classes);
  auto hot = at::one_hot(y, classes).to(at::kFloat);
  return wrap(hot.movedim(-1, 1).contiguous());
  AC_TORCH_CATCH(nullptr)
}
