// TopK (ONNX TopK-1/10/11): the k largest (or, from 11, smallest) elements
// along `axis` and their i64 indices. k is an attribute before 10, then a
// 1-element i64 input. Equal values keep the lower index first (the order
// ONNX's tests expect); the result is always sorted, which `sorted = 0`
// permits.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "ops/detection/detection_ops.hpp"
#include "ops/support.hpp"

namespace trtutils::ops::detection {
namespace {

/// A value's sort key: f16/bf16 compare as float, the rest as themselves.
template <typename T>
auto sort_key(T value) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    return static_cast<float>(value);
  } else {
    return value;
  }
}

void infer_top_k(InferContext& ctx) {
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& shape = ctx.input_shape(0);
  if (!shape) {
    ctx.set_output(0, dtype, std::nullopt);
    ctx.set_output(1, DType::kInt64, std::nullopt);
    return;
  }
  const std::int64_t axis = normalize_axis(ctx.attributes().get_int("axis", -1),
                                           static_cast<std::int64_t>(shape->size()), ctx.node());
  ir::Dim k;
  if (ctx.opset() < 10) {
    k = ctx.attributes().get_int("k");
  } else if (const HostTensor* kt = ctx.input_constant(1)) {
    const std::vector<std::int64_t> kv = read_ints(*kt);
    if (kv.size() != 1) ctx.fail("K must hold exactly one value");
    k = kv[0];
  }
  if (k.is_static() && k.value < 0)
    ctx.fail(detail::concat("k must not be negative, got ", k.value));
  const ir::Dim& dim = (*shape)[static_cast<std::size_t>(axis)];
  if (k.is_static() && dim.is_static() && k.value > dim.value) {
    ctx.fail(detail::concat("k = ", k.value, " exceeds the axis size ", dim.value));
  }
  ir::DimList out = *shape;
  out[static_cast<std::size_t>(axis)] = k;
  ctx.set_output(0, dtype, out);
  ctx.set_output(1, DType::kInt64, out);
}

std::vector<HostTensor> run_top_k(const CpuContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const std::int64_t axis =
      normalize_axis(ctx.attributes().get_int("axis", -1), x.rank(), ctx.node());
  std::int64_t k = 0;
  if (ctx.opset() < 10) {
    k = ctx.attributes().get_int("k");
  } else {
    const std::vector<std::int64_t> kv = read_ints(ctx.input(1));
    if (kv.size() != 1) ctx.fail("K must hold exactly one value");
    k = kv[0];
  }
  const bool largest = ctx.opset() < 11 || ctx.attributes().get_int("largest", 1) != 0;
  const std::int64_t n = x.shape()[static_cast<std::size_t>(axis)];
  if (k < 0 || k > n) ctx.fail(detail::concat("k = ", k, " is outside [0, ", n, "]"));

  Shape out_shape = x.shape();
  out_shape[static_cast<std::size_t>(axis)] = k;
  HostTensor values(out_shape, x.dtype());
  HostTensor indices(out_shape, DType::kInt64);
  std::int64_t inner = 1;
  for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < x.shape().size(); ++d)
    inner *= x.shape()[d];
  std::int64_t outer = 1;
  for (std::size_t d = 0; d < static_cast<std::size_t>(axis); ++d) outer *= x.shape()[d];
  const std::size_t e = dtype_size(x.dtype());
  const auto* src = static_cast<const std::byte*>(x.data());
  auto* dst = static_cast<std::byte*>(values.data());
  auto out_idx = indices.values<std::int64_t>();

  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto data = x.values<T>();
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    for (std::int64_t o = 0; o < outer; ++o) {
      for (std::int64_t i = 0; i < inner; ++i) {
        const std::int64_t base = o * n * inner + i;
        const auto at = [&](std::int64_t j) {
          return sort_key(data[static_cast<std::size_t>(base + j * inner)]);
        };
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](std::int64_t l, std::int64_t r) {
          return largest ? at(l) > at(r) : at(l) < at(r);
        });
        for (std::int64_t j = 0; j < k; ++j) {
          const std::int64_t from = base + order[static_cast<std::size_t>(j)] * inner;
          const std::int64_t to = o * k * inner + j * inner + i;
          std::memcpy(dst + static_cast<std::size_t>(to) * e,
                      src + static_cast<std::size_t>(from) * e, e);
          out_idx[static_cast<std::size_t>(to)] = order[static_cast<std::size_t>(j)];
        }
      }
    }
  });
  return {std::move(values), std::move(indices)};
}

}  // namespace

OpSchema top_k_schema() { return {"TopK", "", infer_top_k, run_top_k}; }

}  // namespace trtutils::ops::detection
