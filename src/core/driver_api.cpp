#include "core/driver_api.hpp"

#include <cuda_runtime_api.h>

#include <string>

#include "trtutils/core/cuda_check.hpp"

namespace trtutils::core::driver {
namespace {

template <typename FunctionPointer>
void load_symbol(const char* symbol, FunctionPointer& target) {
  void* address = nullptr;
  cudaDriverEntryPointQueryResult query = cudaDriverEntryPointSymbolNotFound;
  const cudaError_t status = cudaGetDriverEntryPointByVersion(
      symbol, &address, kRequestedDriverVersion, cudaEnableDefault, &query);
  if (status != cudaSuccess) {
    const std::string call = detail::concat("cudaGetDriverEntryPointByVersion(\"", symbol, "\", ",
                                            kRequestedDriverVersion, ")");
    detail::throw_cuda_error(static_cast<int>(status), call.c_str(), __FILE__, __LINE__);
  }
  if (query != cudaDriverEntryPointSuccess || address == nullptr) {
    throw CudaError(static_cast<int>(cudaErrorSymbolNotFound),
                    detail::concat("cudaGetDriverEntryPointByVersion(\"", symbol, "\", ",
                                   kRequestedDriverVersion, ")"),
                    "cudaErrorSymbolNotFound",
                    query == cudaDriverEntryPointVersionNotSufficent
                        ? "the driver is older than the requested ABI version"
                        : "the driver does not export this symbol",
                    __FILE__, __LINE__, "Install an NVIDIA driver for CUDA 12.0 or newer");
  }
  target = reinterpret_cast<FunctionPointer>(address);
}

DriverApi load_driver_api() {
  DriverApi api;
  load_symbol("cuDeviceGet", api.cuDeviceGet);
  load_symbol("cuDevicePrimaryCtxRetain", api.cuDevicePrimaryCtxRetain);
  load_symbol("cuDevicePrimaryCtxRelease", api.cuDevicePrimaryCtxRelease);
  load_symbol("cuCtxPushCurrent", api.cuCtxPushCurrent);
  load_symbol("cuCtxPopCurrent", api.cuCtxPopCurrent);
  load_symbol("cuCtxGetCurrent", api.cuCtxGetCurrent);
  load_symbol("cuGetErrorName", api.cuGetErrorName);
  load_symbol("cuGetErrorString", api.cuGetErrorString);
  return api;
}

}  // namespace

const DriverApi& driver_api() {
  // A throwing initialiser leaves the static uninitialised, so the next call
  // tries again (e.g. after a driver was installed under a long-lived process).
  static const DriverApi api = load_driver_api();
  return api;
}

void throw_driver_error(CUresult status, const char* call, const char* file, int line) {
  std::string name = detail::concat("CUresult ", static_cast<int>(status));
  std::string description = "unknown driver error";
  try {
    const DriverApi& api = driver_api();
    const char* text = nullptr;
    if (api.cuGetErrorName(status, &text) == CUDA_SUCCESS && text != nullptr) name = text;
    if (api.cuGetErrorString(status, &text) == CUDA_SUCCESS && text != nullptr) {
      description = text;
    }
  } catch (const CudaError&) {
    // No driver to ask: keep the numeric name; the failure itself is what matters.
  }
  throw CudaError(static_cast<int>(status), call, name, description, file, line);
}

}  // namespace trtutils::core::driver
