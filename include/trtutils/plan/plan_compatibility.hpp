#pragma once
// Whether a plan can run here. Its kernels were chosen, tuned and compiled for
// one GPU architecture, and its kernel names and parameters mean what one
// trtutils release says they mean, so a plan runs only on the architecture it
// was built for and with a library of the same major.minor version (patch
// releases keep the meaning of kernels and parameters).
#include <string>
#include <string_view>

#include "trtutils/core/error.hpp"
#include "trtutils/plan/plan.hpp"
#include "trtutils/version.hpp"

namespace trtutils::plan {

/// "sm_<major><minor>" for a compute capability, e.g. sm_arch_name(9, 0) == "sm_90".
std::string sm_arch_name(int major, int minor);

/// Throws ModelError saying what to do when the plan was built for another
/// architecture ("engine built for sm_86, this GPU is sm_90: rebuild it with
/// trtutils build on this GPU") or by a trtutils of another major.minor version.
void check_plan_compatible(const PlanHeader& header, std::string_view device_arch,
                           std::string_view library_version = kVersionString);

}  // namespace trtutils::plan
