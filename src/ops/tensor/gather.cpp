// Gather, GatherElements and GatherND (ONNX Gather-1/11/13,
// GatherElements-11/13, GatherND-11/12/13). Indices may be negative (count
// from the end); an index outside [-dim, dim) is a malformed model.
#include <cstring>

#include "ops/tensor/tensor_common.hpp"

namespace trtutils::ops::tensor {
namespace {

void check_indices_dtype(const InferContext& ctx, std::size_t i) {
  const DType d = ctx.input_dtype(i);
  if (d != DType::kInt32 && d != DType::kInt64 && d != DType::kUndefined) {
    ctx.fail(detail::concat("indices must be int32 or int64, got ", dtype_name(d)));
  }
}

template <typename Ctx>
[[noreturn]] void index_out_of_range(const Ctx& ctx, std::int64_t index, std::int64_t dim,
                                     std::int64_t axis) {
  ctx.fail(detail::concat("index ", index, " is out of range for axis ", axis, " of size ", dim,
                          " (valid: ", -dim, " .. ", dim - 1, ")"));
}

// --- Gather: out = data[..., indices[j...], ...] along axis ---------------

void infer_gather(InferContext& ctx) {
  check_indices_dtype(ctx, 1);
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& data = ctx.input_shape(0);
  const ir::MaybeShape& indices = ctx.input_shape(1);
  if (!data || !indices) return ctx.set_output(0, dtype, std::nullopt);
  if (data->empty()) ctx.fail("data must have rank >= 1");
  const auto axis = static_cast<std::size_t>(axis_of(
      ctx, ctx.attributes().get_int("axis", 0), static_cast<std::int64_t>(data->size())));
  ir::DimList out(data->begin(), data->begin() + static_cast<std::ptrdiff_t>(axis));
  out.insert(out.end(), indices->begin(), indices->end());
  out.insert(out.end(), data->begin() + static_cast<std::ptrdiff_t>(axis) + 1, data->end());
  ctx.set_output(0, dtype, out);
}

std::vector<HostTensor> run_gather(const CpuContext& ctx) {
  const HostTensor& data = ctx.input(0);
  std::vector<std::int64_t> indices = input_ints(ctx, 1, "indices");
  const Shape& index_shape = ctx.input(1).shape();
  if (data.rank() == 0) ctx.fail("data must have rank >= 1");
  const std::int64_t axis = axis_of(ctx, ctx.attributes().get_int("axis", 0), data.rank());
  const auto a = static_cast<std::size_t>(axis);
  const std::int64_t dim = data.shape()[a];
  for (std::int64_t& index : indices) {
    const std::int64_t given = index;
    if (!wrap_index(index, dim)) index_out_of_range(ctx, given, dim, axis);
  }
  Shape out_shape(data.shape().begin(), data.shape().begin() + axis);
  out_shape.insert(out_shape.end(), index_shape.begin(), index_shape.end());
  out_shape.insert(out_shape.end(), data.shape().begin() + axis + 1, data.shape().end());
  HostTensor out(out_shape, data.dtype());

  const std::size_t size = dtype_size(data.dtype());
  const std::int64_t outer = element_count(Shape(data.shape().begin(), data.shape().begin() + axis));
  const std::int64_t inner = element_count(Shape(data.shape().begin() + axis + 1, data.shape().end()));
  const auto block = static_cast<std::size_t>(inner) * size;
  std::byte* dst = bytes_of(out);
  for (std::int64_t o = 0; block != 0 && o < outer; ++o) {
    for (const std::int64_t index : indices) {
      std::memcpy(dst, bytes_of(data) + static_cast<std::size_t>((o * dim + index) * inner) * size,
                  block);
      dst += block;
    }
  }
  return {std::move(out)};
}

// --- GatherElements: out[i] = data[i with i[axis] := indices[i]] ----------

void infer_gather_elements(InferContext& ctx) {
  check_indices_dtype(ctx, 1);
  const ir::MaybeShape& data = ctx.input_shape(0);
  const ir::MaybeShape& indices = ctx.input_shape(1);
  if (data && indices && data->size() != indices->size()) {
    ctx.fail(detail::concat("data has rank ", data->size(), " but indices rank ", indices->size()));
  }
  ctx.set_output(0, ctx.input_dtype(0), indices);
}

std::vector<HostTensor> run_gather_elements(const CpuContext& ctx) {
  const HostTensor& data = ctx.input(0);
  const std::vector<std::int64_t> indices = input_ints(ctx, 1, "indices");
  const Shape& index_shape = ctx.input(1).shape();
  if (static_cast<std::int64_t>(index_shape.size()) != data.rank()) {
    ctx.fail(detail::concat("data has rank ", data.rank(), " but indices rank ", index_shape.size()));
  }
  const std::int64_t axis = axis_of(ctx, ctx.attributes().get_int("axis", 0), data.rank());
  const auto a = static_cast<std::size_t>(axis);
  for (std::size_t d = 0; d < index_shape.size(); ++d) {
    if (d != a && index_shape[d] > data.shape()[d]) {
      ctx.fail(detail::concat("indices shape ", shape_to_string(index_shape),
                              " exceeds data shape ", shape_to_string(data.shape()),
                              " outside axis ", axis));
    }
  }
  HostTensor out(index_shape, data.dtype());
  const std::size_t size = dtype_size(data.dtype());
  const std::vector<std::int64_t> strides = contiguous_strides(data.shape());
  const std::int64_t dim = data.shape()[a];
  for_each_index(index_shape, [&](const std::vector<std::int64_t>& coords, std::int64_t linear) {
    std::int64_t index = indices[static_cast<std::size_t>(linear)];
    if (!wrap_index(index, dim)) index_out_of_range(ctx, indices[static_cast<std::size_t>(linear)], dim, axis);
    std::int64_t source = 0;
    for (std::size_t d = 0; d < coords.size(); ++d) {
      source += (d == a ? index : coords[d]) * strides[d];
    }
    std::memcpy(bytes_of(out) + static_cast<std::size_t>(linear) * size,
                bytes_of(data) + static_cast<std::size_t>(source) * size, size);
  });
  return {std::move(out)};
}

// --- GatherND: index tuples of length m select slices of data ------------
// With batch_dims b, the first b dims of data and indices are batch dims
// walked together; out shape = indices.shape[:-1] + data.shape[b + m:].

void infer_gather_nd(InferContext& ctx) {
  check_indices_dtype(ctx, 1);
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& data = ctx.input_shape(0);
  const ir::MaybeShape& indices = ctx.input_shape(1);
  if (!data || !indices || indices->empty() || !indices->back().is_static()) {
    return ctx.set_output(0, dtype, std::nullopt);
  }
  const std::int64_t b = ctx.attributes().get_int("batch_dims", 0);
  const std::int64_t m = indices->back().value;
  const auto r = static_cast<std::int64_t>(data->size());
  if (b < 0 || m < 1 || b + m > r || b >= static_cast<std::int64_t>(indices->size())) {
    ctx.fail(detail::concat("index tuples of length ", m, " with batch_dims ", b,
                            " do not fit data of rank ", r, " and indices of rank ",
                            indices->size()));
  }
  ir::DimList out(indices->begin(), indices->end() - 1);
  out.insert(out.end(), data->begin() + b + m, data->end());
  ctx.set_output(0, dtype, out);
}

std::vector<HostTensor> run_gather_nd(const CpuContext& ctx) {
  const HostTensor& data = ctx.input(0);
  const std::vector<std::int64_t> indices = input_ints(ctx, 1, "indices");
  const Shape& index_shape = ctx.input(1).shape();
  const std::int64_t b = ctx.attributes().get_int("batch_dims", 0);
  const std::int64_t q = static_cast<std::int64_t>(index_shape.size());
  const std::int64_t r = data.rank();
  const std::int64_t m = q > 0 ? index_shape.back() : 0;
  if (q < 1 || b < 0 || m < 1 || b + m > r || b >= q) {
    ctx.fail(detail::concat("index tuples of length ", m, " with batch_dims ", b,
                            " do not fit data of rank ", r, " and indices of rank ", q));
  }
  for (std::int64_t d = 0; d < b; ++d) {
    if (index_shape[static_cast<std::size_t>(d)] != data.shape()[static_cast<std::size_t>(d)]) {
      ctx.fail(detail::concat("batch dim ", d, " differs: data ", shape_to_string(data.shape()),
                              ", indices ", shape_to_string(index_shape)));
    }
  }
  Shape out_shape(index_shape.begin(), index_shape.end() - 1);
  out_shape.insert(out_shape.end(), data.shape().begin() + b + m, data.shape().end());
  HostTensor out(out_shape, data.dtype());

  const std::size_t size = dtype_size(data.dtype());
  const std::vector<std::int64_t> strides = contiguous_strides(data.shape());
  const std::int64_t slice = element_count(Shape(data.shape().begin() + b + m, data.shape().end()));
  // Tuples per batch entry, and data elements per batch entry.
  const std::int64_t batches = element_count(Shape(index_shape.begin(), index_shape.begin() + b));
  const std::int64_t tuples = element_count(Shape(index_shape.begin() + b, index_shape.end() - 1));
  const std::int64_t batch_stride = element_count(Shape(data.shape().begin() + b, data.shape().end()));
  std::byte* dst = bytes_of(out);
  const auto block = static_cast<std::size_t>(slice) * size;
  for (std::int64_t n = 0; n < batches; ++n) {
    for (std::int64_t t = 0; t < tuples; ++t) {
      const std::int64_t tuple = (n * tuples + t) * m;
      std::int64_t source = n * batch_stride;
      for (std::int64_t k = 0; k < m; ++k) {
        const auto axis = static_cast<std::size_t>(b + k);
        std::int64_t index = indices[static_cast<std::size_t>(tuple + k)];
        if (!wrap_index(index, data.shape()[axis])) {
          index_out_of_range(ctx, indices[static_cast<std::size_t>(tuple + k)], data.shape()[axis],
                             b + k);
        }
        source += index * strides[axis];
      }
      if (block != 0) std::memcpy(dst, bytes_of(data) + static_cast<std::size_t>(source) * size, block);
      dst += block;
    }
  }
  return {std::move(out)};
}

}  // namespace

void register_gather(OpRegistry& registry) {
  registry.add({"Gather", "", infer_gather, run_gather});
  registry.add({"GatherElements", "", infer_gather_elements, run_gather_elements});
  registry.add({"GatherND", "", infer_gather_nd, run_gather_nd});
}

}  // namespace trtutils::ops::tensor
