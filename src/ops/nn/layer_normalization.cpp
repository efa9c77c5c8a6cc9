// LayerNormalization (opset 17): https://onnx.ai/onnx/operators/onnx__LayerNormalization.html
// X normalised over dims [axis, rank): Y = (X - mean) * inv_std_dev * Scale + B,
// with optional Mean and InvStdDev outputs (X's shape with those dims set to
// 1, dtype from stash_type).
#include <cmath>

#include "ops/nn/nn_ops.hpp"
#include "ops/nn/numeric.hpp"

namespace trtutils::ops::nn {
namespace {

template <typename Context>
DType stash_dtype(const Context& ctx) {
  const std::optional<DType> dtype = stash_type_dtype(ctx.attributes().get_int("stash_type", 1));
  if (!dtype) ctx.fail(kBadStashType);
  return *dtype;
}

void infer_layer_normalization(InferContext& ctx) {
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& x = ctx.input_shape(0);
  ctx.set_output(0, dtype, x);
  const DType stash = stash_dtype(ctx);
  ir::MaybeShape stats;
  if (x) {
    const auto rank = static_cast<std::int64_t>(x->size());
    const std::int64_t axis =
        normalize_axis(ctx.attributes().get_int("axis", -1), rank, ctx.node());
    ir::DimList dims = *x;
    for (std::size_t d = static_cast<std::size_t>(axis); d < dims.size(); ++d) dims[d] = 1;
    stats = std::move(dims);
  }
  for (std::size_t i = 1; i < 3 && i < ctx.output_count(); ++i) ctx.set_output(i, stash, stats);
}

/// Values of an optional Scale/B input laid against X's elements (unidirectional broadcast).
std::vector<double> broadcast_to(const CpuContext& ctx, std::size_t input, const Shape& shape,
                                 double fallback) {
  std::vector<double> out(static_cast<std::size_t>(element_count(shape)), fallback);
  if (!ctx.has_input(input)) return out;
  const HostTensor& t = ctx.input(input);
  if (!broadcasts_to(t.shape(), shape)) {
    ctx.fail(detail::concat("input ", input, " of shape ", shape_to_string(t.shape()),
                            " does not broadcast to X's shape ", shape_to_string(shape)));
  }
  const std::vector<double> values = read_doubles(t);
  const std::vector<std::int64_t> strides = broadcast_strides(t.shape(), shape);
  for_each_index(shape, [&](const std::vector<std::int64_t>& coords, std::int64_t i) {
    std::int64_t at = 0;
    for (std::size_t d = 0; d < coords.size(); ++d) at += coords[d] * strides[d];
    out[static_cast<std::size_t>(i)] = values[static_cast<std::size_t>(at)];
  });
  return out;
}

std::vector<HostTensor> run_layer_normalization(const CpuContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const std::int64_t axis =
      normalize_axis(ctx.attributes().get_int("axis", -1), x.rank(), ctx.node());
  const double epsilon = ctx.attributes().get_float("epsilon", 1e-5f);
  const DType stash = stash_dtype(ctx);
  const std::int64_t rows = product(x.shape(), 0, static_cast<std::size_t>(axis));
  const std::int64_t size = product(x.shape(), static_cast<std::size_t>(axis), x.shape().size());
  const std::vector<double> xs = read_doubles(x);
  const std::vector<double> scale = broadcast_to(ctx, 1, x.shape(), 1.0);
  const std::vector<double> bias = broadcast_to(ctx, 2, x.shape(), 0.0);
  std::vector<double> ys(xs.size());
  std::vector<double> means(static_cast<std::size_t>(rows));
  std::vector<double> inv_stds(static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto first = static_cast<std::size_t>(r * size);
    const auto count = static_cast<std::size_t>(size);
    double sum = 0.0;
    for (std::size_t i = 0; i < count; ++i) sum += xs[first + i];
    const double mean = sum / static_cast<double>(size);
    double squares = 0.0;
    for (std::size_t i = 0; i < count; ++i)
      squares += (xs[first + i] - mean) * (xs[first + i] - mean);
    const double inv_std = 1.0 / std::sqrt(squares / static_cast<double>(size) + epsilon);
    for (std::size_t i = 0; i < count; ++i) {
      ys[first + i] = (xs[first + i] - mean) * inv_std * scale[first + i] + bias[first + i];
    }
    means[static_cast<std::size_t>(r)] = mean;
    inv_stds[static_cast<std::size_t>(r)] = inv_std;
  }
  Shape stats_shape = x.shape();
  for (std::size_t d = static_cast<std::size_t>(axis); d < stats_shape.size(); ++d)
    stats_shape[d] = 1;
  std::vector<HostTensor> outputs;
  outputs.push_back(make_tensor(x.shape(), x.dtype(), ys));
  for (std::size_t i = 1; i < 3 && i < ctx.output_count(); ++i) {
    outputs.push_back(ctx.node().output(i)
                          ? make_tensor(stats_shape, stash, i == 1 ? means : inv_stds)
                          : HostTensor());
  }
  return outputs;
}

}  // namespace

std::optional<DType> stash_type_dtype(std::int64_t code) {
  switch (code) {
    case 1:
      return DType::kFloat32;
    case 10:
      return DType::kFloat16;
    case 11:
      return DType::kFloat64;
    case 16:
      return DType::kBFloat16;
    default:
      return std::nullopt;
  }
}

OpSchema layer_normalization_schema() {
  return {"LayerNormalization", "", infer_layer_normalization, run_layer_normalization,
          layer_normalization_gpu_lowering()};
}

}  // namespace trtutils::ops::nn
