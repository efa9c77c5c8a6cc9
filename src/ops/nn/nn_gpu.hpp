#pragma once
// Shared pieces of the nn family's GPU lowerings (src/ops/nn/*_gpu.cpp):
// accumulator types, baked constant arrays, block reductions, dtype casts
// into scratch tensors and the launch boilerplate. CUDA-free: everything here
// writes CUDA C++ source text or emits layers through the LoweringContext.
#include <cstdint>
#include <string>
#include <vector>

#include "ops/gpu_codegen.hpp"
#include "trtutils/ops/gpu_lowering.hpp"

namespace trtutils::ops::nn::gpu_lowering {

/// Threads per block of the row/plane kernels (block reductions assume it).
inline constexpr std::uint32_t kBlockThreads = 256;

/// The type a kernel accumulates in: float for f16/bf16/f32, double for f64,
/// long long for integers (int64 accumulation, as the CPU references do).
std::string accumulator_type(DType dtype);

/// "{a, b, c}" as long long literals, for `__device__ const long long x[] = ...`
/// (an empty list becomes "{0}" so the array is never zero-sized).
std::string ll_array(const std::vector<std::int64_t>& values);

/// A C literal of `value` in floating point, exactly representable ("1.5e-05").
std::string double_literal(double value);

/// The lowest value of `dtype` as a compute-type literal (-INFINITY for floats).
std::string lowest_literal(DType dtype);

/// Device helpers reducing one value per thread over a block of
/// kBlockThreads threads: trt_block_sum<T>(v, shared) and
/// trt_block_max<T>(v, shared), `shared` being >= 32 T of shared memory;
/// every thread gets the result. Source text for after kernel_preamble().
const std::string& block_reduce_source();

/// A launch of `source` (kernel_preamble() is prepended) at `entry`.
KernelLaunch make_launch(const std::string& source, const std::string& entry);

/// `tensor` converted to `dtype`: itself when it already has it, else a
/// scratch tensor written by an emitted cast kernel.
GpuTensor cast_to(LoweringContext& ctx, const GpuTensor& tensor, DType dtype,
                  const std::string& layer_name);

/// Layer names: "<node name>/<suffix>" (the node's op type when unnamed).
std::string layer_name(const LoweringContext& ctx, const std::string& suffix);

/// The node's input i, required: fails naming the input when absent.
GpuTensor required_input(const LoweringContext& ctx, std::size_t i, const char* what);

}  // namespace trtutils::ops::nn::gpu_lowering

namespace trtutils::ops::nn::gpu_lowering {

/// `tensor` broadcast (numpy rules) to `shape`: itself when it already has
/// that shape, else a scratch tensor written by an emitted expand kernel.
GpuTensor expand_to(LoweringContext& ctx, const GpuTensor& tensor, const Shape& shape,
                    const std::string& layer_name);

}  // namespace trtutils::ops::nn::gpu_lowering
