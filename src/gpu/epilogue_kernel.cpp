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
    switch (activation) {
      case 1: v = fmaxf(v, 0.0f); break;
      case 2: v = 1.0f / (1.0f + expf(-v)); break;
      case 3: v = tanhf(v); break;
      case 4: v = fminf(fmaxf(v, 0.0f), ceiling); break;
      case 5: v = v / (1.0f + expf(-v)); break;
      case 6: v = v < 0.0f ? slope * v : v; break;
      case 7: v = 0.5f * v * (1.0f + erff(v * 0.70710678f)); break;
      default: break;
    }
    trtutils_store(y + i, v);
  }
}
)";
}

std::string epilogue_kernel_name(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "trtutils_epilogue<float>";
    case DType::kFloat16:
      return "trtutils_epilogue<__half>";
    case DType::kBFloat16:
      return "trtutils_epilogue<__nv_bfloat16>";
    default:
      break;
  }
  TRTUTILS_CHECK(false, "epilogue kernel: dtype ", dtype_name(dtype),
                 " is not supported; use f32, f16 or bf16");
  return {};
}

EpilogueKernel::EpilogueKernel(DType dtype)
    : kernel_(epilogue_kernel_source(), epilogue_kernel_name(dtype)) {}

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
  kernel_.launch(dim3(static_cast<unsigned>(blocks)), dim3(kBlock), stream, y, bias, z, count_arg,
                 channels_arg, inner_arg, activation_code(activation), clip_ceiling, leaky_slope);
}

}  // namespace trtutils::gpu
