#pragma once
// trtutils DType -> the cuDNN / CUDA library enums (f32, f16, bf16 only).
#include <cudnn.h>
#include <library_types.h>

#include "trtutils/core/error.hpp"
#include "trtutils/tensor/dtype.hpp"

namespace trtutils::gpu::detail {

inline cudnnDataType_t to_cudnn_data_type(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return CUDNN_DATA_FLOAT;
    case DType::kFloat16:
      return CUDNN_DATA_HALF;
    case DType::kBFloat16:
      return CUDNN_DATA_BFLOAT16;
    default:
      break;
  }
  TRTUTILS_CHECK(false, "dtype ", dtype_name(dtype),
                 " has no cuDNN counterpart here; use f32, f16 or bf16");
  return CUDNN_DATA_FLOAT;
}

inline cudaDataType_t to_cuda_data_type(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return CUDA_R_32F;
    case DType::kFloat16:
      return CUDA_R_16F;
    case DType::kBFloat16:
      return CUDA_R_16BF;
    default:
      break;
  }
  TRTUTILS_CHECK(false, "dtype ", dtype_name(dtype),
                 " has no cuBLASLt counterpart here; use f32, f16 or bf16");
  return CUDA_R_32F;
}

}  // namespace trtutils::gpu::detail
