#pragma once
// Shared pieces for op lowerings that generate CUDA C++ (NVRTC) source:
// device type names, conversions to and from the fp32 compute type, a common
// preamble, and launch shapes. Generated kernels are extern "C" so the entry
// name is the symbol; they index with int64 so any tensor size works.
#include <cstdint>
#include <string>

#include "trtutils/ops/gpu_lowering.hpp"

namespace trtutils::ops::gpu {

/// CUDA C++ spelling of a dtype: float, double, __half, __nv_bfloat16,
/// long long, int, signed char, unsigned char, bool.
std::string cuda_type(DType dtype);

/// The type arithmetic happens in: float for f16/bf16/f32, double for f64,
/// the type itself for integers and bool.
std::string cuda_compute_type(DType dtype);

/// Expression converting `value` (of `dtype`) to cuda_compute_type(dtype),
/// and back; e.g. load_expr(kFloat16, "x[i]") == "__half2float(x[i])".
std::string load_expr(DType dtype, const std::string& value);
std::string store_expr(DType dtype, const std::string& value);
/// Converts `value` of compute type `from` to the storage type `to` (casts
/// between any two dtypes; float -> integer truncates like C).
std::string convert_expr(DType from, DType to, const std::string& value);

/// #includes and helpers every generated kernel starts with (cuda_fp16.h,
/// cuda_bf16.h, a 64-bit thread index helper).
const std::string& kernel_preamble();

/// Grid/block for a grid-stride loop over `elements` items: 256 threads, at
/// most 65535*16 blocks; kernels loop `for (i = tid(); i < n; i += stride())`.
void set_linear_launch(KernelLaunch& launch, std::int64_t elements, std::uint32_t block = 256);

/// Elements of `dtype` in one 16-byte (uint4) access for the float types a
/// vectorised kernel handles (f32: 4, f16 / bf16: 8), 0 for any other.
/// Every tensor starts 16-byte aligned (arena offsets are 256-aligned,
/// bound pointers are checked), so whole vectors of a tensor are aligned.
std::int64_t vector_elements(DType dtype);

/// A name safe as a C identifier, derived from `text` (for entry names).
std::string identifier(const std::string& text);

}  // namespace trtutils::ops::gpu
