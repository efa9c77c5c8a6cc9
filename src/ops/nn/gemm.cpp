// Gemm: https://onnx.ai/onnx/operators/onnx__Gemm.html
// Y = alpha * A' * B' + beta * C, A' = transA ? A^T : A ([M, K]),
// B' = transB ? B^T : B ([K, N]); C (optional since opset 11) broadcasts
// unidirectionally to [M, N].
#include "ops/nn/nn_ops.hpp"
#include "ops/nn/numeric.hpp"

namespace trtutils::ops::nn {
namespace {

void infer_gemm(InferContext& ctx) {
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& a = ctx.input_shape(0);
  const ir::MaybeShape& b = ctx.input_shape(1);
  if ((a && a->size() != 2) || (b && b->size() != 2)) ctx.fail("A and B must be 2-D");
  const bool trans_a = ctx.attributes().get_int("transA", 0) != 0;
  const bool trans_b = ctx.attributes().get_int("transB", 0) != 0;
  const ir::Dim m = a ? (*a)[trans_a ? 1 : 0] : ir::Dim();
  const ir::Dim n = b ? (*b)[trans_b ? 0 : 1] : ir::Dim();
  if (a && b) {
    const ir::Dim& ka = (*a)[trans_a ? 0 : 1];
    const ir::Dim& kb = (*b)[trans_b ? 1 : 0];
    if (ka.is_static() && kb.is_static() && ka.value != kb.value) {
      ctx.fail(detail::concat("inner dims differ: A ", ir::to_string(a), ", B ", ir::to_string(b)));
    }
  }
  ctx.set_output(0, dtype, ir::DimList{m, n});
}

template <typename Acc>
std::vector<double> product_ab(const HostTensor& a, const HostTensor& b, bool trans_a, bool trans_b,
                               std::int64_t m, std::int64_t k, std::int64_t n) {
  const std::vector<Acc> av = read_as<Acc>(a);
  const std::vector<Acc> bv = read_as<Acc>(b);
  std::vector<double> out(static_cast<std::size_t>(m * n));
  for (std::int64_t r = 0; r < m; ++r) {
    for (std::int64_t c = 0; c < n; ++c) {
      Acc acc = 0;
      for (std::int64_t j = 0; j < k; ++j) {
        const Acc x = av[static_cast<std::size_t>(trans_a ? j * m + r : r * k + j)];
        const Acc y = bv[static_cast<std::size_t>(trans_b ? c * k + j : j * n + c)];
        acc += x * y;
      }
      out[static_cast<std::size_t>(r * n + c)] = static_cast<double>(acc);
    }
  }
  return out;
}

std::vector<HostTensor> run_gemm(const CpuContext& ctx) {
  const HostTensor& a = ctx.input(0);
  const HostTensor& b = ctx.input(1);
  if (a.rank() != 2 || b.rank() != 2) ctx.fail("A and B must be 2-D");
  const bool trans_a = ctx.attributes().get_int("transA", 0) != 0;
  const bool trans_b = ctx.attributes().get_int("transB", 0) != 0;
  const double alpha = ctx.attributes().get_float("alpha", 1.0f);
  const double beta = ctx.attributes().get_float("beta", 1.0f);
  const std::int64_t m = a.shape()[trans_a ? 1 : 0];
  const std::int64_t k = a.shape()[trans_a ? 0 : 1];
  const std::int64_t n = b.shape()[trans_b ? 0 : 1];
  if (b.shape()[trans_b ? 1 : 0] != k) {
    ctx.fail(detail::concat("inner dims differ: A ", shape_to_string(a.shape()), ", B ",
                            shape_to_string(b.shape()), " (transA ", trans_a, ", transB ", trans_b,
                            ")"));
  }
  std::vector<double> y = with_accumulator(a.dtype(), [&](auto tag) {
    return product_ab<typename decltype(tag)::type>(a, b, trans_a, trans_b, m, k, n);
  });
  const Shape out_shape{m, n};
  std::vector<double> c(y.size(), 0.0);
  if (ctx.has_input(2)) {
    const HostTensor& ct = ctx.input(2);
    if (!broadcasts_to(ct.shape(), out_shape)) {
      ctx.fail(detail::concat("C of shape ", shape_to_string(ct.shape()),
                              " does not broadcast to [M, N] = ", shape_to_string(out_shape)));
    }
    const std::vector<double> cv = read_doubles(ct);
    const std::vector<std::int64_t> strides = broadcast_strides(ct.shape(), out_shape);
    for (std::int64_t r = 0; r < m; ++r) {
      for (std::int64_t col = 0; col < n; ++col) {
        c[static_cast<std::size_t>(r * n + col)] =
            cv[static_cast<std::size_t>(r * strides[0] + col * strides[1])];
      }
    }
  }
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = alpha * y[i] + beta * c[i];
  std::vector<HostTensor> outputs;
  outputs.push_back(make_tensor(out_shape, a.dtype(), y));
  return outputs;
}

}  // namespace

OpSchema gemm_schema() { return {"Gemm", "", infer_gemm, run_gemm, gemm_gpu_lowering()}; }

}  // namespace trtutils::ops::nn
