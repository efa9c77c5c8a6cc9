// MaxPool:     https://onnx.ai/onnx/operators/onnx__MaxPool.html
// AveragePool: https://onnx.ai/onnx/operators/onnx__AveragePool.html
// X [N, C, D1..Dn] -> Y [N, C, o1..on] (+ MaxPool's optional int64 Indices).
#include <limits>

#include "ops/nn/nn_ops.hpp"
#include "ops/nn/numeric.hpp"
#include "ops/nn/window.hpp"

namespace trtutils::ops::nn {
namespace {

Window pool_window(const ir::Node& node, std::int64_t opset, std::size_t rank) {
  if (rank < 3) throw ModelError(detail::concat(node.describe(), ": X must have rank >= 3"));
  const std::vector<std::int64_t> kernel = node.attributes().get_ints("kernel_shape");
  if (kernel.size() != rank - 2) {
    throw ModelError(detail::concat(node.describe(), ": kernel_shape has ", kernel.size(),
                                    " values for ", rank - 2, " spatial axes"));
  }
  // ceil_mode arrived in opset 10 for both pools.
  return read_window(node, kernel, opset >= 10);
}

void infer_pool(InferContext& ctx) {
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& x = ctx.input_shape(0);
  ir::MaybeShape out;
  if (x) {
    const Window window = pool_window(ctx.node(), ctx.opset(), x->size());
    ir::DimList dims = {(*x)[0], (*x)[1]};
    for (std::size_t d = 0; d < window.rank(); ++d)
      dims.push_back(output_dim(window, d, (*x)[d + 2]));
    out = std::move(dims);
  }
  ctx.set_output(0, dtype, out);
  if (ctx.output_count() > 1) ctx.set_output(1, DType::kInt64, out);
}

struct PoolGeometry {
  Window window;
  Shape in_spatial;
  Shape out_spatial;
  std::int64_t planes;  // N * C
  std::int64_t in_size;
  std::int64_t out_size;
};

PoolGeometry pool_geometry(const CpuContext& ctx, const HostTensor& x) {
  PoolGeometry g{
      pool_window(ctx.node(), ctx.opset(), static_cast<std::size_t>(x.rank())), {}, {}, 0, 0, 0};
  g.in_spatial.assign(x.shape().begin() + 2, x.shape().end());
  resolve_pads(g.window, g.in_spatial);
  for (std::size_t d = 0; d < g.window.rank(); ++d) {
    g.out_spatial.push_back(output_extent(g.window, d, g.in_spatial[d]));
  }
  g.planes = x.shape()[0] * x.shape()[1];
  g.in_size = element_count(g.in_spatial);
  g.out_size = element_count(g.out_spatial);
  return g;
}

Shape pooled_shape(const HostTensor& x, const Shape& out_spatial) {
  Shape shape{x.shape()[0], x.shape()[1]};
  shape.insert(shape.end(), out_spatial.begin(), out_spatial.end());
  return shape;
}

/// The index MaxPool reports for spatial element `i` of plane `plane`:
/// row-major, or column-major over the spatial dims when storage_order = 1.
std::int64_t argmax_index(const PoolGeometry& g, std::int64_t plane, std::int64_t i,
                          bool column_major) {
  if (!column_major) return plane * g.in_size + i;
  const std::size_t rank = g.in_spatial.size();
  std::vector<std::int64_t> coords(rank);
  for (std::size_t d = rank; d-- > 0;) {
    coords[d] = i % g.in_spatial[d];
    i /= g.in_spatial[d];
  }
  std::int64_t index = 0;
  std::int64_t stride = 1;
  for (std::size_t d = 0; d < rank; ++d) {
    index += coords[d] * stride;
    stride *= g.in_spatial[d];
  }
  return plane * g.in_size + index;
}

double lowest_value(DType dtype) {
  return visit_dtype(dtype, [](auto tag) -> double {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T>) {
      return static_cast<double>(std::numeric_limits<T>::lowest());
    } else {
      return -std::numeric_limits<double>::infinity();
    }
  });
}

std::vector<HostTensor> run_max_pool(const CpuContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const PoolGeometry g = pool_geometry(ctx, x);
  const bool column_major = ctx.attributes().get_int("storage_order", 0) != 0;
  const std::vector<double> xs = read_doubles(x);
  const double lowest = lowest_value(x.dtype());
  std::vector<double> ys(static_cast<std::size_t>(g.planes * g.out_size));
  std::vector<std::int64_t> indices(ys.size(), -1);
  std::vector<std::int64_t> taps;
  for_each_index(g.out_spatial, [&](const std::vector<std::int64_t>& coords, std::int64_t o) {
    taps.clear();
    for_each_tap(g.window, g.in_spatial, coords, [&](std::int64_t, std::int64_t i) {
      if (i >= 0) taps.push_back(i);
    });
    for (std::int64_t p = 0; p < g.planes; ++p) {
      double best = lowest;
      std::int64_t best_i = -1;
      for (std::int64_t i : taps) {
        const double v = xs[static_cast<std::size_t>(p * g.in_size + i)];
        if (best_i < 0 || v > best) {
          best = v;
          best_i = i;
        }
      }
      const auto out = static_cast<std::size_t>(p * g.out_size + o);
      ys[out] = best;
      if (best_i >= 0) indices[out] = argmax_index(g, p, best_i, column_major);
    }
  });
  std::vector<HostTensor> outputs;
  outputs.push_back(make_tensor(pooled_shape(x, g.out_spatial), x.dtype(), ys));
  if (ctx.output_count() > 1) {
    outputs.push_back(ctx.node().output(1)
                          ? make_tensor(pooled_shape(x, g.out_spatial), DType::kInt64, indices)
                          : HostTensor());
  }
  return outputs;
}

std::vector<HostTensor> run_average_pool(const CpuContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const PoolGeometry g = pool_geometry(ctx, x);
  // Pads count in the divisor when count_include_pad = 1; positions past the
  // end pad (ceil_mode overhang) never do.
  const bool include_pad = ctx.attributes().get_int("count_include_pad", 0) != 0;
  const std::vector<double> xs = read_doubles(x);
  std::vector<double> ys(static_cast<std::size_t>(g.planes * g.out_size));
  std::vector<std::int64_t> taps;
  for_each_index(g.out_spatial, [&](const std::vector<std::int64_t>& coords, std::int64_t o) {
    taps.clear();
    std::int64_t divisor = 0;
    for_each_tap(g.window, g.in_spatial, coords, [&](std::int64_t, std::int64_t i) {
      if (i >= 0) taps.push_back(i);
      if (i >= 0 || (include_pad && i == kInPadding)) ++divisor;
    });
    for (std::int64_t p = 0; p < g.planes; ++p) {
      double sum = 0.0;
      for (std::int64_t i : taps) sum += xs[static_cast<std::size_t>(p * g.in_size + i)];
      ys[static_cast<std::size_t>(p * g.out_size + o)] =
          divisor > 0 ? sum / static_cast<double>(divisor) : 0.0;
    }
  });
  std::vector<HostTensor> outputs;
  outputs.push_back(make_tensor(pooled_shape(x, g.out_spatial), x.dtype(), ys));
  return outputs;
}

}  // namespace

OpSchema max_pool_schema() { return {"MaxPool", "", infer_pool, run_max_pool, max_pool_gpu_lowering()}; }
OpSchema average_pool_schema() { return {"AveragePool", "", infer_pool, run_average_pool,
          average_pool_gpu_lowering()}; }

}  // namespace trtutils::ops::nn
