#include "trtutils/gpu/cublaslt_descriptors.hpp"

namespace trtutils::gpu {

MatmulDescriptor make_matmul_descriptor(cublasComputeType_t compute_type,
                                        cudaDataType_t scale_type) {
  cublasLtMatmulDesc_t handle = nullptr;
  TRTUTILS_CUBLAS_CHECK(cublasLtMatmulDescCreate(&handle, compute_type, scale_type));
  return MatmulDescriptor(handle);
}

MatrixLayout make_matrix_layout(cudaDataType_t type, std::uint64_t rows, std::uint64_t cols,
                                std::int64_t ld) {
  cublasLtMatrixLayout_t handle = nullptr;
  TRTUTILS_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&handle, type, rows, cols, ld));
  return MatrixLayout(handle);
}

MatmulPreference make_matmul_preference(std::size_t max_workspace_bytes) {
  cublasLtMatmulPreference_t handle = nullptr;
  TRTUTILS_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&handle));
  MatmulPreference preference(handle);
  const std::uint64_t bytes = max_workspace_bytes;
  preference.set_attribute(CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, bytes);
  return preference;
}

}  // namespace trtutils::gpu
