// ScatterND (ONNX ScatterND-11/13/16/18), ScatterElements (11/13/16/18) and
// the deprecated Scatter (9, same as ScatterElements without reduction).
// The output is a copy of `data` with `updates` written at `indices`;
// `reduction` (16: none/add/mul, 18: max/min) combines instead of replacing.
// With reduction none and duplicate indices the spec leaves the result
// undefined; here the last update wins.
#include <algorithm>
#include <cstring>
#include <string>

#include "ops/tensor/tensor_common.hpp"

namespace trtutils::ops::tensor {
namespace {

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

Reduction parse_reduction(const CpuContext& ctx) {
  const std::string name = ctx.attributes().get_string("reduction", "none");
  if (name == "none") return Reduction::kNone;
  if (name == "add") return Reduction::kAdd;
  if (name == "mul") return Reduction::kMul;
  if (name == "max") return Reduction::kMax;
  if (name == "min") return Reduction::kMin;
  ctx.fail(detail::concat("reduction '", name, "' is not one of none, add, mul, max, min"));
}

template <typename T>
T combine_values(T a, T b, Reduction r) {
  if constexpr (std::is_same_v<T, bool>) {
    return (r == Reduction::kAdd || r == Reduction::kMax) ? (a || b) : (a && b);
  } else if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    return T(combine_values(static_cast<float>(a), static_cast<float>(b), r));
  } else {
    switch (r) {
      case Reduction::kAdd: return static_cast<T>(a + b);
      case Reduction::kMul: return static_cast<T>(a * b);
      case Reduction::kMax: return std::max(a, b);
      case Reduction::kMin: return std::min(a, b);
      case Reduction::kNone: break;
    }
    return b;
  }
}

/// Writes `count` elements from src into dst, combining per `r`.
void scatter_elements_into(DType dtype, std::byte* dst, const std::byte* src, std::int64_t count,
                           Reduction r) {
  const std::size_t size = dtype_size(dtype);
  if (r == Reduction::kNone) {
    if (count > 0) std::memcpy(dst, src, static_cast<std::size_t>(count) * size);
    return;
  }
  visit_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (std::int64_t i = 0; i < count; ++i) {
      T a;
      T b;
      std::memcpy(&a, dst + static_cast<std::size_t>(i) * size, size);
      std::memcpy(&b, src + static_cast<std::size_t>(i) * size, size);
      const T c = combine_values(a, b, r);
      std::memcpy(dst + static_cast<std::size_t>(i) * size, &c, size);
    }
  });
}

void check_indices_dtype(const InferContext& ctx, std::size_t i) {
  const DType d = ctx.input_dtype(i);
  if (d != DType::kInt32 && d != DType::kInt64 && d != DType::kUndefined) {
    ctx.fail(detail::concat("indices must be int32 or int64, got ", dtype_name(d)));
  }
}

void infer_same_as_data(InferContext& ctx) {
  check_indices_dtype(ctx, 1);
  if (ctx.input_dtype(2) != ctx.input_dtype(0) && ctx.input_dtype(2) != DType::kUndefined &&
      ctx.input_dtype(0) != DType::kUndefined) {
    ctx.fail(detail::concat("updates are ", dtype_name(ctx.input_dtype(2)), " but data is ",
                            dtype_name(ctx.input_dtype(0))));
  }
  ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
}

// --- ScatterND -------------------------------------------------------------
// indices [..., m] address slices data[i0..i(m-1), :]; updates have shape
// indices.shape[:-1] + data.shape[m:].

std::vector<HostTensor> run_scatter_nd(const CpuContext& ctx) {
  const HostTensor& data = ctx.input(0);
  const std::vector<std::int64_t> indices = input_ints(ctx, 1, "indices");
  const Shape& index_shape = ctx.input(1).shape();
  const HostTensor& updates = ctx.input(2);
  const Reduction reduction = parse_reduction(ctx);
  const std::int64_t r = data.rank();
  const std::int64_t m = index_shape.empty() ? 0 : index_shape.back();
  if (index_shape.empty() || m < 1 || m > r) {
    ctx.fail(detail::concat("indices of shape ", shape_to_string(index_shape),
                            " do not address data of rank ", r));
  }
  Shape expected(index_shape.begin(), index_shape.end() - 1);
  expected.insert(expected.end(), data.shape().begin() + m, data.shape().end());
  if (updates.shape() != expected || updates.dtype() != data.dtype()) {
    ctx.fail(detail::concat("updates must be ", dtype_name(data.dtype()), " ",
                            shape_to_string(expected), ", got ", dtype_name(updates.dtype()), " ",
                            shape_to_string(updates.shape())));
  }
  HostTensor out = data;
  const std::size_t size = dtype_size(data.dtype());
  const std::vector<std::int64_t> strides = contiguous_strides(data.shape());
  const std::int64_t slice = element_count(Shape(data.shape().begin() + m, data.shape().end()));
  const std::int64_t tuples = element_count(Shape(index_shape.begin(), index_shape.end() - 1));
  for (std::int64_t t = 0; t < tuples; ++t) {
    std::int64_t target = 0;
    for (std::int64_t k = 0; k < m; ++k) {
      const auto axis = static_cast<std::size_t>(k);
      std::int64_t index = indices[static_cast<std::size_t>(t * m + k)];
      if (!wrap_index(index, data.shape()[axis])) {
        ctx.fail(detail::concat("index ", indices[static_cast<std::size_t>(t * m + k)],
                                " is out of range for axis ", k, " of size ", data.shape()[axis]));
      }
      target += index * strides[axis];
    }
    scatter_elements_into(data.dtype(), bytes_of(out) + static_cast<std::size_t>(target) * size,
                          bytes_of(updates) + static_cast<std::size_t>(t * slice) * size, slice,
                          reduction);
  }
  return {std::move(out)};
}

// --- ScatterElements ---------------------------------------------------------
// out[i with i[axis] := indices[i]] = updates[i] for every i in indices' shape.

std::vector<HostTensor> run_scatter_elements(const CpuContext& ctx) {
  const HostTensor& data = ctx.input(0);
  const std::vector<std::int64_t> indices = input_ints(ctx, 1, "indices");
  const Shape& index_shape = ctx.input(1).shape();
  const HostTensor& updates = ctx.input(2);
  const Reduction reduction = parse_reduction(ctx);
  if (updates.shape() != index_shape || updates.dtype() != data.dtype() ||
      static_cast<std::int64_t>(index_shape.size()) != data.rank()) {
    ctx.fail(detail::concat("indices ", shape_to_string(index_shape), " and updates ",
                            dtype_name(updates.dtype()), " ", shape_to_string(updates.shape()),
                            " must have the same shape, and data's rank and dtype (",
                            dtype_name(data.dtype()), " ", shape_to_string(data.shape()), ")"));
  }
  const std::int64_t axis = axis_of(ctx, ctx.attributes().get_int("axis", 0), data.rank());
  const auto a = static_cast<std::size_t>(axis);
  HostTensor out = data;
  const std::size_t size = dtype_size(data.dtype());
  const std::vector<std::int64_t> strides = contiguous_strides(data.shape());
  for_each_index(index_shape, [&](const std::vector<std::int64_t>& coords, std::int64_t linear) {
    const std::int64_t given = indices[static_cast<std::size_t>(linear)];
    std::int64_t index = given;
    if (!wrap_index(index, data.shape()[a])) {
      ctx.fail(detail::concat("index ", given, " is out of range for axis ", axis, " of size ",
                              data.shape()[a]));
    }
    std::int64_t target = 0;
    for (std::size_t d = 0; d < coords.size(); ++d) {
      if (d != a && coords[d] >= data.shape()[d]) {
        ctx.fail(detail::concat("indices shape ", shape_to_string(index_shape),
                                " exceeds data shape ", shape_to_string(data.shape())));
      }
      target += (d == a ? index : coords[d]) * strides[d];
    }
    scatter_elements_into(data.dtype(), bytes_of(out) + static_cast<std::size_t>(target) * size,
                          bytes_of(updates) + static_cast<std::size_t>(linear) * size, 1,
                          reduction);
  });
  return {std::move(out)};
}

}  // namespace

void register_scatter(OpRegistry& registry) {
  registry.add({"ScatterND", "", infer_same_as_data, run_scatter_nd});
  registry.add({"ScatterElements", "", infer_same_as_data, run_scatter_elements});
  registry.add({"Scatter", "", infer_same_as_data, run_scatter_elements});
}

}  // namespace trtutils::ops::tensor
