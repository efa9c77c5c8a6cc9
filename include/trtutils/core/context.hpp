#pragma once
// CUDA contexts for code that mixes the runtime API with driver-level users
// (NVRTC modules, other libraries): the device's primary context (the one the
// runtime itself uses), a guard that makes a context current for a scope, and
// a guard that switches the runtime's current device for a scope.

#include "trtutils/core/error.hpp"

// The driver's opaque context type, declared here so that public headers need
// not include <cuda.h> (same declaration as cuda.h's `typedef struct CUctx_st
// *CUcontext`).
struct CUctx_st;

namespace trtutils::core {

using ContextHandle = CUctx_st*;

/// The context current on the calling thread (nullptr if none).
ContextHandle current_context();

/// Holds a reference on a device's primary context (cuDevicePrimaryCtxRetain),
/// released on destruction. Move-only.
class PrimaryContext {
 public:
  /// Retains device `device`'s primary context; InvalidArgument if there is no
  /// such device, CudaError if the driver refuses.
  explicit PrimaryContext(int device);
  PrimaryContext(const PrimaryContext&) = delete;
  PrimaryContext& operator=(const PrimaryContext&) = delete;
  PrimaryContext(PrimaryContext&& other) noexcept;
  PrimaryContext& operator=(PrimaryContext&& other) noexcept;
  ~PrimaryContext();

  ContextHandle handle() const noexcept { return context_; }
  int device() const noexcept { return device_; }

 private:
  void release() noexcept;

  ContextHandle context_ = nullptr;
  int device_ = -1;
};

/// Makes a context current on this thread for the guard's lifetime
/// (cuCtxPushCurrent) and restores the previous one on exit (cuCtxPopCurrent).
/// Neither copyable nor movable: the push and pop must pair on one thread.
class ContextGuard {
 public:
  explicit ContextGuard(ContextHandle context);
  explicit ContextGuard(const PrimaryContext& context) : ContextGuard(context.handle()) {}
  ContextGuard(const ContextGuard&) = delete;
  ContextGuard& operator=(const ContextGuard&) = delete;
  ~ContextGuard();
};

/// Makes `device` the runtime's current device (cudaSetDevice) for the
/// guard's lifetime and restores the previous device on exit.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device);
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;
  ~DeviceGuard();

  int previous_device() const noexcept { return previous_; }

 private:
  int previous_;
};

}  // namespace trtutils::core
