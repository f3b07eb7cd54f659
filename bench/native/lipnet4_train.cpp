// Plain-libtorch reference for the "cnn" bench suite: LipNet-4 trained the way CnnTrainer trains it
// (28 px grey input, batch 32 shuffled each epoch, one random affine per sample applied on the batch with
// affine_grid + grid_sample, Adam 1e-3, cross-entropy with label smoothing 0.1, a 15 % validation pass
// each epoch), written with libtorch's C++ frontend and no AutoClassify code. Prints the throughput.
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

struct Args {
  int64_t images = 2048;
  int64_t epochs = 3;
  int64_t threads = 2;
  int64_t batch = 32;
  int64_t size = 28;
  int64_t classes = 3;
  double validation = 0.15;
  bool augment = true;
  int64_t predict = 0;
  bool channels_last = false;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string key = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "missing value after %s\n", key.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (key == "--images") a.images = std::atoll(next());
    else if (key == "--epochs") a.epochs = std::atoll(next());
    else if (key == "--threads") a.threads = std::atoll(next());
    else if (key == "--batch") a.batch = std::atoll(next());
    else if (key == "--size") a.size = std::atoll(next());
    else if (key == "--classes") a.classes = std::atoll(next());
    else if (key == "--no-augment") a.augment = false;
    else if (key == "--predict") a.predict = std::atoll(next());
    else if (key == "--channels-last") a.channels_last = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", key.c_str());
      std::exit(2);
    }
  }
  return a;
}

torch::nn::Sequential lipnet4(int64_t size, int64_t classes) {
  using namespace torch::nn;
  auto conv = [](int64_t in) { return Conv2d(Conv2dOptions(in, 32, 3).padding(1)); };
  int64_t side = size / 4;
  return Sequential(conv(1), ReLU(), conv(32), ReLU(), MaxPool2d(2), Dropout(0.25),
                    conv(32), ReLU(), conv(32), ReLU(), MaxPool2d(2), Dropout(0.25),
                    Flatten(), Linear(32 * side * side, classes));
}

// Same draw and composition as AutoClassify's AffineAugmenter: rotation, shear, shift, zoom, flips.
void draw_theta(std::mt19937_64& rng, float* theta) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  auto uniform = [&](double lo, double hi) { return lo + (hi - lo) * unit(rng); };
  double angle = uniform(-180, 180) * M_PI / 180, shear = uniform(0, 0.2);
  double sx = uniform(-0.1, 0.1), sy = uniform(-0.1, 0.1), zoom = uniform(0.8, 1.0);
  double fx = unit(rng) < 0.5 ? -zoom : zoom, fy = unit(rng) < 0.5 ? -zoom : zoom;
  double c = std::cos(angle), s = std::sin(angle);
  const double t[6] = {c * fx, (c * shear - s) * fy, 2 * sx, s * fx, (s * shear + c) * fy, 2 * sy};
  for (int i = 0; i < 6; ++i) theta[i] = static_cast<float>(t[i]);
}

}  // namespace

int main(int argc, char** argv) {
  Args args = parse(argc, argv);
  at::set_num_threads(static_cast<int>(args.threads));
  torch::manual_seed(1);
  std::mt19937_64 rng(7);

  auto images = torch::randn({args.images, 1, args.size, args.size});
  auto labels = torch::randint(args.classes, {args.images}, torch::kLong);
  int64_t n_val = static_cast<int64_t>(std::llround(args.validation * static_cast<double>(args.images)));
  int64_t n_fit = args.images - n_val;
  auto fit_x = images.narrow(0, 0, n_fit), fit_y = labels.narrow(0, 0, n_fit);
  auto val_x = images.narrow(0, n_fit, n_val), val_y = labels.narrow(0, n_fit, n_val);

  auto model = lipnet4(args.size, args.classes);
  if (args.channels_last) {
    // The layout AutoClassify uses: kernels in NHWC order, so oneDNN skips its reorders.
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters())
      if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
  }
  if (args.predict > 0) {
    // Forward passes only, batches of 256 in evaluation mode: the prediction reference.
    model->eval();
    torch::NoGradGuard no_grad;
    auto crops = torch::randn({args.predict, 1, args.size, args.size});
    // Best of several rounds after a warm-up one (the bench machine is shared).
    double best = 0;
    for (int64_t round = 0; round <= args.epochs; ++round) {
      auto start = std::chrono::steady_clock::now();
      for (int64_t first = 0; first < args.predict; first += 256)
        torch::softmax(model->forward(crops.narrow(0, first, std::min<int64_t>(256, args.predict - first))), 1);
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (round > 0) best = std::max(best, static_cast<double>(args.predict) / seconds);
    }
    std::printf("crops_per_second %.1f\n", best);
    return 0;
  }
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));
  auto ce = torch::nn::CrossEntropyLoss(torch::nn::CrossEntropyLossOptions().label_smoothing(0.1));

  std::vector<double> epoch_seconds;
  for (int64_t epoch = 0; epoch < args.epochs; ++epoch) {
    auto start = std::chrono::steady_clock::now();
    model->train();
    auto order = torch::randperm(n_fit, torch::kLong);
    for (int64_t first = 0; first < n_fit; first += args.batch) {
      int64_t count = std::min(args.batch, n_fit - first);
      auto index = order.narrow(0, first, count);
      auto x = fit_x.index_select(0, index);
      auto y = fit_y.index_select(0, index);
      if (args.augment) {
        auto theta = torch::empty({count, 2, 3});
        for (int64_t i = 0; i < count; ++i) draw_theta(rng, theta.data_ptr<float>() + 6 * i);
        auto grid = torch::nn::functional::affine_grid(theta, {count, 1, args.size, args.size}, false);
        x = torch::nn::functional::grid_sample(
            x, grid, torch::nn::functional::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false));
      }
      auto loss = ce(model->forward(x), y);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
    }
    model->eval();
    {
      torch::NoGradGuard no_grad;
      double val_loss = 0;
      for (int64_t first = 0; first < n_val; first += 256) {
        int64_t count = std::min<int64_t>(256, n_val - first);
        val_loss += ce(model->forward(val_x.narrow(0, first, count)), val_y.narrow(0, first, count)).item<double>() * count;
      }
      (void)val_loss;
    }
    epoch_seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }

  // The first epoch pays for allocator warm-up; report the rest when there is a rest.
  double seconds = 0;
  size_t from = epoch_seconds.size() > 1 ? 1 : 0;
  for (size_t i = from; i < epoch_seconds.size(); ++i) seconds += epoch_seconds[i];
  double per_second = static_cast<double>(n_fit) * static_cast<double>(epoch_seconds.size() - from) / seconds;
  std::printf("images_per_second %.1f\n", per_second);
  std::printf("fit_images %lld\nepoch_seconds", static_cast<long long>(n_fit));
  for (double s : epoch_seconds) std::printf(" %.6f", s);
  std::printf("\n");
  return 0;
}
