// README quick start, lower-level utilities: compiled in CI so the README
// stays true; runs on a GPU machine.
#include <trtutils/core/binding.hpp>
#include <trtutils/core/device.hpp>
#include <trtutils/core/kernel.hpp>
#include <trtutils/core/stream.hpp>

#include <cstdio>

using namespace trtutils;

constexpr const char* kSource = R"(
extern "C" __global__ void scale(const unsigned char* in, float* out, float s, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = in[i] * s;
})";

int main() {
  if (core::device_count() == 0) {
    std::puts("quick_start_core: no CUDA device; nothing to run");
    return 0;
  }
  HostTensor image({640, 640, 3}, DType::kUInt8);             // your pixels here
  core::Stream stream;
  core::Binding in = core::create_binding(image);              // device + page-locked mirror
  core::Binding out = core::create_binding({640, 640, 3}, DType::kFloat32);
  core::copy_to_device_async(in, image, stream);

  core::Kernel kernel(kSource, "scale");                       // NVRTC, cached on disk
  const int n = static_cast<int>(image.element_count());
  kernel.launch(dim3((n + 255) / 256), dim3(256), stream,      // argument count and sizes
                in.device_pointer(), out.device_pointer(), 1.0f / 255, n);  // are checked

  HostTensor result({640, 640, 3}, DType::kFloat32);
  core::copy_to_host_async(out, result, stream);
  stream.synchronize();
  std::printf("quick_start_core: %lld values\n", static_cast<long long>(result.element_count()));
  return 0;
}
