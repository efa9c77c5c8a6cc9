// Conv: https://onnx.ai/onnx/operators/onnx__Conv.html
// X [N, C, D1..Dn], W [M, C/group, k1..kn], optional B [M] -> Y [N, M, o1..on].
#include <utility>

#include "ops/nn/nn_ops.hpp"
#include "ops/nn/numeric.hpp"
#include "ops/nn/window.hpp"

namespace trtutils::ops::nn {
namespace {

std::int64_t read_group(const ir::Node& node) {
  const std::int64_t group = node.attributes().get_int("group", 1);
  if (group < 1)
    throw ModelError(detail::concat(node.describe(), ": group ", group, " is not positive"));
  return group;
}

void infer_conv(InferContext& ctx) {
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& x = ctx.input_shape(0);
  const ir::MaybeShape& w = ctx.input_shape(1);
  if (!x && !w) return ctx.set_output(0, dtype, std::nullopt);
  const std::size_t rank = x ? x->size() : w->size();
  if (rank < 3) ctx.fail("X must have rank >= 3 ([N, C, spatial...])");
  if (x && w && w->size() != rank) ctx.fail("W and X must have the same rank");
  const std::int64_t group = read_group(ctx.node());
  if (x && w && (*x)[1].is_static() && (*w)[1].is_static() &&
      (*x)[1].value != (*w)[1].value * group) {
    ctx.fail(detail::concat("X has ", (*x)[1].value, " channels but W expects ", (*w)[1].value,
                            " per group x ", group, " groups"));
  }
  const std::size_t spatial = rank - 2;
  const auto kernel = conv_kernel(ctx.node(), w, spatial);
  const Window window =
      read_window(ctx.node(), kernel.value_or(std::vector<std::int64_t>(spatial, 1)), false);
  const bool same =
      window.auto_pad == AutoPad::kSameUpper || window.auto_pad == AutoPad::kSameLower;
  ir::DimList out(rank);
  out[0] = x ? (*x)[0] : ir::Dim();
  out[1] = w ? (*w)[0] : ir::Dim();
  for (std::size_t d = 0; d < spatial; ++d) {
    const ir::Dim in = x ? (*x)[d + 2] : ir::Dim();
    out[d + 2] = kernel || same ? output_dim(window, d, in) : ir::Dim();
  }
  ctx.set_output(0, dtype, std::move(out));
}

std::vector<HostTensor> run_conv(const CpuContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const HostTensor& w = ctx.input(1);
  if (x.rank() < 3 || w.rank() != x.rank()) ctx.fail("X and W must have the same rank >= 3");
  const std::size_t spatial = static_cast<std::size_t>(x.rank()) - 2;
  const Shape in_spatial(x.shape().begin() + 2, x.shape().end());
  const Shape kernel_dims(w.shape().begin() + 2, w.shape().end());
  const auto kernel = conv_kernel(ctx.node(), ir::from_static(w.shape()), spatial);
  if (*kernel != kernel_dims) ctx.fail("kernel_shape does not match W's spatial dims");
  Window window = read_window(ctx.node(), kernel_dims, false);
  resolve_pads(window, in_spatial);

  const std::int64_t group = read_group(ctx.node());
  const std::int64_t batch = x.shape()[0];
  const std::int64_t channels = x.shape()[1];
  const std::int64_t maps = w.shape()[0];
  const std::int64_t group_channels = w.shape()[1];
  if (channels != group_channels * group || maps % group != 0) {
    ctx.fail(detail::concat("X has ", channels, " channels, W ", shape_to_string(w.shape()),
                            " and group ", group, " do not fit together"));
  }
  const std::int64_t group_maps = maps / group;
  std::vector<double> bias(static_cast<std::size_t>(maps), 0.0);
  if (ctx.has_input(2)) {
    if (ctx.input(2).element_count() != maps) ctx.fail("B must have M elements");
    bias = read_doubles(ctx.input(2));
  }

  Shape out_spatial(spatial);
  for (std::size_t d = 0; d < spatial; ++d)
    out_spatial[d] = output_extent(window, d, in_spatial[d]);
  const std::int64_t in_size = element_count(in_spatial);
  const std::int64_t out_size = element_count(out_spatial);
  const std::int64_t kernel_size = element_count(kernel_dims);
  const std::vector<double> xs = read_doubles(x);
  const std::vector<double> ws = read_doubles(w);
  std::vector<double> ys(static_cast<std::size_t>(batch * maps * out_size));

  std::vector<std::pair<std::int64_t, std::int64_t>> taps;  // (kernel index, input index)
  for_each_index(out_spatial, [&](const std::vector<std::int64_t>& coords, std::int64_t o) {
    taps.clear();
    for_each_tap(window, in_spatial, coords, [&](std::int64_t k, std::int64_t i) {
      if (i >= 0) taps.emplace_back(k, i);
    });
    for (std::int64_t n = 0; n < batch; ++n) {
      for (std::int64_t m = 0; m < maps; ++m) {
        const std::int64_t g = m / group_maps;
        double acc = bias[static_cast<std::size_t>(m)];
        for (std::int64_t c = 0; c < group_channels; ++c) {
          const std::int64_t x_base = (n * channels + g * group_channels + c) * in_size;
          const std::int64_t w_base = (m * group_channels + c) * kernel_size;
          for (const auto& [k, i] : taps) {
            acc +=
                xs[static_cast<std::size_t>(x_base + i)] * ws[static_cast<std::size_t>(w_base + k)];
          }
        }
        ys[static_cast<std::size_t>((n * maps + m) * out_size + o)] = acc;
      }
    }
  });
  Shape out_shape{batch, maps};
  out_shape.insert(out_shape.end(), out_spatial.begin(), out_spatial.end());
  std::vector<HostTensor> outputs;
  outputs.push_back(make_tensor(std::move(out_shape), x.dtype(), ys));
  return outputs;
}

}  // namespace

OpSchema conv_schema() { return {"Conv", "", infer_conv, run_conv, conv_gpu_lowering()}; }

}  // namespace trtutils::ops::nn
