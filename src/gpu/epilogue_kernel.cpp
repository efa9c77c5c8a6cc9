#include "trtutils/gpu/epilogue_kernel.hpp"

#include <algorithm>
#include <limits>

namespace trtutils::gpu {

namespace {
// Activation codes shared with the kernel source below.
int activation_code(Activation activation) { return static_cast<int>(activation); }
static_assert(static_cast<int>(Activation::kIdentity) == 0 &&
              static_cast<int>(Activation::kRelu) == 1 &&
              static_cast<int>(Activation::kSigmoid) == 2 &&
              static_cast<int>(Activation::kTanh) == 3 &&
              static_cast<int>(Activation::kClippedRelu) == 4 &&
              static_cast<int>(Activation::kSilu) == 5 &&
              static_cast<int>(Activation::kLeakyRelu) == 6 &&
              static_cast<int>(Activation::kGelu) == 7);
}  // namespace

const char* epilogue_kernel_source() noexcept {
  return R"(
#include <cuda_fp16.h>
#include <cuda_bf16.h>

__device__ inline float trtutils_load(float v) { return v; }
__device__ inline float trtutils_load(__half v) { return __half2float(v); }
__device__ inline float trtutils_load(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ inline void trtutils_store(float* p, float v) { *p = v; }
__device__ inline void trtutils_store(__half* p, float v) { *p = __float2half_rn(v); }
__device__ inline void trtutils_store(__nv_bfloat16* p, float v) { *p = __float2bfloat16_rn(v); }

__device__ inline float trtutils_activate(float v, int activation, float ceiling, float slope) {
  switch (activation) {
    case 1: return fmaxf(v, 0.0f);
    case 2: return 1.0f / (1.0f + expf(-v));
    case 3: return tanhf(v);
    case 4: return fminf(fmaxf(v, 0.0f), ceiling);
    case 5: return v / (1.0f + expf(-v));
    case 6: return v < 0.0f ? slope * v : v;
    case 7: return 0.5f * v * (1.0f + erff(v * 0.70710678f));
    default: return v;
  }
}

// 32-bit indices (the launcher guarantees count < 2^31): 64-bit division
// and modulo per element cost more than the memory traffic of an f16 tensor.
template <typename T>
__global__ void trtutils_epilogue(T* y, const T* bias, const T* z, unsigned count,
                                  unsigned channels, unsigned inner, int activation,
                                  float ceiling, float slope) {
  const unsigned step = gridDim.x * blockDim.x;
  for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += step) {
    float v = trtutils_load(y[i]);
    if (bias != nullptr) v += trtutils_load(bias[(i / inner) % channels]);
    if (z != nullptr) v += trtutils_load(z[i]);
    trtutils_store(y + i, trtutils_activate(v, activation, ceiling, slope));
  }
}

// The same over whole 16-byte vectors (count a multiple of the width; every
// tensor is 16-byte aligned): one division per vector, the channel stepped
// along it.
template <typename T>
__global__ void trtutils_epilogue_vector(T* y, const T* bias, const T* z, unsigned vectors,
                                         unsigned channels, unsigned inner, int activation,
                                         float ceiling, float slope) {
  constexpr unsigned kWidth = 16 / sizeof(T);
  const unsigned step = gridDim.x * blockDim.x;
  for (unsigned v = blockIdx.x * blockDim.x + threadIdx.x; v < vectors; v += step) {
    const unsigned first = v * kWidth;
    uint4 raw = reinterpret_cast<const uint4*>(y)[v];
    T* e = reinterpret_cast<T*>(&raw);
    uint4 z_raw = make_uint4(0, 0, 0, 0);
    if (z != nullptr) z_raw = reinterpret_cast<const uint4*>(z)[v];
    const T* ze = reinterpret_cast<const T*>(&z_raw);
    unsigned c = (first / inner) % channels;
    unsigned within = first % inner;
#pragma unroll
    for (unsigned k = 0; k < kWidth; ++k) {
      float value = trtutils_load(e[k]);
      if (bias != nullptr) value += trtutils_load(bias[c]);
      if (z != nullptr) value += trtutils_load(ze[k]);
      trtutils_store(e + k, trtutils_activate(value, activation, ceiling, slope));
      if (++within == inner) {
        within = 0;
        if (++c == channels) c = 0;
      }
    }
    reinterpret_cast<uint4*>(y)[v] = raw;
  }
}
)";
}

std::string epilogue_kernel_name(DType dtype, bool vector) {
  const std::string name = vector ? "trtutils_epilogue_vector" : "trtutils_epilogue";
  switch (dtype) {
    case DType::kFloat32:
      return name + "<float>";
    case DType::kFloat16:
      return name + "<__half>";
    case DType::kBFloat16:
      return name + "<__nv_bfloat16>";
    default:
      break;
  }
  TRTUTILS_CHECK(false, "epilogue kernel: dtype ", dtype_name(dtype),
                 " is not supported; use f32, f16 or bf16");
  return {};
}

EpilogueKernel::EpilogueKernel(DType dtype)
    : kernel_(epilogue_kernel_source(), epilogue_kernel_name(dtype)),
      vector_kernel_(epilogue_kernel_source(), epilogue_kernel_name(dtype, true)),
      vector_width_(static_cast<std::int64_t>(16 / dtype_size(dtype))) {}

void EpilogueKernel::launch(core::StreamView stream, void* y, const void* bias, const void* z,
                            std::int64_t count, std::int64_t channels, std::int64_t inner,
                            Activation activation, float clip_ceiling, float leaky_slope) const {
  TRTUTILS_CHECK(count >= 0 && channels > 0 && inner > 0, "epilogue kernel: count ", count,
                 ", channels ", channels, ", inner ", inner, " must be positive");
  if (count == 0) return;
  constexpr std::int64_t kBlock = 256;
  // Grid-stride loop: enough blocks to fill an H100 several times over.
  const std::int64_t blocks = std::min<std::int64_t>((count + kBlock - 1) / kBlock, 8192);
  TRTUTILS_CHECK(count <= std::numeric_limits<std::int32_t>::max(), "epilogue kernel: ", count,
                 " elements exceed the kernel's 32-bit indexing (2^31 - 1); split the batch");
  const auto count_arg = static_cast<unsigned>(count);
  const auto channels_arg = static_cast<unsigned>(channels);
  const auto inner_arg = static_cast<unsigned>(inner);
  if (count % vector_width_ == 0) {
    const std::int64_t vectors = count / vector_width_;
    const std::int64_t vector_blocks = std::min<std::int64_t>((vectors + kBlock - 1) / kBlock, 8192);
    vector_kernel_.launch(dim3(static_cast<unsigned>(vector_blocks)), dim3(kBlock), stream, y, bias,
                          z, static_cast<unsigned>(vectors), channels_arg, inner_arg,
                          activation_code(activation), clip_ceiling, leaky_slope);
    return;
  }
  kernel_.launch(dim3(static_cast<unsigned>(blocks)), dim3(kBlock), stream, y, bias, z, count_arg,
                 channels_arg, inner_arg, activation_code(activation), clip_ceiling, leaky_slope);
}

}  // namespace trtutils::gpu
