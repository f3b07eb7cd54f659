// Plain-libtorch reference for the "backbone" bench suite: frozen ResNet-18 feature extraction (torchvision's
// network up to the global average pool, evaluation mode, no autograd) over batches of random images, written
// with libtorch's C++ frontend and no AutoClassify code. Prints the best throughput over several rounds.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

struct Args {
  int64_t size = 224;
  int64_t batch = 32;
  int64_t batches = 3;
  int64_t rounds = 3;
  int64_t threads = 2;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string key = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "missing value after %s\n", key.c_str());
      std::exit(2);
    }
    int64_t value = std::atoll(argv[++i]);
    if (key == "--size") a.size = value;
    else if (key == "--batch") a.batch = value;
    else if (key == "--batches") a.batches = value;
    else if (key == "--rounds") a.rounds = value;
    else if (key == "--threads") a.threads = value;
    else {
      std::fprintf(stderr, "unknown argument %s\n", key.c_str());
      std::exit(2);
    }
  }
  return a;
}

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
}

struct BasicBlockImpl : torch::nn::Module {
  BasicBlockImpl(int64_t in, int64_t planes, int64_t stride)
      : conv1(register_module("conv1", conv(in, planes, 3, stride, 1))),
        bn1(register_module("bn1", torch::nn::BatchNorm2d(planes))),
        conv2(register_module("conv2", conv(planes, planes, 3, 1, 1))),
        bn2(register_module("bn2", torch::nn::BatchNorm2d(planes))) {
    if (stride != 1 || in != planes)
      downsample = register_module("downsample", torch::nn::Sequential(conv(in, planes, 1, stride, 0), torch::nn::BatchNorm2d(planes)));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    auto out = torch::relu(bn1(conv1(x)));
    out = bn2(conv2(out));
    out += downsample ? downsample->forward(x) : x;
    return torch::relu(out);
  }

  torch::nn::Conv2d conv1;
  torch::nn::BatchNorm2d bn1;
  torch::nn::Conv2d conv2;
  torch::nn::BatchNorm2d bn2;
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

struct ResNet18Impl : torch::nn::Module {
  ResNet18Impl()
      : conv1(register_module("conv1", conv(3, 64, 7, 2, 3))), bn1(register_module("bn1", torch::nn::BatchNorm2d(64))) {
    int64_t in = 64;
    const int64_t planes[4] = {64, 128, 256, 512};
    for (int stage = 0; stage < 4; ++stage) {
      torch::nn::Sequential layer;
      layer->push_back(BasicBlock(in, planes[stage], stage == 0 ? 1 : 2));
      layer->push_back(BasicBlock(planes[stage], planes[stage], 1));
      in = planes[stage];
      layers[stage] = register_module("layer" + std::to_string(stage + 1), layer);
    }
    fc = register_module("fc", torch::nn::Linear(512, 1000));
    // torchvision's initialisation, as AutoClassify's ResNet uses: the activations then have the same magnitudes
    // on both sides (libtorch's default init shrinks them layer by layer, which changes the arithmetic's speed).
    torch::NoGradGuard no_grad;
    for (auto& module : modules(/*include_self=*/false))
      if (auto* c = module->as<torch::nn::Conv2d>())
        torch::nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
  }

  // Pooled 512-d features: everything but fc.
  torch::Tensor features(const torch::Tensor& input) {
    auto x = torch::max_pool2d(torch::relu(bn1(conv1(input))), 3, 2, 1);
    for (auto& layer : layers) x = layer->forward(x);
    return torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
  }

  torch::nn::Conv2d conv1;
  torch::nn::BatchNorm2d bn1;
  torch::nn::Sequential layers[4];
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(ResNet18);

}  // namespace

int main(int argc, char** argv) {
  Args args = parse(argc, argv);
  at::set_num_threads(static_cast<int>(args.threads));
  torch::manual_seed(1);
  ResNet18 model;
  model->eval();
  torch::NoGradGuard no_grad;
  auto images = torch::randn({args.batch, 3, args.size, args.size});

  model->features(images);  // warm-up: allocator, oneDNN primitives
  double best = 0;
  for (int64_t round = 0; round < args.rounds; ++round) {
    auto start = std::chrono::steady_clock::now();
    for (int64_t b = 0; b < args.batches; ++b) model->features(images);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, static_cast<double>(args.batch * args.batches) / seconds);
  }
  std::printf("images_per_second %.2f\n", best);
  return 0;
}
