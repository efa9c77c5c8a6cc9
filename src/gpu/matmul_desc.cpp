#include "trtutils/gpu/matmul_desc.hpp"

#include "trtutils/core/error.hpp"

namespace trtutils::gpu {

const char* to_string(MatmulEpilogue epilogue) noexcept {
  switch (epilogue) {
    case MatmulEpilogue::kNone:
      return "none";
    case MatmulEpilogue::kBias:
      return "bias";
    case MatmulEpilogue::kRelu:
      return "relu";
    case MatmulEpilogue::kGelu:
      return "gelu";
    case MatmulEpilogue::kBiasRelu:
      return "bias_relu";
    case MatmulEpilogue::kBiasGelu:
      return "bias_gelu";
  }
  return "unknown";
}

bool has_bias(MatmulEpilogue epilogue) noexcept {
  return epilogue == MatmulEpilogue::kBias || epilogue == MatmulEpilogue::kBiasRelu ||
         epilogue == MatmulEpilogue::kBiasGelu;
}

std::int64_t resolved_batch_stride_a(const MatmulDesc& desc) noexcept {
  return desc.batch_stride_a == -1 ? desc.m * desc.k : desc.batch_stride_a;
}
std::int64_t resolved_batch_stride_b(const MatmulDesc& desc) noexcept {
  return desc.batch_stride_b == -1 ? desc.k * desc.n : desc.batch_stride_b;
}
std::int64_t resolved_batch_stride_c(const MatmulDesc& desc) noexcept {
  return desc.batch_stride_c == -1 ? desc.m * desc.n : desc.batch_stride_c;
}

namespace {
void check_input_stride(std::int64_t stride, std::int64_t matrix, const char* name) {
  TRTUTILS_CHECK(stride >= -1, "Matmul: batch stride of ", name, " is ", stride,
                 "; use -1 (packed), 0 (broadcast) or at least ", matrix);
  TRTUTILS_CHECK(stride <= 0 || stride >= matrix, "Matmul: batch stride ", stride, " of ", name,
                 " is smaller than its ", matrix, "-element matrix, so batches would overlap");
}
}  // namespace

void validate(const MatmulDesc& desc) {
  TRTUTILS_CHECK(desc.a_dtype == desc.b_dtype && desc.a_dtype == desc.c_dtype,
                 "Matmul: A, B and C dtypes must be equal (got ", dtype_name(desc.a_dtype), ", ",
                 dtype_name(desc.b_dtype), ", ", dtype_name(desc.c_dtype),
                 "); insert a Cast first");
  TRTUTILS_CHECK(desc.a_dtype == DType::kFloat32 || desc.a_dtype == DType::kFloat16 ||
                     desc.a_dtype == DType::kBFloat16,
                 "Matmul: dtype ", dtype_name(desc.a_dtype),
                 " is not supported; use f32, f16 or bf16");
  TRTUTILS_CHECK(!desc.allow_tf32 || desc.a_dtype == DType::kFloat32,
                 "Matmul: allow_tf32 applies to f32 only (dtype is ", dtype_name(desc.a_dtype),
                 ")");
  TRTUTILS_CHECK(desc.m > 0 && desc.n > 0 && desc.k > 0 && desc.batch > 0,
                 "Matmul: m, n, k and batch must be positive (got m=", desc.m, ", n=", desc.n,
                 ", k=", desc.k, ", batch=", desc.batch, ")");
  check_input_stride(desc.batch_stride_a, desc.m * desc.k, "A");
  check_input_stride(desc.batch_stride_b, desc.k * desc.n, "B");
  TRTUTILS_CHECK(desc.batch_stride_c >= -1, "Matmul: batch stride of C/D is ", desc.batch_stride_c,
                 "; use -1 (packed) or at least ", desc.m * desc.n);
  TRTUTILS_CHECK(desc.batch == 1 || resolved_batch_stride_c(desc) >= desc.m * desc.n,
                 "Matmul: batch stride ", desc.batch_stride_c, " of C/D would make the ",
                 desc.batch, " output batches overlap (each is ", desc.m * desc.n, " elements)");
}

}  // namespace trtutils::gpu
