#include "ops/gpu_codegen.hpp"

#include <algorithm>
#include <cctype>

namespace trtutils::ops::gpu {

std::string cuda_type(DType dtype) {
  switch (dtype) {
    case DType::kUInt8: return "unsigned char";
    case DType::kInt8: return "signed char";
    case DType::kInt32: return "int";
    case DType::kInt64: return "long long";
    case DType::kFloat16: return "__half";
    case DType::kBFloat16: return "__nv_bfloat16";
    case DType::kFloat32: return "float";
    case DType::kFloat64: return "double";
    case DType::kBool: return "bool";
    case DType::kUndefined: break;
  }
  throw UnsupportedError("cuda_type: tensor has no dtype");
}

std::string cuda_compute_type(DType dtype) {
  if (dtype == DType::kFloat16 || dtype == DType::kBFloat16) return "float";
  return cuda_type(dtype);
}

std::string load_expr(DType dtype, const std::string& value) {
  if (dtype == DType::kFloat16) return "__half2float(" + value + ")";
  if (dtype == DType::kBFloat16) return "__bfloat162float(" + value + ")";
  return value;
}

std::string store_expr(DType dtype, const std::string& value) {
  if (dtype == DType::kFloat16) return "__float2half_rn(" + value + ")";
  if (dtype == DType::kBFloat16) return "__float2bfloat16_rn(" + value + ")";
  return "(" + cuda_type(dtype) + ")(" + value + ")";
}

std::string convert_expr(DType from, DType to, const std::string& value) {
  if (from == to) return value;
  const std::string as_compute = load_expr(from, value);
  if (to == DType::kBool) return "((" + as_compute + ") != 0)";
  return store_expr(to, as_compute);
}

const std::string& kernel_preamble() {
  static const std::string preamble = R"(#include <cuda_fp16.h>
#include <cuda_bf16.h>
__device__ __forceinline__ long long trt_tid() {
  return (long long)blockIdx.x * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ long long trt_stride() {
  return (long long)gridDim.x * blockDim.x;
}
)";
  return preamble;
}

void set_linear_launch(KernelLaunch& launch, std::int64_t elements, std::uint32_t block) {
  const std::int64_t wanted = std::max<std::int64_t>(1, (elements + block - 1) / block);
  const std::int64_t blocks = std::min<std::int64_t>(wanted, 65535LL * 16);
  launch.grid = {static_cast<std::uint32_t>(blocks), 1, 1};
  launch.block = {block, 1, 1};
}

std::int64_t vector_elements(DType dtype) {
  if (dtype == DType::kFloat32) return 4;
  if (dtype == DType::kFloat16 || dtype == DType::kBFloat16) return 8;
  return 0;
}

std::string identifier(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out.insert(0, "k_");
  return out;
}

}  // namespace trtutils::ops::gpu
