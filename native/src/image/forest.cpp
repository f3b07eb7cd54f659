// Pixel classification as ilastik does it: a bank of smoothed-image features at several scales, and a random
// forest (OpenCV's cv::ml::RTrees) on them.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <cstdint>
#include <memory>
#include <opencv2/core/persistence.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/ml.hpp>
#include <string>
#include <vector>

#include "common/common.h"
#include "image/image.h"

using ac::image::require;

namespace {

constexpr int kFeaturesPerScale = 7;

// Eigenvalues of the symmetric 2x2 matrices [a b; b c], larger first.
void eigenvalues(const cv::Mat& a, const cv::Mat& b, const cv::Mat& c, float* larger, float* smaller) {
  const size_t n = a.total();
  const auto* pa = a.ptr<float>();
  const auto* pb = b.ptr<float>();
  const auto* pc = c.ptr<float>();
  for (size_t i = 0; i < n; ++i) {
    const float mean = 0.5f * (pa[i] + pc[i]);
    const float half = 0.5f * (pa[i] - pc[i]);
    const float root = std::sqrt(half * half + pb[i] * pb[i]);
    larger[i] = mean + root;
    smaller[i] = mean - root;
  }
}

void blur(const cv::Mat& source, cv::Mat& target, double sigma) {
  cv::GaussianBlur(source, target, cv::Size(0, 0), sigma, sigma, cv::BORDER_REFLECT);
}

struct Forest {
  cv::Ptr<cv::ml::RTrees> trees;
  int classes = 0;
  int features = 0;
};

}  // namespace

// Number of feature planes ac_pixel_features writes for `scale_count` scales: the raw image, then per scale the
// Gaussian, gradient magnitude, Laplacian of Gaussian, two structure-tensor and two Hessian eigenvalues.
AC_EXPORT(int32_t) ac_pixel_feature_count(int32_t scale_count) {
  AC_TRY
  require(scale_count >= 0, "scale count must not be negative");
  return 1 + kFeaturesPerScale * scale_count;
  AC_CATCH(0)
}

// Writes the feature planes, plane-major ([feature][y][x]), into `output` of exactly count * width * height floats.
// Derivatives are of the image smoothed at each scale; the structure tensor is integrated at half that scale.
AC_EXPORT(void)
ac_pixel_features(const float* pixels, int32_t width, int32_t height, const double* scales, int32_t scale_count,
                  float* output, int64_t output_length) {
  AC_TRY
  const cv::Mat image = ac::image::view_float(pixels, width, height, "pixels");
  require(scales != nullptr || scale_count == 0, "scales are null");
  require(output != nullptr, "output is null");
  const int64_t plane = static_cast<int64_t>(width) * height;
  const int64_t expected = plane * (1 + kFeaturesPerScale * static_cast<int64_t>(scale_count));
  require(output_length == expected,
          "output holds " + std::to_string(output_length) + " floats, the features need " + std::to_string(expected));
  auto plane_at = [&](int64_t index) { return cv::Mat(height, width, CV_32FC1, output + index * plane); };
  image.copyTo(plane_at(0));
  cv::Mat smooth, dx, dy, dxx, dyy, dxy, jxx, jxy, jyy;
  int64_t next = 1;
  for (int s = 0; s < scale_count; ++s) {
    const double sigma = scales[s];
    require(std::isfinite(sigma) && sigma > 0, "scale " + std::to_string(sigma) + " is not a positive number");
    blur(image, smooth, sigma);
    smooth.copyTo(plane_at(next++));
    cv::Sobel(smooth, dx, CV_32F, 1, 0, 3, 1.0 / 8, 0, cv::BORDER_REFLECT);
    cv::Sobel(smooth, dy, CV_32F, 0, 1, 3, 1.0 / 8, 0, cv::BORDER_REFLECT);
    cv::Mat magnitude = plane_at(next++);
    cv::magnitude(dx, dy, magnitude);
    cv::Sobel(smooth, dxx, CV_32F, 2, 0, 3, 1.0 / 4, 0, cv::BORDER_REFLECT);
    cv::Sobel(smooth, dyy, CV_32F, 0, 2, 3, 1.0 / 4, 0, cv::BORDER_REFLECT);
    cv::Sobel(smooth, dxy, CV_32F, 1, 1, 3, 1.0 / 4, 0, cv::BORDER_REFLECT);
    cv::Mat laplacian = plane_at(next++);
    cv::add(dxx, dyy, laplacian);
    const double outer = std::max(0.3, 0.5 * sigma);
    blur(dx.mul(dx), jxx, outer);
    blur(dx.mul(dy), jxy, outer);
    blur(dy.mul(dy), jyy, outer);
    eigenvalues(jxx, jxy, jyy, plane_at(next).ptr<float>(), plane_at(next + 1).ptr<float>());
    next += 2;
    eigenvalues(dxx, dxy, dyy, plane_at(next).ptr<float>(), plane_at(next + 1).ptr<float>());
    next += 2;
  }
  AC_CATCH_VOID
}

// Trains a random forest on `rows` samples of `columns` features (row-major) with class labels 0..classes-1.
// The forest draws from OpenCV's RNG, seeded here, so a fit repeats exactly. Release with ac_forest_free.
AC_EXPORT(void*)
ac_forest_train(const float* samples, int32_t rows, int32_t columns, const int32_t* labels, int32_t classes,
                int32_t tree_count, int32_t max_depth, int32_t min_sample_count, int32_t active_variables, uint64_t seed) {
  AC_TRY
  require(samples != nullptr && labels != nullptr, "samples or labels are null");
  require(rows > 0 && columns > 0, "the training set is empty");
  require(classes >= 2, "a forest needs at least two classes");
  require(tree_count >= 1, "the forest needs at least one tree");
  require(max_depth >= 1 && max_depth <= 64, "maximum depth must be in 1..64");
  require(min_sample_count >= 1, "minimum samples per node must be at least 1");
  require(active_variables >= 0 && active_variables <= columns, "active variables must be in 0..columns");
  for (int32_t i = 0; i < rows; ++i)
    require(labels[i] >= 0 && labels[i] < classes, "label " + std::to_string(labels[i]) + " is outside 0.." +
                                                       std::to_string(classes - 1));
  const cv::Mat x(rows, columns, CV_32FC1, const_cast<float*>(samples));
  const cv::Mat y(rows, 1, CV_32SC1, const_cast<int32_t*>(labels));
  auto forest = std::make_unique<Forest>();
  forest->trees = cv::ml::RTrees::create();
  forest->trees->setMaxDepth(max_depth);
  forest->trees->setMinSampleCount(min_sample_count);
  forest->trees->setActiveVarCount(active_variables);
  forest->trees->setCalculateVarImportance(false);
  forest->trees->setTermCriteria(cv::TermCriteria(cv::TermCriteria::MAX_ITER, tree_count, 0));
  cv::theRNG() = cv::RNG(seed);
  const auto data = cv::ml::TrainData::create(x, cv::ml::ROW_SAMPLE, y);
  if (!forest->trees->train(data)) throw std::runtime_error("OpenCV could not train the random forest");
  forest->classes = classes;
  forest->features = columns;
  return forest.release();
  AC_CATCH(nullptr)
}

// Class probabilities (share of trees voting for each class) of `rows` samples, into `probabilities`
// (rows x classes, row-major).
AC_EXPORT(void)
ac_forest_predict(const void* handle, const float* samples, int32_t rows, int32_t columns, float* probabilities) {
  AC_TRY
  require(handle != nullptr, "forest handle is null");
  const auto& forest = *static_cast<const Forest*>(handle);
  require(samples != nullptr && probabilities != nullptr, "samples or output are null");
  require(columns == forest.features, "the forest was trained on " + std::to_string(forest.features) +
                                          " features, got " + std::to_string(columns));
  require(rows > 0, "no samples");
  // Walks every tree directly: RTrees::getVotes builds matrix headers per sample and tree, which dominates
  // prediction on whole images. All features are ordered (numeric), so a split sends val <= c left.
  const auto& roots = forest.trees->getRoots();
  const auto& nodes = forest.trees->getNodes();
  const auto& splits = forest.trees->getSplits();
  const float share = 1.0f / static_cast<float>(roots.size());
  for (int32_t r = 0; r < rows; ++r) {
    const float* sample = samples + static_cast<int64_t>(r) * columns;
    float* out = probabilities + static_cast<int64_t>(r) * forest.classes;
    std::fill(out, out + forest.classes, 0.0f);
    for (const int root : roots) {
      int index = root;
      for (;;) {
        const auto& node = nodes[index];
        if (node.split < 0) break;
        const auto& split = splits[node.split];
        index = sample[split.varIdx] <= split.c ? node.left : node.right;
      }
      const int label = static_cast<int>(std::lround(nodes[index].value));
      if (label >= 0 && label < forest.classes) out[label] += share;
    }
  }
  AC_CATCH_VOID
}

AC_EXPORT(void) ac_forest_free(void* handle) {
  AC_TRY
  delete static_cast<Forest*>(handle);
  AC_CATCH_VOID
}

// Serialises the trained forest as OpenCV's own YAML (cv::FileStorage in memory) into malloc'd memory that the
// caller frees with ac_free; `length` receives its size in bytes.
AC_EXPORT(char*) ac_forest_save(const void* handle, int64_t* length) {
  AC_TRY
  require(handle != nullptr, "forest handle is null");
  require(length != nullptr, "length is null");
  const auto& forest = *static_cast<const Forest*>(handle);
  cv::FileStorage storage(".yml", cv::FileStorage::WRITE | cv::FileStorage::MEMORY | cv::FileStorage::FORMAT_YAML);
  forest.trees->write(storage);
  const std::string text = storage.releaseAndGetString();
  char* buffer = static_cast<char*>(std::malloc(text.size() == 0 ? 1 : text.size()));
  if (buffer == nullptr) throw std::runtime_error("out of memory serialising the forest");
  std::memcpy(buffer, text.data(), text.size());
  *length = static_cast<int64_t>(text.size());
  return buffer;
  AC_CATCH(nullptr)
}

// Reads a forest written by ac_forest_save and checks it before use: ac_forest_predict walks the nodes without
// bounds checks, so every split, child index and feature index is validated here, and children must come after
// their parent (OpenCV stores trees depth-first), which also rules out cycles. Release with ac_forest_free.
AC_EXPORT(void*) ac_forest_load(const char* text, int64_t length, int32_t classes, int32_t features) {
  AC_TRY
  require(text != nullptr && length > 0, "the forest payload is empty");
  require(classes >= 2, "a forest needs at least two classes");
  require(features >= 1, "a forest needs at least one feature");
  const std::string source(text, static_cast<size_t>(length));
  cv::FileStorage storage(source, cv::FileStorage::READ | cv::FileStorage::MEMORY | cv::FileStorage::FORMAT_YAML);
  require(storage.isOpened(), "the forest payload is not an OpenCV model file");
  auto forest = std::make_unique<Forest>();
  forest->trees = cv::ml::RTrees::create();
  forest->trees->read(storage.root());
  require(forest->trees->isTrained(), "the forest payload holds no trained forest");
  require(forest->trees->getVarCount() == features, "the forest payload expects " +
                                                        std::to_string(forest->trees->getVarCount()) +
                                                        " features, the settings give " + std::to_string(features));
  const auto& roots = forest->trees->getRoots();
  const auto& nodes = forest->trees->getNodes();
  const auto& splits = forest->trees->getSplits();
  require(!roots.empty(), "the forest payload has no trees");
  const auto node_count = static_cast<int64_t>(nodes.size());
  for (const int root : roots) require(root >= 0 && root < node_count, "a tree root is out of range");
  for (int64_t i = 0; i < node_count; ++i) {
    const auto& node = nodes[static_cast<size_t>(i)];
    if (node.split < 0) {
      require(std::isfinite(node.value), "a leaf holds no class");
      continue;
    }
    require(node.split < static_cast<int>(splits.size()), "a node names a split that does not exist");
    require(node.left > i && node.left < node_count && node.right > i && node.right < node_count,
            "a node's children are out of order or out of range");
    const auto& split = splits[static_cast<size_t>(node.split)];
    require(split.varIdx >= 0 && split.varIdx < features, "a split tests a feature that does not exist");
  }
  forest->classes = classes;
  forest->features = features;
  return forest.release();
  AC_CATCH(nullptr)
}
