#include <gtest/gtest.h>

#include <string>

#include "core/driver_api.hpp"
#include "gpu_test_support.hpp"
#include "trtutils/core/device.hpp"

namespace trtutils::core::driver {
namespace {

TEST(DriverApi, CheckMacroThrowsCudaErrorWithCallAndPlace) {
  try {
    TRTUTILS_CU_CHECK(CUDA_ERROR_INVALID_VALUE);
    FAIL() << "expected a throw";
  } catch (const CudaError& e) {
    EXPECT_EQ(e.code(), static_cast<int>(CUDA_ERROR_INVALID_VALUE));
    EXPECT_EQ(e.call(), "CUDA_ERROR_INVALID_VALUE");
    EXPECT_NE(std::string(e.what()).find("driver_api_test.cpp:"), std::string::npos) << e.what();
  }
}

TEST(DriverApi, SuccessDoesNotThrow) { EXPECT_NO_THROW(TRTUTILS_CU_CHECK(CUDA_SUCCESS)); }

TEST(DriverApi, WithoutADriverLoadingThrowsCudaErrorInsteadOfCrashing) {
  if (device_count() > 0) GTEST_SKIP() << "a CUDA driver and device are present";
  EXPECT_THROW(driver_api(), CudaError);
  // A second attempt retries and fails the same way (no half-initialised table).
  EXPECT_THROW(driver_api(), CudaError);
}

TEST(DriverApiGpu, EveryEntryPointIsResolved) {
  TRTUTILS_REQUIRE_GPU();
  const DriverApi& api = driver_api();
  EXPECT_NE(api.cuDeviceGet, nullptr);
  EXPECT_NE(api.cuDevicePrimaryCtxRetain, nullptr);
  EXPECT_NE(api.cuDevicePrimaryCtxRelease, nullptr);
  EXPECT_NE(api.cuCtxPushCurrent, nullptr);
  EXPECT_NE(api.cuCtxPopCurrent, nullptr);
  EXPECT_NE(api.cuCtxGetCurrent, nullptr);
  EXPECT_NE(api.cuGetErrorName, nullptr);
  EXPECT_NE(api.cuGetErrorString, nullptr);
  EXPECT_EQ(&api, &driver_api()) << "the table is loaded once";
}

TEST(DriverApiGpu, ErrorCarriesTheDriversNameAndDescription) {
  TRTUTILS_REQUIRE_GPU();
  try {
    TRTUTILS_CU_CHECK(CUDA_ERROR_INVALID_VALUE);
    FAIL() << "expected a throw";
  } catch (const CudaError& e) {
    EXPECT_EQ(e.error_name(), "CUDA_ERROR_INVALID_VALUE");
    EXPECT_NE(e.error_string(), "unknown driver error");
    EXPECT_FALSE(e.error_string().empty());
  }
}

TEST(DriverApiGpu, DeviceGetReturnsAHandleForDeviceZero) {
  TRTUTILS_REQUIRE_GPU();
  CUdevice device = -1;
  TRTUTILS_CU_CHECK(driver_api().cuDeviceGet(&device, 0));
  EXPECT_GE(device, 0);
  // An out-of-range ordinal is refused by the driver and reported by name.
  try {
    TRTUTILS_CU_CHECK(driver_api().cuDeviceGet(&device, 1 << 20));
    FAIL() << "expected a throw";
  } catch (const CudaError& e) {
    EXPECT_EQ(e.error_name(), "CUDA_ERROR_INVALID_DEVICE");
  }
}

}  // namespace
}  // namespace trtutils::core::driver
