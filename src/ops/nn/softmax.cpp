// Softmax:    https://onnx.ai/onnx/operators/onnx__Softmax.html
// LogSoftmax: https://onnx.ai/onnx/operators/onnx__LogSoftmax.html
// Opset < 13 coerces the input to 2-D [prod(dims[:axis]), prod(dims[axis:])]
// (default axis 1) and normalises each row; opset >= 13 normalises along the
// one dimension `axis` (default -1).
#include <algorithm>
#include <cmath>

#include "ops/nn/nn_ops.hpp"
#include "ops/nn/numeric.hpp"

namespace trtutils::ops::nn {
namespace {

void infer_softmax(InferContext& ctx) {
  const ir::MaybeShape& x = ctx.input_shape(0);
  if (x) {
    normalize_axis(ctx.attributes().get_int("axis", ctx.opset() >= 13 ? -1 : 1),
                   static_cast<std::int64_t>(x->size()), ctx.node());
  }
  ctx.set_output(0, ctx.input_dtype(0), x);
}

template <bool kLog>
std::vector<HostTensor> run_softmax(const CpuContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const bool per_axis = ctx.opset() >= 13;
  const auto axis = static_cast<std::size_t>(
      normalize_axis(ctx.attributes().get_int("axis", per_axis ? -1 : 1), x.rank(), ctx.node()));
  const std::size_t rank = x.shape().size();
  // Rows of `length` elements `inner` apart.
  const std::int64_t outer = product(x.shape(), 0, axis);
  const std::int64_t length = per_axis ? product(x.shape(), axis, std::min(axis + 1, rank))
                                       : product(x.shape(), axis, rank);
  const std::int64_t inner = per_axis ? product(x.shape(), std::min(axis + 1, rank), rank) : 1;
  const std::vector<double> xs = read_doubles(x);
  std::vector<double> ys(xs.size());
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t i = 0; i < inner; ++i) {
      const auto at = [&](std::int64_t k) {
        return static_cast<std::size_t>((o * length + k) * inner + i);
      };
      double max = -INFINITY;
      for (std::int64_t k = 0; k < length; ++k) max = std::max(max, xs[at(k)]);
      double sum = 0.0;
      for (std::int64_t k = 0; k < length; ++k) sum += std::exp(xs[at(k)] - max);
      for (std::int64_t k = 0; k < length; ++k) {
        ys[at(k)] = kLog ? xs[at(k)] - max - std::log(sum) : std::exp(xs[at(k)] - max) / sum;
      }
    }
  }
  std::vector<HostTensor> outputs;
  outputs.push_back(make_tensor(x.shape(), x.dtype(), ys));
  return outputs;
}

}  // namespace

OpSchema softmax_schema() { return {"Softmax", "", infer_softmax, run_softmax<false>, softmax_gpu_lowering()}; }
OpSchema log_softmax_schema() { return {"LogSoftmax", "", infer_softmax, run_softmax<true>,
          log_softmax_gpu_lowering()}; }

}  // namespace trtutils::ops::nn
