#pragma once
// Output comparison for the GPU runner. fp32 engines use the CPU runner's
// compare() (same tolerances); fp16 engines compare floating outputs by
// relative L2 error and everything else exactly.
#include <optional>
#include <string>

#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils::gpu_conformance {

inline constexpr double kFp16RelativeL2 = 1e-2;

/// Relative L2 error ||a - e|| / ||e|| (computed in double) of two floating
/// tensors of the same dtype and shape; positions where `expected` is NaN or
/// infinite must hold the same value in `actual` and are left out of the sums.
/// When ||e|| is 0 the absolute error ||a - e|| is compared with the limit.
/// nullopt when within `limit`, else a one-line description.
std::optional<std::string> compare_relative_l2(const HostTensor& actual, const HostTensor& expected,
                                               double limit = kFp16RelativeL2);

/// fp16 engines: floating outputs by compare_relative_l2, others by the CPU
/// runner's compare() (integers and bools exact).
std::optional<std::string> compare_fp16(const HostTensor& actual, const HostTensor& expected);

}  // namespace trtutils::gpu_conformance
