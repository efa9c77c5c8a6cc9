// trtutils-preprocess-check: the CPU reference (image::preprocess_reference)
// and the GPU Preprocessor on one image given as .npy, so that an outside
// transcription of the documented formulas (tests/python/yolo_end_to_end.py's
// NumPy letterbox) can be compared with both, bit for bit.
//
//   trtutils-preprocess-check --image IMAGE.npy --out DIR [--format rgb8|bgr8|rgba8|bgra8|gray8]
//                             [--width 640] [--height 640] [--stretch] [--nhwc]
//                             [--bgr] [--fp16] [--cpu-only]
//
// IMAGE.npy: uint8 [H, W, C] (C = 3 or 4) or [H, W] (gray8). Options as
// image::PreprocessOptions (pad 114, scale 1/255, no mean/std). Writes
// DIR/cpu.npy and, with a GPU, DIR/gpu.npy (the [1, C, H, W] or [1, H, W, C]
// tensor, f32 or f16) and prints one JSON line. Exit status: 0 GPU equals CPU
// bit for bit; 1 they differ, or an error; 2 bad usage; 3 no usable GPU (cpu.npy
// is still written).
#include <CLI/CLI.hpp>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "trtutils/core/device.hpp"
#include "trtutils/core/error.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/core/stream.hpp"
#include "trtutils/image/preprocess.hpp"
#include "trtutils/tensor/npy.hpp"

namespace {

namespace fs = std::filesystem;
using namespace trtutils;
using namespace trtutils::image;

HostTensor run_gpu(const ImageView& view, const PreprocessOptions& options, const Shape& shape) {
  Preprocessor pre(options);
  const std::size_t bytes = pre.output_bytes(1, view.format);
  core::DeviceBuffer output(bytes);
  core::Stream stream;
  pre.run(std::span(&view, 1), output.data(), output.size(), stream);
  stream.synchronize();
  HostTensor host(shape, options.output_dtype);
  core::memcpy_device_to_host(host.data(), output.data(), bytes);
  return host;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Runs the CPU reference and the GPU pre-processing on one .npy image and writes both "
      "tensors (see tests/python/yolo_end_to_end.py)."};
  std::string image_path, out_dir;
  PixelFormat format = PixelFormat::kRGB8;
  PreprocessOptions options;
  bool stretch = false, nhwc = false, bgr = false, fp16 = false, cpu_only = false;
  const std::map<std::string, PixelFormat> formats = {{"bgr8", PixelFormat::kBGR8},
                                                      {"rgb8", PixelFormat::kRGB8},
                                                      {"bgra8", PixelFormat::kBGRA8},
                                                      {"rgba8", PixelFormat::kRGBA8},
                                                      {"gray8", PixelFormat::kGray8}};
  app.add_option("--image", image_path, "uint8 [H, W, C] or [H, W] .npy")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--out", out_dir, "folder for cpu.npy and gpu.npy")->required();
  app.add_option("--format", format, "pixel format of the image")
      ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case))
      ->capture_default_str();
  app.add_option("--width", options.output_width, "output width")->capture_default_str();
  app.add_option("--height", options.output_height, "output height")->capture_default_str();
  app.add_flag("--stretch", stretch, "plain resize instead of the letterbox");
  app.add_flag("--nhwc", nhwc, "interleaved output [1, H, W, C] instead of NCHW");
  app.add_flag("--bgr", bgr, "BGR output channel order instead of RGB");
  app.add_flag("--fp16", fp16, "f16 output instead of f32");
  app.add_flag("--cpu-only", cpu_only, "do not run the GPU path (exit 3 as without a GPU)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  options.resize = stretch ? ResizeMode::kStretch : ResizeMode::kLetterbox;
  options.layout = nhwc ? TensorLayout::kNHWC : TensorLayout::kNCHW;
  options.channel_order = bgr ? ChannelOrder::kBGR : ChannelOrder::kRGB;
  options.output_dtype = fp16 ? DType::kFloat16 : DType::kFloat32;

  try {
    const HostTensor image = read_npy(image_path);
    const int channels = bytes_per_pixel(format);
    const bool rank_ok = channels == 1
                             ? (image.rank() == 2 || (image.rank() == 3 && image.shape()[2] == 1))
                             : (image.rank() == 3 && image.shape()[2] == channels);
    if (image.dtype() != DType::kUInt8 || !rank_ok) {
      std::cerr << "trtutils-preprocess-check: " << image_path << " is "
                << dtype_name(image.dtype()) << " " << shape_to_string(image.shape()) << "; a "
                << channels << "-channel image must be uint8 [H, W"
                << (channels == 1 ? "" : ", " + std::to_string(channels)) << "]\n";
      return 2;
    }
    check_options(options);
    const ImageView view{image.data(),
                         static_cast<int>(image.shape()[1]),
                         static_cast<int>(image.shape()[0]),
                         0,
                         format,
                         MemoryKind::kHost};
    std::vector<ImageTransform> transforms;
    const HostTensor cpu = preprocess_reference(std::span(&view, 1), options, &transforms);
    fs::create_directories(out_dir);
    write_npy(fs::path(out_dir) / "cpu.npy", cpu.view());
    const ImageTransform& t = transforms.at(0);
    nlohmann::json report = {{"image", {view.width, view.height}},
                             {"output_shape", cpu.shape()},
                             {"transform",
                              {{"resized", {t.resized_width, t.resized_height}},
                               {"pad", {t.pad_left, t.pad_top}},
                               {"scale", {t.scale_x, t.scale_y}}}}};
    const std::string no_gpu =
        cpu_only ? std::string("--cpu-only given")
                 : (core::device_count() == 0
                        ? std::string("no usable CUDA device on this machine; run on a GPU machine "
                                      "(scripts/gpu-check.sh)")
                        : std::string());
    if (!no_gpu.empty()) {
      report["gpu"] = nullptr;
      std::cout << report.dump() << std::endl;
      std::cerr << "trtutils-preprocess-check: GPU path NOT run: " << no_gpu
                << "; only cpu.npy was written\n";
      return 3;
    }
    const HostTensor gpu = run_gpu(view, options, cpu.shape());
    write_npy(fs::path(out_dir) / "gpu.npy", gpu.view());
    const bool equal = std::memcmp(gpu.data(), cpu.data(), cpu.byte_size()) == 0;
    report["gpu"] = core::device_properties(core::current_device()).name;
    report["gpu_equals_cpu"] = equal;
    std::cout << report.dump() << std::endl;
    return equal ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "trtutils-preprocess-check: " << e.what() << "\n";
    return 1;
  }
}
