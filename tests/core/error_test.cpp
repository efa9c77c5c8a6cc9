#include <gtest/gtest.h>

#include <cuda_runtime_api.h>

#include "trtutils/core/cuda_check.hpp"

namespace trtutils {
namespace {

TEST(CudaCheck, FailureCarriesCallNameAndPlace) {
  try {
    TRTUTILS_CUDA_CHECK(cudaErrorInvalidValue);
    FAIL() << "expected a throw";
  } catch (const CudaError& e) {
    EXPECT_EQ(e.code(), static_cast<int>(cudaErrorInvalidValue));
    EXPECT_EQ(e.error_name(), "cudaErrorInvalidValue");
    EXPECT_EQ(e.call(), "cudaErrorInvalidValue");
    EXPECT_NE(std::string(e.what()).find("error_test.cpp:"), std::string::npos) << e.what();
  }
}

TEST(CudaCheck, SuccessDoesNotThrow) { EXPECT_NO_THROW(TRTUTILS_CUDA_CHECK(cudaSuccess)); }

TEST(Check, MessageNamesTheProblem) {
  try {
    const int value = 3;
    TRTUTILS_CHECK(value == 4, "value must be 4, got ", value);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("value must be 4, got 3"), std::string::npos);
  }
}

}  // namespace
}  // namespace trtutils
