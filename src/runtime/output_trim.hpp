#pragma once
// Cutting a data-dependent output (allocated at its upper bound) down to the
// extent the GPU reported. Pure.
#include <cstddef>
#include <cstdint>

#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils::runtime::detail {

/// `full` with dims[axis] reduced to `extent` (clamped to [0, dims[axis]]),
/// keeping for each index before `axis` the first `extent` slices. A copy.
HostTensor trim_to_extent(const HostTensor& full, std::size_t axis, std::int64_t extent);

}  // namespace trtutils::runtime::detail
