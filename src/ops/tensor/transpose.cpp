// Transpose (ONNX Transpose-1/13): out dim i is input dim perm[i]; perm
// defaults to reversing the dims.
#include <algorithm>

#include "ops/tensor/gpu_index_map.hpp"
#include "ops/tensor/tensor_common.hpp"

namespace trtutils::ops::tensor {
namespace {

template <typename Ctx>
std::vector<std::int64_t> permutation(const Ctx& ctx, std::size_t rank) {
  std::vector<std::int64_t> perm(rank);
  for (std::size_t i = 0; i < rank; ++i) perm[i] = static_cast<std::int64_t>(rank - 1 - i);
  perm = ctx.attributes().get_ints("perm", perm);
  std::vector<std::int64_t> check = perm;
  std::sort(check.begin(), check.end());
  bool valid = check.size() == rank;
  for (std::size_t i = 0; valid && i < rank; ++i) valid = check[i] == static_cast<std::int64_t>(i);
  if (!valid) ctx.fail(detail::concat("perm is not a permutation of 0 .. ", rank, " - 1"));
  return perm;
}

void infer_transpose(InferContext& ctx) {
  const ir::MaybeShape& shape = ctx.input_shape(0);
  if (!shape) return ctx.set_output(0, ctx.input_dtype(0), std::nullopt);
  const std::vector<std::int64_t> perm = permutation(ctx, shape->size());
  ir::DimList out;
  for (const std::int64_t p : perm) out.push_back((*shape)[static_cast<std::size_t>(p)]);
  ctx.set_output(0, ctx.input_dtype(0), out);
}

std::vector<HostTensor> run_transpose(const CpuContext& ctx) {
  const HostTensor& in = ctx.input(0);
  const std::vector<std::int64_t> perm = permutation(ctx, in.shape().size());
  const std::vector<std::int64_t> in_strides = contiguous_strides(in.shape());
  Shape out_shape;
  std::vector<std::int64_t> strides;
  for (const std::int64_t p : perm) {
    out_shape.push_back(in.shape()[static_cast<std::size_t>(p)]);
    strides.push_back(in_strides[static_cast<std::size_t>(p)]);
  }
  HostTensor out(out_shape, in.dtype());
  strided_gather(in, 0, strides, out);
  return {std::move(out)};
}

// GPU: a strided copy reading the input through permuted strides.
void lower_transpose(LoweringContext& ctx) {
  const Shape& in = ctx.input(0).shape;
  const std::vector<std::int64_t> perm = permutation(LoweringArgs(ctx), in.size());
  const std::vector<std::int64_t> in_strides = contiguous_strides(in);
  StridedCopy copy;
  for (const std::int64_t p : perm) {
    copy.domain.push_back(in[static_cast<std::size_t>(p)]);
    copy.src_strides.push_back(in_strides[static_cast<std::size_t>(p)]);
  }
  copy.dst_strides = contiguous_strides(copy.domain);
  lower_copy(ctx, "transpose", copy, 0, 0);
}

}  // namespace

void register_transpose(OpRegistry& registry) {
  registry.add({"Transpose", "", infer_transpose, run_transpose, lower_transpose});
}

}  // namespace trtutils::ops::tensor
