#pragma once
// GPU tests call TRTUTILS_REQUIRE_GPU() first: on a machine with no usable
// CUDA device they are skipped with the reason, instead of failing.
#include <gtest/gtest.h>

#include <cuda_runtime_api.h>

#include <string>

namespace trtutils::testing {

/// Empty when a CUDA device is usable, otherwise why not.
inline std::string gpu_unavailable_reason() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    (void)cudaGetLastError();
    return std::string("no usable CUDA device (cudaGetDeviceCount: ") + cudaGetErrorName(status) +
           "); run this test on a GPU machine, e.g. scripts/gpu-check.sh";
  }
  if (count == 0) return "no CUDA device on this machine; run scripts/gpu-check.sh on a GPU machine";
  return {};
}

}  // namespace trtutils::testing

#define TRTUTILS_REQUIRE_GPU()                                                     \
  do {                                                                             \
    const std::string trtutils_reason_ = ::trtutils::testing::gpu_unavailable_reason(); \
    if (!trtutils_reason_.empty()) GTEST_SKIP() << trtutils_reason_;               \
  } while (false)
