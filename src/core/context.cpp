#include "trtutils/core/context.hpp"

#include <cuda_runtime_api.h>

#include <utility>

#include "core/driver_api.hpp"
#include "trtutils/core/cuda_check.hpp"
#include "trtutils/core/device.hpp"

namespace trtutils::core {

using driver::driver_api;

ContextHandle current_context() {
  CUcontext context = nullptr;
  TRTUTILS_CU_CHECK(driver_api().cuCtxGetCurrent(&context));
  return context;
}

PrimaryContext::PrimaryContext(int device) {
  const int count = device_count();
  TRTUTILS_CHECK(device >= 0 && device < count, "PrimaryContext(", device,
                 "): no such CUDA device; this machine has ", count, " device(s)");
  const auto& api = driver_api();
  CUdevice handle = 0;
  TRTUTILS_CU_CHECK(api.cuDeviceGet(&handle, device));
  TRTUTILS_CU_CHECK(api.cuDevicePrimaryCtxRetain(&context_, handle));
  device_ = device;
}

PrimaryContext::PrimaryContext(PrimaryContext&& other) noexcept
    : context_(std::exchange(other.context_, nullptr)), device_(std::exchange(other.device_, -1)) {}

PrimaryContext& PrimaryContext::operator=(PrimaryContext&& other) noexcept {
  if (this != &other) {
    release();
    context_ = std::exchange(other.context_, nullptr);
    device_ = std::exchange(other.device_, -1);
  }
  return *this;
}

PrimaryContext::~PrimaryContext() { release(); }

void PrimaryContext::release() noexcept {
  if (context_ == nullptr) return;
  // The table is loaded (retain succeeded), so driver_api() cannot throw here.
  const auto& api = driver_api();
  CUdevice handle = 0;
  if (api.cuDeviceGet(&handle, device_) == CUDA_SUCCESS) {
    (void)api.cuDevicePrimaryCtxRelease(handle);
  }
  context_ = nullptr;
  device_ = -1;
}

ContextGuard::ContextGuard(ContextHandle context) {
  TRTUTILS_CHECK(context != nullptr, "ContextGuard: the context is null (a moved-from PrimaryContext?)");
  TRTUTILS_CU_CHECK(driver_api().cuCtxPushCurrent(context));
}

ContextGuard::~ContextGuard() {
  CUcontext popped = nullptr;
  (void)driver_api().cuCtxPopCurrent(&popped);
}

DeviceGuard::DeviceGuard(int device) : previous_(current_device()) { set_device(device); }

DeviceGuard::~DeviceGuard() {
  if (cudaSetDevice(previous_) != cudaSuccess) (void)cudaGetLastError();
}

}  // namespace trtutils::core
