// GlobalAveragePool: https://onnx.ai/onnx/operators/onnx__GlobalAveragePool.html
// GlobalMaxPool:     https://onnx.ai/onnx/operators/onnx__GlobalMaxPool.html
// X [N, C, D1..Dn] -> Y [N, C, 1..1]: the mean / max over all spatial positions.
#include <algorithm>

#include "ops/nn/nn_ops.hpp"
#include "ops/nn/numeric.hpp"

namespace trtutils::ops::nn {
namespace {

void infer_global_pool(InferContext& ctx) {
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& x = ctx.input_shape(0);
  if (!x) return ctx.set_output(0, dtype, std::nullopt);
  if (x->size() < 3) ctx.fail("X must have rank >= 3 ([N, C, spatial...])");
  ir::DimList out = {(*x)[0], (*x)[1]};
  out.resize(x->size(), ir::Dim(1));
  ctx.set_output(0, dtype, std::move(out));
}

template <bool kMax>
std::vector<HostTensor> run_global_pool(const CpuContext& ctx) {
  const HostTensor& x = ctx.input(0);
  if (x.rank() < 3) ctx.fail("X must have rank >= 3 ([N, C, spatial...])");
  const std::int64_t planes = x.shape()[0] * x.shape()[1];
  const std::int64_t size = product(x.shape(), 2, x.shape().size());
  const std::vector<double> xs = read_doubles(x);
  std::vector<double> ys(static_cast<std::size_t>(planes));
  for (std::int64_t p = 0; p < planes; ++p) {
    const auto first = xs.begin() + p * size;
    if constexpr (kMax) {
      ys[static_cast<std::size_t>(p)] = size > 0 ? *std::max_element(first, first + size) : 0.0;
    } else {
      double sum = 0.0;
      for (auto it = first; it != first + size; ++it) sum += *it;
      ys[static_cast<std::size_t>(p)] = size > 0 ? sum / static_cast<double>(size) : 0.0;
    }
  }
  Shape out_shape = {x.shape()[0], x.shape()[1]};
  out_shape.resize(x.shape().size(), 1);
  std::vector<HostTensor> outputs;
  outputs.push_back(make_tensor(std::move(out_shape), x.dtype(), ys));
  return outputs;
}

}  // namespace

OpSchema global_average_pool_schema() {
  return {"GlobalAveragePool", "", infer_global_pool, run_global_pool<false>,
          global_average_pool_gpu_lowering()};
}
OpSchema global_max_pool_schema() {
  return {"GlobalMaxPool", "", infer_global_pool, run_global_pool<true>,
          global_max_pool_gpu_lowering()};
}

}  // namespace trtutils::ops::nn
