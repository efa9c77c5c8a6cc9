#pragma once
// Shared by the image check tools (trtutils-nms-check, trtutils-preprocess-
// check): each always writes its CPU result, and runs its GPU half only where
// a GPU is usable. When it cannot, it prints its JSON report with "gpu": null,
// says why on stderr and exits 3, so a calling script can tell "not run" from
// "differs" (1).
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "trtutils/core/device.hpp"

namespace trtutils::tools {

inline constexpr int kExitGpuNotRun = 3;

/// Empty when the GPU half can run; otherwise why not.
inline std::string gpu_skip_reason(bool cpu_only) {
  if (cpu_only) return "--cpu-only given";
  if (core::device_count() == 0) {
    return "no usable CUDA device on this machine; run on a GPU machine (scripts/gpu-check.sh)";
  }
  return {};
}

/// Prints `report` with "gpu": null and the reason; returns kExitGpuNotRun.
inline int report_gpu_not_run(nlohmann::json& report, const std::string& tool,
                              const std::string& reason, const std::string& written) {
  report["gpu"] = nullptr;
  std::cout << report.dump() << std::endl;
  std::cerr << tool << ": GPU path NOT run: " << reason << "; only " << written
            << " was written\n";
  return kExitGpuNotRun;
}

}  // namespace trtutils::tools
