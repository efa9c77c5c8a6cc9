// trtutils-nms-check: runs the GPU YOLO post-processing (image::YoloPostprocessor)
// and its CPU reference (image::yolo_reference) on boxes given as .npy files, so
// that an outside implementation (tests/python/nms_vs_torchvision.py:
// torchvision.ops.nms) can be compared with both.
//
//   trtutils-nms-check --boxes boxes.npy --scores scores.npy --classes classes.npy
//                      --out DIR [--iou 0.45] [--score-threshold 0.25] [--agnostic]
//                      [--max-det 300] [--max-candidates 4096] [--cpu-only]
//
// boxes [N, 4] (x1, y1, x2, y2), scores [N], classes [N] (>= 0). They become a
// raw YOLO head [1, 4 + C, N] with C = max(class) + 1: cx = 0.5f * (x1 + x2),
// w = x2 - x1 (likewise y), and one-hot class scores (the given score at the
// given class, the lowest float elsewhere), so that decoding recovers exactly
// the score and class. The corners decoding gives back (cx - w * 0.5f, ...)
// can differ from the given ones by rounding; they are written out and are
// what any outside comparison must use.
//
// Writes DIR/decoded_boxes.npy (f32 [N, 4]), DIR/cpu_keep.npy and (with a GPU)
// DIR/gpu_keep.npy: the kept anchor indices (int64), best first. Prints one
// JSON line. Exit status: 0 GPU and CPU kept the same indices in the same
// order; 1 they differ, or an error; 2 bad usage; 3 no usable GPU (the CPU
// result and the decoded boxes are still written).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "trtutils/core/device.hpp"
#include "trtutils/core/error.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/core/stream.hpp"
#include "trtutils/image/detection.hpp"
#include "trtutils/tensor/npy.hpp"

namespace {

namespace fs = std::filesystem;
using namespace trtutils;
using image::Detection;

struct Boxes {
  std::vector<float> corners;  // [N, 4]
  std::vector<float> scores;
  std::vector<std::int32_t> classes;
  std::int64_t count = 0;
  int num_classes = 0;
};

HostTensor read_as(const fs::path& path, DType dtype) {
  HostTensor t = read_npy(path);
  return t.dtype() == dtype ? t : t.cast(dtype);
}

Boxes read_boxes(const fs::path& boxes_path, const fs::path& scores_path,
                 const fs::path& classes_path) {
  const HostTensor boxes = read_as(boxes_path, DType::kFloat32);
  const HostTensor scores = read_as(scores_path, DType::kFloat32);
  const HostTensor classes = read_as(classes_path, DType::kInt32);
  TRTUTILS_CHECK(boxes.rank() == 2 && boxes.shape()[1] == 4, boxes_path.string(), " has shape ",
                 shape_to_string(boxes.shape()), ": boxes must be [N, 4] (x1, y1, x2, y2)");
  const std::int64_t n = boxes.shape()[0];
  TRTUTILS_CHECK(n > 0, boxes_path.string(), " holds no boxes");
  TRTUTILS_CHECK(scores.rank() == 1 && scores.shape()[0] == n, scores_path.string(), " has shape ",
                 shape_to_string(scores.shape()), ": scores must be [", n, "], one per box");
  TRTUTILS_CHECK(classes.rank() == 1 && classes.shape()[0] == n, classes_path.string(),
                 " has shape ", shape_to_string(classes.shape()), ": classes must be [", n,
                 "], one per box");
  Boxes out;
  out.count = n;
  out.corners.assign(boxes.values<float>().begin(), boxes.values<float>().end());
  out.scores.assign(scores.values<float>().begin(), scores.values<float>().end());
  out.classes.assign(classes.values<std::int32_t>().begin(), classes.values<std::int32_t>().end());
  const auto [lowest, highest] = std::minmax_element(out.classes.begin(), out.classes.end());
  TRTUTILS_CHECK(*lowest >= 0, classes_path.string(), " holds class ", *lowest,
                 ": classes must be >= 0");
  TRTUTILS_CHECK(*highest < 4096, classes_path.string(), " holds class ", *highest,
                 ": the head would have over 4096 class rows; renumber the classes");
  out.num_classes = *highest + 1;
  return out;
}

// [4 + C, N]: cx, cy, w, h rows, then one-hot class-score rows.
std::vector<float> yolo_head(const Boxes& b) {
  const auto n = static_cast<std::size_t>(b.count);
  const std::size_t channels = 4 + static_cast<std::size_t>(b.num_classes);
  std::vector<float> head(channels * n, std::numeric_limits<float>::lowest());
  for (std::size_t i = 0; i < n; ++i) {
    const float* c = &b.corners[4 * i];
    head[i] = 0.5f * (c[0] + c[2]);
    head[n + i] = 0.5f * (c[1] + c[3]);
    head[2 * n + i] = c[2] - c[0];
    head[3 * n + i] = c[3] - c[1];
    head[(4 + static_cast<std::size_t>(b.classes[i])) * n + i] = b.scores[i];
  }
  return head;
}

// The corners decode_yolo_candidates (and the GPU decode) compute from the head.
std::vector<float> decoded_corners(const std::vector<float>& head, std::int64_t count) {
  const auto n = static_cast<std::size_t>(count);
  std::vector<float> out(4 * n);
  for (std::size_t i = 0; i < n; ++i) {
    const float cx = head[i], cy = head[n + i], w = head[2 * n + i], h = head[3 * n + i];
    out[4 * i] = cx - w * 0.5f;
    out[4 * i + 1] = cy - h * 0.5f;
    out[4 * i + 2] = cx + w * 0.5f;
    out[4 * i + 3] = cy + h * 0.5f;
  }
  return out;
}

std::vector<std::int64_t> kept_indices(const std::vector<Detection>& detections) {
  std::vector<std::int64_t> out;
  out.reserve(detections.size());
  for (const Detection& d : detections) out.push_back(d.index);
  return out;
}

void write_indices(const fs::path& path, const std::vector<std::int64_t>& indices) {
  write_npy(path, HostTensor::from_values<std::int64_t>({static_cast<std::int64_t>(indices.size())},
                                                        indices)
                      .view());
}

std::vector<Detection> run_gpu(const std::vector<float>& head, const Boxes& b,
                               const image::NmsOptions& options) {
  core::DeviceBuffer device(head.size() * sizeof(float));
  core::memcpy_host_to_device(device.data(), head.data(), device.size());
  image::YoloPostprocessor post(1, 4 + b.num_classes, static_cast<int>(b.count), options);
  core::Stream stream;
  return post.run(device.data(), 1, stream).at(0);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Runs the GPU YOLO decode + NMS and its CPU reference on boxes from .npy files and "
      "writes the kept indices (see tests/python/nms_vs_torchvision.py)."};
  std::string boxes_path, scores_path, classes_path, out_dir;
  image::NmsOptions options;
  bool cpu_only = false;
  app.add_option("--boxes", boxes_path, "[N, 4] x1, y1, x2, y2 (.npy, f32)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--scores", scores_path, "[N] scores (.npy, f32)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--classes", classes_path, "[N] class ids >= 0 (.npy, i32)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--out", out_dir, "folder for decoded_boxes.npy, cpu_keep.npy, gpu_keep.npy")
      ->required();
  app.add_option("--iou", options.iou_threshold, "suppress when IoU > this")->capture_default_str();
  app.add_option("--score-threshold", options.score_threshold, "candidates need score > this")
      ->capture_default_str();
  app.add_flag("--agnostic", options.class_agnostic, "boxes of any class suppress each other");
  app.add_option("--max-det", options.max_detections, "kept boxes at most")->capture_default_str();
  app.add_option("--max-candidates", options.max_candidates,
                 "best candidates that enter NMS (1..4096)")
      ->capture_default_str();
  app.add_flag("--cpu-only", cpu_only, "do not run the GPU path (exit 3 as without a GPU)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  try {
    image::check_nms_options(options);
  } catch (const Error& e) {
    std::cerr << "trtutils-nms-check: " << e.what() << "\n";
    return 2;
  }
  try {
    const Boxes boxes = read_boxes(boxes_path, scores_path, classes_path);
    fs::create_directories(out_dir);
    const std::vector<float> head = yolo_head(boxes);
    const std::vector<float> decoded = decoded_corners(head, boxes.count);
    float shift = 0.0f;
    for (std::size_t i = 0; i < decoded.size(); ++i) {
      shift = std::max(shift, std::abs(decoded[i] - boxes.corners[i]));
    }
    write_npy(fs::path(out_dir) / "decoded_boxes.npy",
              HostTensor::from_values<float>({boxes.count, 4}, decoded).view());

    const auto cpu = image::yolo_reference(head, 1, 4 + boxes.num_classes,
                                           static_cast<int>(boxes.count), options)
                         .at(0);
    const auto cpu_keep = kept_indices(cpu);
    write_indices(fs::path(out_dir) / "cpu_keep.npy", cpu_keep);

    nlohmann::json report = {{"boxes", boxes.count},
                             {"classes", boxes.num_classes},
                             {"iou", options.iou_threshold},
                             {"score_threshold", options.score_threshold},
                             {"agnostic", options.class_agnostic},
                             {"max_det", options.max_detections},
                             {"max_candidates", options.max_candidates},
                             {"decode_max_abs_shift", shift},
                             {"cpu_kept", cpu_keep.size()}};
    const std::string no_gpu =
        cpu_only ? std::string("--cpu-only given")
                 : (core::device_count() == 0
                        ? std::string("no usable CUDA device on this machine; run on a GPU machine "
                                      "(scripts/gpu-check.sh)")
                        : std::string());
    if (!no_gpu.empty()) {
      report["gpu"] = nullptr;
      std::cout << report.dump() << std::endl;
      std::cerr << "trtutils-nms-check: GPU path NOT run: " << no_gpu
                << "; only cpu_keep.npy and decoded_boxes.npy were written\n";
      return 3;
    }
    const auto gpu_keep = kept_indices(run_gpu(head, boxes, options));
    write_indices(fs::path(out_dir) / "gpu_keep.npy", gpu_keep);
    report["gpu"] = core::device_properties(core::current_device()).name;
    report["gpu_kept"] = gpu_keep.size();
    report["gpu_equals_cpu"] = gpu_keep == cpu_keep;
    std::cout << report.dump() << std::endl;
    return gpu_keep == cpu_keep ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "trtutils-nms-check: " << e.what() << "\n";
    return 1;
  }
}
