#include "gpu/convolution_geometry.hpp"

namespace trtutils::gpu::detail {

std::vector<std::int64_t> lift_1d(const std::vector<std::int64_t>& shape) {
  if (shape.size() != 3) return shape;
  return {shape[0], shape[1], 1, shape[2]};
}

std::vector<std::int64_t> spatial_or(const std::vector<std::int64_t>& values, std::int64_t rank,
                                     std::int64_t fallback) {
  std::vector<std::int64_t> out =
      values.empty() ? std::vector<std::int64_t>(static_cast<std::size_t>(rank), fallback) : values;
  // The lifted axis of a 1-D convolution: pad 0, stride 1, dilation 1 = the fallback.
  if (rank == 1) out.insert(out.begin(), fallback);
  return out;
}

std::vector<std::int64_t> packed_strides(const std::vector<std::int64_t>& dims,
                                         TensorLayout layout) {
  const std::size_t rank = dims.size();
  std::vector<std::int64_t> strides(rank, 1);
  if (layout == TensorLayout::kNCHW) {
    for (std::size_t i = rank - 1; i-- > 0;) strides[i] = strides[i + 1] * dims[i + 1];
    return strides;
  }
  // Channels last: C is innermost, then the spatial axes from last to first, then N.
  strides[1] = 1;
  std::int64_t stride = dims[1];
  for (std::size_t i = rank - 1; i >= 2; --i) {
    strides[i] = stride;
    stride *= dims[i];
  }
  strides[0] = stride;
  return strides;
}

}  // namespace trtutils::gpu::detail
