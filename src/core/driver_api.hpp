#pragma once
// The few CUDA driver-API functions the core layer needs, fetched once through
// cudaGetDriverEntryPointByVersion instead of linking libcuda: binaries built
// with trtutils start on machines without a driver and report "no device".
// Internal to src/core (it includes <cuda.h> for the driver types).
#include <cuda.h>
#include <cudaTypedefs.h>

namespace trtutils::core::driver {

/// The ABI version the entry points are requested for (CUDA 12.0, so that a
/// 12.x or 13.x driver hands back the same signatures as the typedefs below).
inline constexpr unsigned int kRequestedDriverVersion = 12000;

struct DriverApi {
  PFN_cuDeviceGet_v2000 cuDeviceGet = nullptr;
  PFN_cuDevicePrimaryCtxRetain_v7000 cuDevicePrimaryCtxRetain = nullptr;
  PFN_cuDevicePrimaryCtxRelease_v11000 cuDevicePrimaryCtxRelease = nullptr;
  PFN_cuCtxPushCurrent_v4000 cuCtxPushCurrent = nullptr;
  PFN_cuCtxPopCurrent_v4000 cuCtxPopCurrent = nullptr;
  PFN_cuCtxGetCurrent_v4000 cuCtxGetCurrent = nullptr;
  PFN_cuGetErrorName_v6000 cuGetErrorName = nullptr;
  PFN_cuGetErrorString_v6000 cuGetErrorString = nullptr;
};

/// The table, loaded on first use (thread-safe). Throws CudaError when the
/// runtime cannot reach a driver or a symbol is missing; a later call retries.
const DriverApi& driver_api();

/// Throws CudaError for a failed driver call: the call text, the driver's
/// error name and description (when the driver can be asked), and file:line.
[[noreturn]] void throw_driver_error(CUresult status, const char* call, const char* file,
                                     int line);

}  // namespace trtutils::core::driver

/// Evaluates a CUresult-returning driver call; throws CudaError on failure.
#define TRTUTILS_CU_CHECK(expr)                                                             \
  do {                                                                                      \
    const CUresult trtutils_cu_status_ = (expr);                                            \
    if (trtutils_cu_status_ != CUDA_SUCCESS) {                                              \
      ::trtutils::core::driver::throw_driver_error(trtutils_cu_status_, #expr, __FILE__, __LINE__); \
    }                                                                                       \
  } while (false)
