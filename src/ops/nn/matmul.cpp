// MatMul: https://onnx.ai/onnx/operators/onnx__MatMul.html (numpy.matmul):
// 1-D A is [1, K] with that dim dropped from the result, 1-D B is [K, 1]
// likewise; leading (batch) dims broadcast. Integers accumulate in int64.
#include "ops/nn/nn_ops.hpp"
#include "ops/nn/numeric.hpp"

namespace trtutils::ops::nn {
namespace {

void infer_matmul(InferContext& ctx) {
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& a = ctx.input_shape(0);
  const ir::MaybeShape& b = ctx.input_shape(1);
  if (!a || !b) return ctx.set_output(0, dtype, std::nullopt);
  if (a->empty() || b->empty()) ctx.fail("MatMul operands must have rank >= 1");
  const ir::Dim& ka = a->back();
  const ir::Dim& kb = b->size() == 1 ? (*b)[0] : (*b)[b->size() - 2];
  if (ka.is_static() && kb.is_static() && ka.value != kb.value) {
    ctx.fail(detail::concat("inner dims differ: A ", ir::to_string(a), ", B ", ir::to_string(b)));
  }
  const ir::DimList batch_a(
      a->begin(), a->end() - std::min<std::ptrdiff_t>(2, static_cast<std::ptrdiff_t>(a->size())));
  const ir::DimList batch_b(
      b->begin(), b->end() - std::min<std::ptrdiff_t>(2, static_cast<std::ptrdiff_t>(b->size())));
  ir::MaybeShape out = broadcast_shapes(ir::MaybeShape(batch_a), ir::MaybeShape(batch_b));
  if (a->size() >= 2) out->push_back((*a)[a->size() - 2]);
  if (b->size() >= 2) out->push_back(b->back());
  ctx.set_output(0, dtype, std::move(out));
}

template <typename Acc>
HostTensor matmul(const CpuContext& ctx, const HostTensor& a, const HostTensor& b) {
  // View both as batched matrices: [..., M, K] x [..., K, N].
  Shape sa = a.shape();
  Shape sb = b.shape();
  if (sa.size() == 1) sa.insert(sa.begin(), 1);
  if (sb.size() == 1) sb.push_back(1);
  const std::int64_t m = sa[sa.size() - 2];
  const std::int64_t k = sa.back();
  const std::int64_t n = sb.back();
  if (sb[sb.size() - 2] != k) {
    ctx.fail(detail::concat("inner dims differ: A ", shape_to_string(a.shape()), ", B ",
                            shape_to_string(b.shape())));
  }
  const Shape batch_a(sa.begin(), sa.end() - 2);
  const Shape batch_b(sb.begin(), sb.end() - 2);
  const Shape batch = broadcast_shapes(batch_a, batch_b);
  const std::vector<std::int64_t> stride_a = broadcast_strides(batch_a, batch);
  const std::vector<std::int64_t> stride_b = broadcast_strides(batch_b, batch);
  const std::vector<Acc> av = read_as<Acc>(a);
  const std::vector<Acc> bv = read_as<Acc>(b);
  std::vector<Acc> yv(static_cast<std::size_t>(element_count(batch) * m * n));
  for_each_index(batch, [&](const std::vector<std::int64_t>& coords, std::int64_t p) {
    std::int64_t ia = 0;
    std::int64_t ib = 0;
    for (std::size_t d = 0; d < coords.size(); ++d) {
      ia += coords[d] * stride_a[d];
      ib += coords[d] * stride_b[d];
    }
    const std::int64_t base_a = ia * m * k;
    const std::int64_t base_b = ib * k * n;
    for (std::int64_t r = 0; r < m; ++r) {
      for (std::int64_t c = 0; c < n; ++c) {
        Acc acc = 0;
        for (std::int64_t j = 0; j < k; ++j) {
          acc += av[static_cast<std::size_t>(base_a + r * k + j)] *
                 bv[static_cast<std::size_t>(base_b + j * n + c)];
        }
        yv[static_cast<std::size_t>((p * m + r) * n + c)] = acc;
      }
    }
  });
  Shape out = batch;
  if (a.rank() >= 2) out.push_back(m);
  if (b.rank() >= 2) out.push_back(n);
  return make_tensor(std::move(out), a.dtype(), yv);
}

std::vector<HostTensor> run_matmul(const CpuContext& ctx) {
  const HostTensor& a = ctx.input(0);
  const HostTensor& b = ctx.input(1);
  if (a.rank() == 0 || b.rank() == 0) ctx.fail("MatMul operands must have rank >= 1");
  if (a.dtype() != b.dtype()) ctx.fail("A and B must have the same dtype");
  std::vector<HostTensor> outputs;
  outputs.push_back(with_accumulator(
      a.dtype(), [&](auto tag) { return matmul<typename decltype(tag)::type>(ctx, a, b); }));
  return outputs;
}

}  // namespace

OpSchema matmul_schema() { return {"MatMul", "", infer_matmul, run_matmul, matmul_gpu_lowering()}; }

}  // namespace trtutils::ops::nn
