// InstanceNormalization: https://onnx.ai/onnx/operators/onnx__InstanceNormalization.html
// X [N, C, D1..Dn], scale/B [C] -> Y like X, normalised per (n, c) over the
// spatial positions: y = scale * (x - mean) / sqrt(var + epsilon) + B.
#include <cmath>

#include "ops/nn/nn_ops.hpp"
#include "ops/nn/numeric.hpp"

namespace trtutils::ops::nn {
namespace {

void infer_instance_normalization(InferContext& ctx) {
  const ir::MaybeShape& x = ctx.input_shape(0);
  if (x && x->size() < 3) ctx.fail("X must have rank >= 3 ([N, C, spatial...])");
  ctx.set_output(0, ctx.input_dtype(0), x);
}

std::vector<HostTensor> run_instance_normalization(const CpuContext& ctx) {
  const HostTensor& x = ctx.input(0);
  if (x.rank() < 3) ctx.fail("X must have rank >= 3 ([N, C, spatial...])");
  const std::int64_t channels = x.shape()[1];
  if (ctx.input(1).element_count() != channels || ctx.input(2).element_count() != channels) {
    ctx.fail(detail::concat("scale and B must have C = ", channels, " elements"));
  }
  const std::int64_t planes = x.shape()[0] * channels;
  const std::int64_t size = product(x.shape(), 2, x.shape().size());
  const double epsilon = ctx.attributes().get_float("epsilon", 1e-5f);
  const std::vector<double> xs = read_doubles(x);
  const std::vector<double> scale = read_doubles(ctx.input(1));
  const std::vector<double> bias = read_doubles(ctx.input(2));
  std::vector<double> ys(xs.size());
  for (std::int64_t p = 0; p < planes; ++p) {
    const auto first = static_cast<std::size_t>(p * size);
    const auto count = static_cast<std::size_t>(size);
    double sum = 0.0;
    for (std::size_t i = 0; i < count; ++i) sum += xs[first + i];
    const double mean = sum / static_cast<double>(size);
    double squares = 0.0;
    for (std::size_t i = 0; i < count; ++i)
      squares += (xs[first + i] - mean) * (xs[first + i] - mean);
    const double inv_std = 1.0 / std::sqrt(squares / static_cast<double>(size) + epsilon);
    const auto c = static_cast<std::size_t>(p % channels);
    for (std::size_t i = 0; i < count; ++i) {
      ys[first + i] = (xs[first + i] - mean) * inv_std * scale[c] + bias[c];
    }
  }
  std::vector<HostTensor> outputs;
  outputs.push_back(make_tensor(x.shape(), x.dtype(), ys));
  return outputs;
}

}  // namespace

OpSchema instance_normalization_schema() {
  return {"InstanceNormalization", "", infer_instance_normalization, run_instance_normalization,
          instance_normalization_gpu_lowering()};
}

}  // namespace trtutils::ops::nn
