// The seed tutorial in C++: pre-process a 640x640 BGR u8 image on the GPU with
// an NVRTC kernel (scale + offset, BGR -> RGB, HWC -> CHW), using bindings,
// a stream and asynchronous copies, and check every output element against
// the same computation on the CPU.
//
// Without a GPU it says so, compiles the kernel with NVRTC for sm_90 to show
// the tool chain works, checks the CPU path, and exits 0.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "trtutils/core/binding.hpp"
#include "trtutils/core/device.hpp"
#include "trtutils/core/event.hpp"
#include "trtutils/core/kernel.hpp"
#include "trtutils/core/nvrtc_compiler.hpp"
#include "trtutils/core/stream.hpp"
#include "trtutils/tensor/host_tensor.hpp"

namespace {

using trtutils::DType;
using trtutils::HostTensor;

constexpr int kHeight = 640;
constexpr int kWidth = 640;
constexpr float kScale = 1.0f / 255.0f;
constexpr float kOffset = 0.0f;

// One thread per pixel; each writes its three channels into the planes in
// reversed order (BGR -> RGB).
constexpr const char* kKernelSource = R"(
extern "C" __global__ void scaleSwapTranspose(const unsigned char* __restrict__ image,
                                              float* __restrict__ planes, float scale,
                                              float offset, int height, int width) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  const int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= width || y >= height) return;
  const int pixel = y * width + x;
  const int plane = height * width;
  const unsigned char* bgr = image + 3 * pixel;
  planes[0 * plane + pixel] = bgr[2] * scale + offset;
  planes[1 * plane + pixel] = bgr[1] * scale + offset;
  planes[2 * plane + pixel] = bgr[0] * scale + offset;
}
)";

HostTensor make_test_image() {
  HostTensor image({kHeight, kWidth, 3}, DType::kUInt8);
  auto pixels = image.values<std::uint8_t>();
  std::uint32_t state = 12345u;  // xorshift: deterministic, not all zeros
  for (auto& p : pixels) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    p = static_cast<std::uint8_t>(state);
  }
  return image;
}

// The oracle: the same transform, written as plainly as possible.
HostTensor reference_on_cpu(const HostTensor& image) {
  HostTensor planes({3, kHeight, kWidth}, DType::kFloat32);
  const auto in = image.values<std::uint8_t>();
  auto out = planes.values<float>();
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < kHeight; ++y) {
      for (int x = 0; x < kWidth; ++x) {
        const std::uint8_t bgr_value = in[(y * kWidth + x) * 3 + (2 - c)];
        out[(c * kHeight + y) * kWidth + x] = static_cast<float>(bgr_value) * kScale + kOffset;
      }
    }
  }
  return planes;
}

std::int64_t count_mismatches(const HostTensor& got, const HostTensor& want) {
  std::int64_t bad = 0;
  const auto g = got.values<float>();
  const auto w = want.values<float>();
  for (std::size_t i = 0; i < g.size(); ++i) {
    // Both sides compute u8 * scale + offset in float; allow for FMA contraction.
    if (std::fabs(g[i] - w[i]) > 1e-6f) {
      if (bad < 5) std::printf("  mismatch at %zu: gpu %.8f cpu %.8f\n", i, double(g[i]), double(w[i]));
      ++bad;
    }
  }
  return bad;
}

int run_without_gpu(const HostTensor& image) {
  std::printf("No CUDA device on this machine: running the parts that need none.\n");
  const auto compiled = trtutils::core::compile_to_cubin(kKernelSource, "scaleSwapTranspose", {}, "sm_90");
  std::printf("NVRTC %s compiled scaleSwapTranspose for sm_90: %zu bytes of cubin\n",
              trtutils::core::nvrtc_version().c_str(), compiled.code.size());
  const HostTensor planes = reference_on_cpu(image);
  // Spot-check the CPU path against values worked out by hand.
  const auto in = image.values<std::uint8_t>();
  const auto out = planes.values<float>();
  const float want_r00 = in[2] * kScale + kOffset;  // R of pixel (0,0) is its third byte
  const float want_b_last = in[(kHeight * kWidth - 1) * 3] * kScale + kOffset;
  const bool ok = out[0] == want_r00 && out[out.size() - 1] == want_b_last;
  std::printf("CPU reference: %s\n", ok ? "ok" : "WRONG");
  std::printf("Run this on a GPU machine to execute the kernel (scripts/gpu-check.sh).\n");
  return ok ? 0 : 1;
}

int run_on_gpu(const HostTensor& image) {
  namespace core = trtutils::core;
  const auto props = core::device_properties(0);
  std::printf("Device 0: %s (%s)\n", props.name.c_str(), core::current_device_arch().c_str());

  core::Kernel kernel(kKernelSource, "scaleSwapTranspose");
  core::Stream stream;
  core::Binding input = core::create_binding(image, /*pagelocked=*/true, "image", true);
  core::Binding output = core::create_binding({3, kHeight, kWidth}, DType::kFloat32, true, "planes");

  // Stage the image in the page-locked mirror so the upload is truly async.
  std::memcpy(input.host_view().data(), image.data(), image.byte_size());
  const dim3 block(32, 8, 1);
  const dim3 grid((kWidth + block.x - 1) / block.x, (kHeight + block.y - 1) / block.y, 1);
  const auto args = kernel.create_args(input.device_pointer(), output.device_pointer(), kScale,
                                       kOffset, kHeight, kWidth);
  core::Event start, stop;
  start.record(stream);
  core::copy_mirror_to_device_async(input, stream);
  kernel.call(grid, block, stream, args);
  core::copy_device_to_mirror_async(output, stream);
  stop.record(stream);
  stream.synchronize();

  const HostTensor gpu = HostTensor::copy_of(output.host_view());
  const HostTensor cpu = reference_on_cpu(image);
  const std::int64_t bad = count_mismatches(gpu, cpu);
  std::printf("copy in + kernel + copy out: %.3f ms\n", double(core::elapsed_ms(start, stop)));
  std::printf("%lld of %lld output elements differ from the CPU\n", static_cast<long long>(bad),
              static_cast<long long>(cpu.element_count()));
  return bad == 0 ? 0 : 1;
}

}  // namespace

int main() {
  try {
    const HostTensor image = make_test_image();
    if (trtutils::core::device_count() == 0) return run_without_gpu(image);
    return run_on_gpu(image);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
