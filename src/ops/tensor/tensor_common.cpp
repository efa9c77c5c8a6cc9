#include "ops/tensor/tensor_common.hpp"

#include <cstring>

namespace trtutils::ops::tensor {

void strided_gather(const HostTensor& src, std::int64_t offset,
                    const std::vector<std::int64_t>& strides, HostTensor& dst) {
  const std::size_t size = dtype_size(src.dtype());
  const std::byte* in = bytes_of(src);
  std::byte* out = bytes_of(dst);
  for_each_index(dst.shape(), [&](const std::vector<std::int64_t>& coords, std::int64_t linear) {
    std::int64_t source = offset;
    for (std::size_t d = 0; d < coords.size(); ++d) source += coords[d] * strides[d];
    std::memcpy(out + static_cast<std::size_t>(linear) * size,
                in + static_cast<std::size_t>(source) * size, size);
  });
}

bool wrap_index(std::int64_t& index, std::int64_t size) noexcept {
  if (index < -size || index >= size) return false;
  if (index < 0) index += size;
  return true;
}

std::vector<std::int64_t> input_ints(const CpuContext& ctx, std::size_t i, const char* what) {
  const HostTensor& t = ctx.input(i);
  if (!is_integer(t.dtype())) {
    ctx.fail(detail::concat(what, " must be an integer tensor, got ", dtype_name(t.dtype())));
  }
  return read_ints(t);
}

std::optional<std::vector<std::int64_t>> constant_ints(const InferContext& ctx, std::size_t i) {
  const HostTensor* t = ctx.input_constant(i);
  if (!t || !is_integer(t->dtype())) return std::nullopt;
  return read_ints(*t);
}

ir::Dim dim_product(const ir::DimList& dims, std::size_t begin, std::size_t end) {
  std::int64_t product = 1;
  const ir::Dim* symbolic = nullptr;
  int unknown = 0;
  for (std::size_t i = begin; i < end; ++i) {
    if (dims[i].is_static()) {
      product *= dims[i].value;
    } else {
      ++unknown;
      symbolic = &dims[i];
    }
  }
  if (unknown == 0) return product;
  if (product == 0) return 0;
  if (unknown == 1 && product == 1) return *symbolic;
  return {};
}

ir::DimList unknown_dims(std::size_t rank) { return ir::DimList(rank, ir::Dim()); }

}  // namespace trtutils::ops::tensor
