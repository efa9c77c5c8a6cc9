// ConvTranspose: https://onnx.ai/onnx/operators/onnx__ConvTranspose.html
// X [N, C, D1..Dn], W [C, M/group, k1..kn], optional B [M] -> Y [N, M, o1..on].
#include "ops/nn/nn_ops.hpp"
#include "ops/nn/numeric.hpp"
#include "ops/nn/window.hpp"

namespace trtutils::ops::nn {

TransposeAttributes read_transpose_attributes(const ir::Node& node, std::size_t spatial) {
  const ir::Attributes& attrs = node.attributes();
  const auto fail = [&](const std::string& message) {
    throw ModelError(detail::concat(node.describe(), ": ", message));
  };
  TransposeAttributes a;
  a.group = attrs.get_int("group", 1);
  if (a.group < 1) fail("group must be positive");
  a.output_padding = attrs.get_ints("output_padding", std::vector<std::int64_t>(spatial, 0));
  if (a.output_padding.size() != spatial) fail("output_padding needs one value per spatial axis");
  a.output_shape = attrs.get_ints("output_shape", std::vector<std::int64_t>(spatial, -1));
  // output_shape may also be given for the whole output [N, M, spatial...].
  if (a.output_shape.size() == spatial + 2) {
    a.output_shape.erase(a.output_shape.begin(), a.output_shape.begin() + 2);
  }
  if (a.output_shape.size() != spatial) fail("output_shape needs one value per spatial axis");
  return a;
}

namespace {

void infer_conv_transpose(InferContext& ctx) {
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& x = ctx.input_shape(0);
  const ir::MaybeShape& w = ctx.input_shape(1);
  if (!x && !w) return ctx.set_output(0, dtype, std::nullopt);
  const std::size_t rank = x ? x->size() : w->size();
  if (rank < 3) ctx.fail("X must have rank >= 3 ([N, C, spatial...])");
  if (x && w && w->size() != rank) ctx.fail("W and X must have the same rank");
  const std::size_t spatial = rank - 2;
  const TransposeAttributes a = read_transpose_attributes(ctx.node(), spatial);
  if (x && w && (*x)[1].is_static() && (*w)[0].is_static() && (*x)[1].value != (*w)[0].value) {
    ctx.fail("X's channels must equal W's first dim");
  }
  const auto kernel = conv_kernel(ctx.node(), w, spatial);
  const Window window =
      read_window(ctx.node(), kernel.value_or(std::vector<std::int64_t>(spatial, 1)), false);
  const bool same =
      window.auto_pad == AutoPad::kSameUpper || window.auto_pad == AutoPad::kSameLower;
  ir::DimList out(rank);
  out[0] = x ? (*x)[0] : ir::Dim();
  out[1] = w && (*w)[1].is_static() ? ir::Dim((*w)[1].value * a.group) : ir::Dim();
  for (std::size_t d = 0; d < spatial; ++d) {
    const ir::Dim in = x ? (*x)[d + 2] : ir::Dim();
    if (a.output_shape[d] >= 0) {
      out[d + 2] = a.output_shape[d];
    } else if (in.is_static() && (kernel || same)) {
      out[d + 2] = transpose_extent(window, d, in.value, a.output_padding[d], -1).output;
    }
  }
  ctx.set_output(0, dtype, std::move(out));
}

std::vector<HostTensor> run_conv_transpose(const CpuContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const HostTensor& w = ctx.input(1);
  if (x.rank() < 3 || w.rank() != x.rank()) ctx.fail("X and W must have the same rank >= 3");
  const std::size_t spatial = static_cast<std::size_t>(x.rank()) - 2;
  const TransposeAttributes a = read_transpose_attributes(ctx.node(), spatial);
  const Shape in_spatial(x.shape().begin() + 2, x.shape().end());
  const Shape kernel_dims(w.shape().begin() + 2, w.shape().end());
  if (*conv_kernel(ctx.node(), ir::from_static(w.shape()), spatial) != kernel_dims) {
    ctx.fail("kernel_shape does not match W's spatial dims");
  }
  const Window window = read_window(ctx.node(), kernel_dims, false);

  const std::int64_t batch = x.shape()[0];
  const std::int64_t channels = x.shape()[1];
  const std::int64_t group_maps = w.shape()[1];
  const std::int64_t maps = group_maps * a.group;
  if (w.shape()[0] != channels || channels % a.group != 0) {
    ctx.fail(detail::concat("X has ", channels, " channels, W ", shape_to_string(w.shape()),
                            " and group ", a.group, " do not fit together"));
  }
  const std::int64_t group_channels = channels / a.group;
  std::vector<double> bias(static_cast<std::size_t>(maps), 0.0);
  if (ctx.has_input(2)) {
    if (ctx.input(2).element_count() != maps) ctx.fail("B must have M elements");
    bias = read_doubles(ctx.input(2));
  }

  Shape out_spatial(spatial);
  std::vector<std::int64_t> pad_begin(spatial);
  for (std::size_t d = 0; d < spatial; ++d) {
    const TransposeExtent e =
        transpose_extent(window, d, in_spatial[d], a.output_padding[d], a.output_shape[d]);
    out_spatial[d] = e.output;
    pad_begin[d] = e.pad_begin;
  }
  const std::int64_t in_size = element_count(in_spatial);
  const std::int64_t out_size = element_count(out_spatial);
  const std::int64_t kernel_size = element_count(kernel_dims);
  const std::vector<double> xs = read_doubles(x);
  const std::vector<double> ws = read_doubles(w);
  std::vector<double> ys(static_cast<std::size_t>(batch * maps * out_size));
  for (std::int64_t n = 0; n < batch; ++n) {
    for (std::int64_t m = 0; m < maps; ++m) {
      for (std::int64_t o = 0; o < out_size; ++o) {
        ys[static_cast<std::size_t>((n * maps + m) * out_size + o)] =
            bias[static_cast<std::size_t>(m)];
      }
    }
  }

  // Every input element scatters kernel-weighted copies into the output at
  // position i * stride + k * dilation - pad_begin.
  for_each_index(in_spatial, [&](const std::vector<std::int64_t>& i, std::int64_t in_index) {
    for_each_index(kernel_dims, [&](const std::vector<std::int64_t>& k, std::int64_t k_index) {
      std::int64_t o = 0;
      for (std::size_t d = 0; d < spatial; ++d) {
        const std::int64_t pos =
            i[d] * window.strides[d] + k[d] * window.dilations[d] - pad_begin[d];
        if (pos < 0 || pos >= out_spatial[d]) return;
        o = o * out_spatial[d] + pos;
      }
      for (std::int64_t n = 0; n < batch; ++n) {
        for (std::int64_t c = 0; c < channels; ++c) {
          const std::int64_t g = c / group_channels;
          const double xv = xs[static_cast<std::size_t>((n * channels + c) * in_size + in_index)];
          for (std::int64_t m = 0; m < group_maps; ++m) {
            const std::int64_t map = g * group_maps + m;
            ys[static_cast<std::size_t>((n * maps + map) * out_size + o)] +=
                xv * ws[static_cast<std::size_t>((c * group_maps + m) * kernel_size + k_index)];
          }
        }
      }
    });
  });
  Shape out_shape{batch, maps};
  out_shape.insert(out_shape.end(), out_spatial.begin(), out_spatial.end());
  std::vector<HostTensor> outputs;
  outputs.push_back(make_tensor(std::move(out_shape), x.dtype(), ys));
  return outputs;
}

}  // namespace

OpSchema conv_transpose_schema() {
  return {"ConvTranspose", "", infer_conv_transpose, run_conv_transpose,
          conv_transpose_gpu_lowering()};
}

}  // namespace trtutils::ops::nn
