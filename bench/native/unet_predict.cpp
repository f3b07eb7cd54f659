// Plain-libtorch reference for the "unet" bench suite: the U-Net of Models/Segmenters/UNet.cs (same-padded 3x3
// convolutions without bias, batch norm, ReLU, 2x2 max-pool, 2x2 transposed-convolution upsampling, skip
// concatenation, 1x1 head), in evaluation mode under InferenceMode, channels-last, run on the same tiles the C#
// predictor cuts from a field (tile width x height, count, batch) with a softmax over the channels, in a tight loop
// with no blending or copying. Prints the field's megapixels per second, so the suite can show the ratio.
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
    return torch::relu(bn2(conv2(torch::relu(bn1(conv1(x))))));
  }

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
      x = decoder[level]->forward(torch::cat({skips[level], up[level]->forward(x)}, 1));
    return head->forward(x);
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
  }
  c10::InferenceMode guard;
  auto tiles = torch::randn({a.tiles, 1, a.tile_height, a.tile_width});

  auto run = [&]() {
    double checksum = 0;
    for (int64_t start = 0; start < a.tiles; start += a.batch) {
      auto count = std::min(a.batch, a.tiles - start);
      auto batch = tiles.narrow(0, start, count).contiguous(torch::MemoryFormat::ChannelsLast);
      auto probabilities = torch::softmax(net->forward(batch), 1).contiguous();
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
  std::printf("seconds_per_field %.6f\n", best);
  std::printf("megapixels_per_second %.6f\n", a.field_megapixels / best);
  return 0;
}
