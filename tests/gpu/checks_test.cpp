// TRTUTILS_CUDNN_CHECK / TRTUTILS_CUBLAS_CHECK and the descriptor owners.
// Everything here is host-only in cuDNN/cuBLASLt, so it runs without a GPU.
#include <cublasLt.h>
#include <cudnn.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "gpu/test_util.hpp"
#include "trtutils/gpu/cublas_check.hpp"
#include "trtutils/gpu/cublaslt_descriptors.hpp"
#include "trtutils/gpu/cudnn_check.hpp"
#include "trtutils/gpu/cudnn_descriptors.hpp"

namespace trtutils::gpu {
namespace {

using trtutils::testing::contains;

int fails_with(int status) { return status; }

TEST(CudnnCheck, FailureThrowsCudaErrorWithStatusNameCallAndPlace) {
  try {
    TRTUTILS_CUDNN_CHECK(fails_with(CUDNN_STATUS_BAD_PARAM));
    FAIL() << "no exception";
  } catch (const CudaError& error) {
    EXPECT_EQ(error.code(), static_cast<int>(CUDNN_STATUS_BAD_PARAM));
    EXPECT_EQ(error.error_name(), "CUDNN_STATUS_BAD_PARAM");
    EXPECT_EQ(error.call(), "fails_with(CUDNN_STATUS_BAD_PARAM)");
    EXPECT_TRUE(contains(std::string(error.what()), "checks_test.cpp:"));
  }
}

TEST(CudnnCheck, SuccessDoesNotThrow) { EXPECT_NO_THROW(TRTUTILS_CUDNN_CHECK(fails_with(0))); }

TEST(CublasCheck, FailureThrowsCudaErrorWithStatusName) {
  try {
    TRTUTILS_CUBLAS_CHECK(fails_with(CUBLAS_STATUS_INVALID_VALUE));
    FAIL() << "no exception";
  } catch (const CudaError& error) {
    EXPECT_EQ(error.error_name(), "CUBLAS_STATUS_INVALID_VALUE");
    EXPECT_TRUE(contains(std::string(error.what()), "fails_with(CUBLAS_STATUS_INVALID_VALUE)"));
  }
}

TEST(CudnnDescriptors, NegativeDimensionIsRefusedByCudnnNamingTheCall) {
  TensorDescriptor descriptor;
  const int dims[] = {1, -3, 4, 4};
  const int strides[] = {48, 16, 4, 1};
  try {
    set_tensor(descriptor, CUDNN_DATA_FLOAT, dims, strides);
    FAIL() << "no exception";
  } catch (const CudaError& error) {
    EXPECT_EQ(error.error_name(), "CUDNN_STATUS_BAD_PARAM");
    EXPECT_TRUE(contains(error.call(), "cudnnSetTensorNdDescriptor"));
    EXPECT_TRUE(contains(error.what(), "failed: CUDNN_STATUS_BAD_PARAM"));
  }
}

TEST(CudnnDescriptors, ValidTensorFilterConvolutionAndActivationAreAccepted) {
  TensorDescriptor tensor;
  const int dims[] = {2, 3, 5, 7};
  const int strides[] = {105, 35, 7, 1};
  EXPECT_NO_THROW(set_tensor(tensor, CUDNN_DATA_HALF, dims, strides));
  FilterDescriptor filter;
  const int filter_dims[] = {8, 3, 3, 3};
  EXPECT_NO_THROW(set_filter(filter, CUDNN_DATA_HALF, CUDNN_TENSOR_NHWC, filter_dims));
  ConvolutionDescriptor convolution;
  const int pads[] = {1, 1};
  const int ones[] = {1, 1};
  EXPECT_NO_THROW(
      set_convolution(convolution, pads, ones, ones, 1, CUDNN_DATA_FLOAT, CUDNN_TENSOR_OP_MATH));
  ActivationDescriptor activation;
  EXPECT_NO_THROW(set_activation(activation, CUDNN_ACTIVATION_CLIPPED_RELU, 6.0));
}

TEST(CudnnDescriptors, ZeroGroupsAreRefusedByCudnn) {
  ConvolutionDescriptor convolution;
  const int pads[] = {0, 0};
  const int ones[] = {1, 1};
  try {
    set_convolution(convolution, pads, ones, ones, 0, CUDNN_DATA_FLOAT, CUDNN_FMA_MATH);
    FAIL() << "no exception";
  } catch (const CudaError& error) {
    EXPECT_TRUE(contains(error.call(), "cudnnSetConvolutionGroupCount"));
  }
}

TEST(CudnnDescriptors, MoveTransfersOwnership) {
  TensorDescriptor first;
  const cudnnTensorDescriptor_t handle = first.get();
  ASSERT_NE(handle, nullptr);
  TensorDescriptor second(std::move(first));
  EXPECT_EQ(second.get(), handle);
  EXPECT_EQ(first.get(),
            nullptr);  // NOLINT(bugprone-use-after-move): the moved-from state is the point
}

TEST(CublasLtDescriptors, AttributeOfTheWrongSizeIsRefusedNamingTheCall) {
  MatmulDescriptor matmul = make_matmul_descriptor(CUBLAS_COMPUTE_32F, CUDA_R_32F);
  const std::int64_t wrong_size = 1;  // TRANSA is a 4-byte cublasOperation_t
  try {
    matmul.set_attribute(CUBLASLT_MATMUL_DESC_TRANSA, wrong_size);
    FAIL() << "no exception";
  } catch (const CudaError& error) {
    EXPECT_EQ(error.error_name(), "CUBLAS_STATUS_INVALID_VALUE");
    EXPECT_TRUE(contains(error.call(), "cublasLtMatmulDescSetAttribute"));
  }
}

TEST(CublasLtDescriptors, AttributesCanBeSet) {
  MatmulDescriptor matmul = make_matmul_descriptor(CUBLAS_COMPUTE_32F, CUDA_R_32F);
  const cublasOperation_t transpose = CUBLAS_OP_T;
  EXPECT_NO_THROW(matmul.set_attribute(CUBLASLT_MATMUL_DESC_TRANSA, transpose));
  MatmulPreference preference = make_matmul_preference(1 << 20);
  EXPECT_NE(preference.get(), nullptr);
}

}  // namespace
}  // namespace trtutils::gpu
