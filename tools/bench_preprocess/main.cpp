// trtutils-bench-preprocess [--iterations N]
// Letterbox + normalise of one 1920x1080 BGR8 image to a 640x640 RGB NCHW
// tensor (f32, then f16), timed with CUDA events: the median GPU time of a
// Preprocessor::run over N >= 200 iterations, for an image already on the
// device and for one in host memory (upload included). Effective bandwidth
// counts the bytes the work must move: the input image once plus the output
// tensor; it is compared with a measured device-to-device cudaMemcpy of
// 256 MiB (bytes read + written). Also times the CPU reference. Prints JSON.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include "trtutils/core/device.hpp"
#include "trtutils/core/event.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/core/stream.hpp"
#include "trtutils/image/preprocess.hpp"

namespace {

namespace core = trtutils::core;
using namespace trtutils::image;

constexpr int kWidth = 1920;
constexpr int kHeight = 1080;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

template <typename F>
double median_gpu_ms(int iterations, core::StreamView stream, F&& work) {
  core::Event start, stop;
  for (int i = 0; i < 10; ++i) work();  // warm-up: kernel load, caches, clocks
  std::vector<double> times;
  for (int i = 0; i < iterations; ++i) {
    start.record(stream);
    work();
    stop.record(stream);
    stop.synchronize();
    times.push_back(core::elapsed_ms(start, stop));
  }
  return median(times);
}

double copy_bandwidth_gbs(core::StreamView stream) {
  const std::size_t bytes = 256u << 20;
  core::DeviceBuffer a(bytes), b(bytes);
  core::memset_device(a, 1);
  const double ms = median_gpu_ms(
      50, stream, [&] { core::memcpy_device_to_device_async(b.data(), a.data(), bytes, stream); });
  return 2.0 * static_cast<double>(bytes) / (ms * 1e-3) / 1e9;
}

double cpu_reference_ms(const ImageView& image, const PreprocessOptions& options) {
  std::vector<double> times;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto out = preprocess_reference(std::span(&image, 1), options);
    const auto t1 = std::chrono::steady_clock::now();
    times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    if (out.byte_size() == 0) std::abort();
  }
  return median(times);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    int iterations = 500;
    for (int i = 1; i + 1 < argc; ++i) {
      if (std::strcmp(argv[i], "--iterations") == 0)
        iterations = std::max(200, std::atoi(argv[i + 1]));
    }
    std::vector<std::uint8_t> pixels(static_cast<std::size_t>(kWidth) * kHeight * 3);
    std::mt19937 rng(7);
    for (auto& p : pixels) p = static_cast<std::uint8_t>(rng());
    const ImageView host_image{pixels.data(),      kWidth,           kHeight, 0,
                               PixelFormat::kBGR8, MemoryKind::kHost};
    const bool gpu = core::device_count() > 0;

    std::string json =
        "{\n  \"input\": \"1920x1080 BGR8\", \"output\": \"1x3x640x640 RGB letterbox\",\n";
    if (gpu) {
      const auto props = core::device_properties(core::current_device());
      core::Stream stream;
      const double copy_gbs = copy_bandwidth_gbs(stream);
      json += "  \"device\": \"" + props.name +
              "\",\n  \"iterations\": " + std::to_string(iterations) +
              ",\n  \"d2d_copy_GBps\": " + std::to_string(copy_gbs) + ",\n  \"results\": [\n";
      core::DeviceBuffer device_image(pixels.size());
      core::memcpy_host_to_device(device_image.data(), pixels.data(), pixels.size());
      ImageView dev = host_image;
      dev.data = device_image.data();
      dev.memory = MemoryKind::kDevice;
      bool first = true;
      for (const auto dtype : {trtutils::DType::kFloat32, trtutils::DType::kFloat16}) {
        PreprocessOptions options;
        options.output_dtype = dtype;
        options.mean = {0.485f, 0.456f, 0.406f};
        options.std = {0.229f, 0.224f, 0.225f};
        Preprocessor pre(options);
        const std::size_t out_bytes = pre.output_bytes(1, PixelFormat::kBGR8);
        core::DeviceBuffer output(out_bytes);
        std::vector<ImageTransform> t(1);
        const double device_ms = median_gpu_ms(iterations, stream, [&] {
          pre.run(std::span(&dev, 1), output.data(), out_bytes, t, stream);
        });
        const double host_ms = median_gpu_ms(iterations, stream, [&] {
          pre.run(std::span(&host_image, 1), output.data(), out_bytes, t, stream);
        });
        const double moved = static_cast<double>(pixels.size() + out_bytes);
        const double gbs = moved / (device_ms * 1e-3) / 1e9;
        const double cpu_ms = cpu_reference_ms(host_image, options);
        json += std::string(first ? "" : ",\n") + "    {\"dtype\": \"" +
                std::string(trtutils::dtype_name(dtype)) +
                "\", \"gpu_ms_device_input\": " + std::to_string(device_ms) +
                ", \"gpu_ms_host_input\": " + std::to_string(host_ms) +
                ", \"bytes_moved\": " + std::to_string(static_cast<long long>(moved)) +
                ", \"effective_GBps\": " + std::to_string(gbs) +
                ", \"percent_of_copy\": " + std::to_string(100.0 * gbs / copy_gbs) +
                ", \"cpu_reference_ms\": " + std::to_string(cpu_ms) + "}";
        first = false;
      }
      json += "\n  ],\n  \"target_percent_of_copy\": 70\n}\n";
    } else {
      PreprocessOptions options;
      json +=
          "  \"device\": null, \"note\": \"no CUDA device: CPU reference only\",\n"
          "  \"cpu_reference_ms_f32\": " +
          std::to_string(cpu_reference_ms(host_image, options)) + "\n}\n";
    }
    std::fputs(json.c_str(), stdout);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
