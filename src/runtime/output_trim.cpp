#include "runtime/output_trim.hpp"

#include <algorithm>
#include <cstring>

namespace trtutils::runtime::detail {

HostTensor trim_to_extent(const HostTensor& full, std::size_t axis, std::int64_t extent) {
  const Shape& dims = full.shape();
  TRTUTILS_CHECK(axis < dims.size(), "trim_to_extent: axis ", axis, " of a rank-", dims.size(),
                 " tensor");
  const std::int64_t kept = std::clamp<std::int64_t>(extent, 0, dims[axis]);
  Shape trimmed = dims;
  trimmed[axis] = kept;
  HostTensor result(trimmed, full.dtype());
  std::int64_t outer = 1;
  for (std::size_t i = 0; i < axis; ++i) outer *= dims[i];
  std::int64_t inner = 1;
  for (std::size_t i = axis + 1; i < dims.size(); ++i) inner *= dims[i];
  const std::size_t slice = static_cast<std::size_t>(inner) * dtype_size(full.dtype());
  const auto* from = static_cast<const std::byte*>(full.data());
  auto* to = static_cast<std::byte*>(result.data());
  if (kept == 0 || slice == 0) return result;
  for (std::int64_t o = 0; o < outer; ++o) {
    std::memcpy(to + static_cast<std::size_t>(o * kept) * slice,
                from + static_cast<std::size_t>(o * dims[axis]) * slice,
                static_cast<std::size_t>(kept) * slice);
  }
  return result;
}

}  // namespace trtutils::runtime::detail
