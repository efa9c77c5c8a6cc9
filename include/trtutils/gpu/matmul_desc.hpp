#pragma once
// What a (batched) matrix multiply is, independent of cuBLASLt:
//   D = epilogue(alpha * op(A) op(B) + beta * C)
// over row-major tensors (the library's convention): A is M x K (stored
// K x M when transpose_a), B is K x N (stored N x K when transpose_b), C and
// D are M x N, each batch b at element offset b * batch_stride. The epilogue
// adds bias[N] (broadcast over rows, as ONNX Gemm's C of shape [N]) and/or
// applies ReLU or GELU.
//
// GELU is cuBLASLt's tanh approximation
//   0.5 v (1 + tanh(sqrt(2/pi) (v + 0.044715 v^3)))
// (ONNX Gelu approximate="tanh"); exact-erf GELU must not be fused here.
#include <cstdint>

#include "trtutils/tensor/dtype.hpp"

namespace trtutils::gpu {

enum class MatmulEpilogue : std::uint8_t { kNone, kBias, kRelu, kGelu, kBiasRelu, kBiasGelu };

const char* to_string(MatmulEpilogue epilogue) noexcept;
bool has_bias(MatmulEpilogue epilogue) noexcept;

struct MatmulDesc {
  /// A, B, C/D and bias share one dtype: f32, f16 or bf16 (f32 accumulate).
  DType a_dtype = DType::kFloat32;
  DType b_dtype = DType::kFloat32;
  DType c_dtype = DType::kFloat32;
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  std::int64_t batch = 1;
  bool transpose_a = false;
  bool transpose_b = false;
  /// Elements between consecutive batches; -1 = packed (the matrix size),
  /// 0 = the same matrix for every batch (e.g. shared weights).
  std::int64_t batch_stride_a = -1;
  std::int64_t batch_stride_b = -1;
  std::int64_t batch_stride_c = -1;  ///< C and D; must not be 0 when batch > 1
  float alpha = 1.0f;
  float beta = 0.0f;  ///< 0: C is not read
  MatmulEpilogue epilogue = MatmulEpilogue::kNone;
  /// f32 only: let cuBLASLt use TF32 tensor cores (~1e-3 relative error).
  bool allow_tf32 = false;
};

/// Throws InvalidArgument naming the first problem: non-positive sizes or
/// batch, dtype mismatch / unsupported dtype, allow_tf32 on non-f32, a batch
/// stride that is negative (other than -1), overlaps batches of D, or is
/// smaller than the matrix for A/B (other than 0).
void validate(const MatmulDesc& desc);

/// Batch strides with -1 resolved to the packed size.
std::int64_t resolved_batch_stride_a(const MatmulDesc& desc) noexcept;
std::int64_t resolved_batch_stride_b(const MatmulDesc& desc) noexcept;
std::int64_t resolved_batch_stride_c(const MatmulDesc& desc) noexcept;

}  // namespace trtutils::gpu
