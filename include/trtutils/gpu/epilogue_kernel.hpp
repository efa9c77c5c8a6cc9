#pragma once
// The element-wise epilogue that follows a convolution or matmul when the
// library call cannot fuse it: in place,
//   y[i] = act(y[i] + bias[channel(i)] + z[i])
// with bias and z optional, computed in f32 whatever the storage type.
// channel(i) = (i / inner) % channels, so one kernel serves channels-first
// (inner = spatial size) and channels-last / row-major (inner = 1) tensors.
#include <cstdint>
#include <string>

#include "trtutils/core/kernel.hpp"
#include "trtutils/gpu/convolution_desc.hpp"

namespace trtutils::gpu {

/// The NVRTC source of the kernel (a template over float, __half,
/// __nv_bfloat16) and its name expression for `dtype`; exposed so that a
/// test can compile it without a GPU.
const char* epilogue_kernel_source() noexcept;
/// `vector`: the variant over whole 16-byte vectors, used when the element
/// count is a multiple of the vector width.
std::string epilogue_kernel_name(DType dtype, bool vector = false);

class EpilogueKernel {
 public:
  /// Compiles (through the kernel cache) and loads the kernel for `dtype`
  /// (f32/f16/bf16) on the current device.
  explicit EpilogueKernel(DType dtype);

  /// Queues the epilogue on `stream` over `count` elements of `y`.
  /// `clip_ceiling` serves kClippedRelu, `leaky_slope` kLeakyRelu.
  void launch(core::StreamView stream, void* y, const void* bias, const void* z, std::int64_t count,
              std::int64_t channels, std::int64_t inner, Activation activation,
              float clip_ceiling, float leaky_slope = 0.01f) const;

 private:
  core::Kernel kernel_;
  core::Kernel vector_kernel_;
  std::int64_t vector_width_ = 1;  ///< elements per 16 bytes
};

}  // namespace trtutils::gpu
