// Plain-libtorch reference for the "unet" bench suite: the U-Net of Models/Segmenters/UNet.cs (same-padded 3x3
// convolutions without bias, batch norm, ReLU, 2x2 max-pool, 2x2 transposed-convolution upsampling, skip
// concatenation, 1x1 head), in evaluation mode under InferenceMode, channels-last, run on the same tiles the C#
// predictor cuts from a field (tile width x height, count, batch) with a softmax over the channels, in a tight loop
// with no blending or copying. With --bf16 1 the folded weights and the input are bfloat16 and the softmax float32.
// Prints the field's megapixels per second, so the suite can show the ratio.
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

struct Args {
  int64_t depth = 3;
  int64_t width = 16;
  int64_t classes = 3;
  int64_t tile_width = 256;
  int64_t tile_height = 256;
  int64_t tiles = 1;
  int64_t batch = 2;
  int64_t threads = 2;
  int64_t repeats = 5;
  double field_megapixels = 0.786432;
  bool fold_bn = false;
  bool shuffle_up = false;
  bool bf16 = false;
  std::string profile;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string key = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "missing value after %s\n", key.c_str());
      std::exit(2);
    }
    const char* value = argv[++i];
    if (key == "--depth") a.depth = std::atoll(value);
    else if (key == "--width") a.width = std::atoll(value);
    else if (key == "--classes") a.classes = std::atoll(value);
    else if (key == "--tile-width") a.tile_width = std::atoll(value);
    else if (key == "--tile-height") a.tile_height = std::atoll(value);
    else if (key == "--tiles") a.tiles = std::atoll(value);
    else if (key == "--batch") a.batch = std::atoll(value);
    else if (key == "--threads") a.threads = std::atoll(value);
    else if (key == "--repeats") a.repeats = std::atoll(value);
    else if (key == "--field-megapixels") a.field_megapixels = std::atof(value);
    else if (key == "--fold-bn") a.fold_bn = std::atoll(value) != 0;
    else if (key == "--shuffle-up") a.shuffle_up = std::atoll(value) != 0;
    else if (key == "--bf16") a.bf16 = std::atoll(value) != 0;
    else if (key == "--profile") a.profile = value;
    else {
      std::fprintf(stderr, "unknown argument %s\n", key.c_str());
      std::exit(2);
    }
  }
  return a;
}

struct BlockImpl : torch::nn::Module {
  BlockImpl(int64_t in, int64_t out)
      : conv1(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(false)))),
        bn1(register_module("bn1", torch::nn::BatchNorm2d(out))),
        conv2(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(out, out, 3).padding(1).bias(false)))),
        bn2(register_module("bn2", torch::nn::BatchNorm2d(out))) {}

  torch::Tensor forward(const torch::Tensor& x) {
    if (folded)
      return torch::conv2d(torch::conv2d(x, w1, b1, 1, 1).relu_(), w2, b2, 1, 1).relu_();
    return torch::relu(bn2(conv2(torch::relu(bn1(conv1(x))))));
  }

  // Evaluation-mode batch norm folded into the convolution before it: w * s, beta - mean * s with s = gamma / sd.
  void fold() {
    auto one = [](torch::nn::Conv2d& conv, torch::nn::BatchNorm2d& bn, torch::Tensor& w, torch::Tensor& b) {
      auto scale = bn->weight / torch::sqrt(bn->running_var + bn->options.eps());
      w = (conv->weight * scale.view({-1, 1, 1, 1})).contiguous(at::MemoryFormat::ChannelsLast);
      b = bn->bias - bn->running_mean * scale;
    };
    one(conv1, bn1, w1, b1);
    one(conv2, bn2, w2, b2);
    folded = true;
  }

  bool folded = false;
  torch::Tensor w1, b1, w2, b2;
  torch::nn::Conv2d conv1;
  torch::nn::BatchNorm2d bn1;
  torch::nn::Conv2d conv2;
  torch::nn::BatchNorm2d bn2;
};
TORCH_MODULE(Block);

struct UNetImpl : torch::nn::Module {
  UNetImpl(int64_t depth, int64_t width, int64_t classes) : depth(depth) {
    int64_t channels = 1;
    for (int64_t level = 0; level <= depth; ++level) {
      encoder.push_back(register_module("down" + std::to_string(level), Block(channels, width << level)));
      channels = width << level;
    }
    for (int64_t level = 0; level < depth; ++level) {
      up.push_back(register_module("up" + std::to_string(level),
          torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(width << (level + 1), width << level, 2).stride(2))));
      decoder.push_back(register_module("dec" + std::to_string(level), Block(2 * (width << level), width << level)));
    }
    head = register_module("head", torch::nn::Conv2d(torch::nn::Conv2dOptions(width, classes, 1)));
  }

  torch::Tensor forward(torch::Tensor x) {
    std::vector<torch::Tensor> skips;
    for (int64_t level = 0; level < depth; ++level) {
      auto features = encoder[level]->forward(x);
      skips.push_back(features);
      x = torch::max_pool2d(features, 2);
    }
    x = encoder[depth]->forward(x);
    for (int64_t level = depth - 1; level >= 0; --level)
      x = decoder[level]->forward(torch::cat({skips[level], upsample(level, x)}, 1));
    return head->forward(x);
  }

  // The 2x2 stride-2 transposed convolution, or the same as a 1x1 convolution to (row, column, channel) and a shuffle.
  torch::Tensor upsample(int64_t level, const torch::Tensor& x) {
    if (shuffle_weights.empty())
      return up[level]->forward(x);
    auto y = torch::conv2d(x, shuffle_weights[level], shuffle_biases[level]);
    auto n = y.size(0), h = y.size(2), w = y.size(3), c = y.size(1) / 4;
    return y.permute({0, 2, 3, 1}).reshape({n, h, w, 2, 2, c}).permute({0, 1, 3, 2, 4, 5}).contiguous()
        .view({n, 2 * h, 2 * w, c}).permute({0, 3, 1, 2});
  }

  void use_shuffle() {
    for (auto& u : up) {
      auto weight = u->weight;  // in x out x 2 x 2
      shuffle_weights.push_back(weight.permute({2, 3, 1, 0}).reshape({4 * weight.size(1), weight.size(0), 1, 1})
          .contiguous(at::MemoryFormat::ChannelsLast));
      shuffle_biases.push_back(u->bias.repeat({4}));
    }
  }

  std::vector<torch::Tensor> shuffle_weights, shuffle_biases;

  // Every weight the folded, shuffled network uses, cast to bfloat16.
  void to_bf16() {
    auto cast = [](torch::Tensor& t) { t = t.to(torch::kBFloat16); };
    for (auto* blocks : {&encoder, &decoder})
      for (auto& block : *blocks) {
        cast(block->w1); cast(block->b1); cast(block->w2); cast(block->b2);
      }
    for (auto& w : shuffle_weights) cast(w);
    for (auto& b : shuffle_biases) cast(b);
    head->to(torch::kBFloat16);
  }

  void fold() {
    for (auto& block : encoder) block->fold();
    for (auto& block : decoder) block->fold();
  }

  int64_t depth;
  std::vector<Block> encoder;
  std::vector<torch::nn::ConvTranspose2d> up;
  std::vector<Block> decoder;
  torch::nn::Conv2d head{nullptr};
};
TORCH_MODULE(UNet);

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  torch::set_num_threads(static_cast<int>(a.threads));
  torch::manual_seed(1);
  UNet net(a.depth, a.width, a.classes);
  net->eval();
  {
    torch::NoGradGuard no_grad;
    for (auto& p : net->parameters())
      if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
    if (a.fold_bn) net->fold();
    if (a.shuffle_up) net->use_shuffle();
    if (a.bf16) net->to_bf16();
  }
  c10::InferenceMode guard;
  auto tiles = torch::randn({a.tiles, 1, a.tile_height, a.tile_width});
  if (a.shuffle_up && !a.bf16) {
    // The shuffled upsampling must give the transposed convolution's logits.
    auto probe = torch::randn({1, 1, 64, 48}).contiguous(torch::MemoryFormat::ChannelsLast);
    auto shuffled = net->forward(probe);
    auto weights = std::move(net->shuffle_weights);
    net->shuffle_weights.clear();
    auto transposed = net->forward(probe);
    net->shuffle_weights = std::move(weights);
    std::printf("shuffle_max_difference %g\n", (shuffled - transposed).abs().max().item<float>());
  }

  auto run = [&]() {
    double checksum = 0;
    for (int64_t start = 0; start < a.tiles; start += a.batch) {
      auto count = std::min(a.batch, a.tiles - start);
      auto batch = tiles.narrow(0, start, count).contiguous(torch::MemoryFormat::ChannelsLast);
      if (a.bf16) batch = batch.to(torch::kBFloat16);
      auto probabilities = torch::softmax(net->forward(batch).to(torch::kFloat), 1).contiguous();
      checksum += probabilities.index({0, 0, 0, 0}).item<float>();
    }
    return checksum;
  };
  run();
  double best = 1e30;
  for (int64_t r = 0; r < a.repeats; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    run();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  if (!a.profile.empty()) {
    torch::autograd::profiler::RecordProfile profile(a.profile);
    run();
  }
  std::printf("seconds_per_field %.6f\n", best);
  std::printf("megapixels_per_second %.6f\n", a.field_megapixels / best);
  return 0;
}
