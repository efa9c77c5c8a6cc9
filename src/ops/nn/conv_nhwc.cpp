// trtutils.ConvNHWC (include/trtutils/ops/internal_ops.hpp): Conv on
// channels-last data. The CPU reference transposes to ONNX Conv's layout and
// runs Conv's own reference, so both share one definition of the arithmetic.
#include <cstring>

#include "ops/nn/nn_ops.hpp"
#include "ops/nn/window.hpp"
#include "trtutils/ops/internal_ops.hpp"

namespace trtutils::ops {

std::vector<std::int64_t> to_channels_last(std::size_t rank) {
  std::vector<std::int64_t> perm{0};
  for (std::size_t d = 2; d < rank; ++d) perm.push_back(static_cast<std::int64_t>(d));
  perm.push_back(1);
  return perm;
}

std::vector<std::int64_t> to_channels_first(std::size_t rank) {
  std::vector<std::int64_t> perm{0, static_cast<std::int64_t>(rank) - 1};
  for (std::size_t d = 1; d + 1 < rank; ++d) perm.push_back(static_cast<std::int64_t>(d));
  return perm;
}

HostTensor transpose_tensor(const HostTensor& tensor, const std::vector<std::int64_t>& perm) {
  const Shape& in = tensor.shape();
  TRTUTILS_CHECK(perm.size() == in.size(), "transpose_tensor: perm of ", perm.size(),
                 " axes for a tensor of rank ", in.size());
  Shape out_shape(in.size());
  std::vector<std::int64_t> in_strides(in.size(), 1);
  for (std::size_t d = in.size(); d-- > 1;) in_strides[d - 1] = in_strides[d] * in[d];
  std::vector<std::int64_t> strides(in.size());
  for (std::size_t d = 0; d < perm.size(); ++d) {
    out_shape[d] = in[static_cast<std::size_t>(perm[d])];
    strides[d] = in_strides[static_cast<std::size_t>(perm[d])];
  }
  HostTensor out(out_shape, tensor.dtype());
  const std::size_t bytes = dtype_size(tensor.dtype());
  const auto* src = static_cast<const std::byte*>(tensor.data());
  auto* dst = static_cast<std::byte*>(out.data());
  std::vector<std::int64_t> coords(out_shape.size(), 0);
  for (std::int64_t i = 0; i < out.element_count(); ++i) {
    std::int64_t offset = 0;
    for (std::size_t d = 0; d < coords.size(); ++d) offset += coords[d] * strides[d];
    std::memcpy(dst + static_cast<std::size_t>(i) * bytes,
                src + static_cast<std::size_t>(offset) * bytes, bytes);
    for (std::size_t d = coords.size(); d-- > 0;) {
      if (++coords[d] < out_shape[d]) break;
      coords[d] = 0;
    }
  }
  return out;
}

namespace nn {
namespace {

/// A channels-last shape in channels-first order (and back).
ir::MaybeShape permuted(const ir::MaybeShape& shape, const std::vector<std::int64_t>& perm) {
  if (!shape) return std::nullopt;
  ir::DimList out;
  for (const std::int64_t p : perm) out.push_back((*shape)[static_cast<std::size_t>(p)]);
  return out;
}

void infer_conv_nhwc(InferContext& ctx) {
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& x = ctx.input_shape(0);
  const ir::MaybeShape& w = ctx.input_shape(1);
  if (!x || !w) return ctx.set_output(0, dtype, std::nullopt);
  const std::size_t rank = x->size();
  if (rank < 3 || w->size() != rank) ctx.fail("X and W must have the same rank >= 3");
  const std::size_t spatial = rank - 2;
  const ir::MaybeShape w_first = permuted(w, to_channels_first(rank));
  const auto kernel = conv_kernel(ctx.node(), w_first, spatial);
  const Window window =
      read_window(ctx.node(), kernel.value_or(std::vector<std::int64_t>(spatial, 1)), false);
  ir::DimList out(rank);
  out[0] = (*x)[0];
  out[rank - 1] = (*w)[0];
  for (std::size_t d = 0; d < spatial; ++d) out[d + 1] = output_dim(window, d, (*x)[d + 1]);
  ctx.set_output(0, dtype, std::move(out));
}

std::vector<HostTensor> run_conv_nhwc(const CpuContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const HostTensor& w = ctx.input(1);
  if (x.rank() < 3 || w.rank() != x.rank()) ctx.fail("X and W must have the same rank >= 3");
  const std::size_t rank = static_cast<std::size_t>(x.rank());
  const HostTensor x_first = transpose_tensor(x, to_channels_first(rank));
  const HostTensor w_first = transpose_tensor(w, to_channels_first(rank));
  const CpuContext conv(ctx.node(), ctx.opset(),
                        {&x_first, &w_first, ctx.has_input(2) ? &ctx.input(2) : nullptr});
  std::vector<HostTensor> outputs = conv_schema().run_cpu(conv);
  HostTensor y = transpose_tensor(outputs.at(0), to_channels_last(rank));
  if (ctx.has_input(3)) {
    const HostTensor& z = ctx.input(3);
    if (z.shape() != y.shape()) {
      ctx.fail(detail::concat("Z ", shape_to_string(z.shape()), " must have Y's shape ",
                              shape_to_string(y.shape())));
    }
    HostTensor sum = y.cast(DType::kFloat64);
    const HostTensor z64 = z.cast(DType::kFloat64);
    for (std::size_t i = 0; i < sum.values<double>().size(); ++i)
      sum.values<double>()[i] += z64.values<double>()[i];
    y = sum.cast(x.dtype());
  }
  outputs[0] = std::move(y);
  return outputs;
}

}  // namespace

OpSchema conv_nhwc_schema() {
  return {kConvNhwcOp, kInternalDomain, infer_conv_nhwc, run_conv_nhwc, conv_nhwc_gpu_lowering()};
}

}  // namespace nn

void add_internal_ops(OpRegistry& registry) {
  if (!registry.find(kConvNhwcOp, kInternalDomain)) registry.add(nn::conv_nhwc_schema());
}

OpRegistry with_internal_ops(const OpRegistry& base) {
  OpRegistry registry = base;
  add_internal_ops(registry);
  return registry;
}

}  // namespace trtutils::ops
