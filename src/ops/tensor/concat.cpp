// Concat: joins inputs along `axis` (ONNX Concat-1/4/11/13; negative axes
// from 11). All inputs share dtype and every dim except `axis`.
#include <cstring>

#include "ops/tensor/gpu_index_map.hpp"
#include "ops/tensor/tensor_common.hpp"

namespace trtutils::ops::tensor {
namespace {

std::int64_t concat_axis(const ir::Attributes& attrs, std::int64_t opset) {
  // Concat-1 made axis optional with default 1; from Concat-4 it is required.
  return opset < 4 ? attrs.get_int("axis", 1) : attrs.get_int("axis");
}

void infer_concat(InferContext& ctx) {
  if (ctx.input_count() == 0) ctx.fail("needs at least one input");
  const DType dtype = ctx.input_dtype(0);
  std::optional<std::size_t> rank;
  for (std::size_t i = 0; i < ctx.input_count(); ++i) {
    if (ctx.input_dtype(i) != dtype && ctx.input_dtype(i) != DType::kUndefined &&
        dtype != DType::kUndefined) {
      ctx.fail(detail::concat("input ", i, " is ", dtype_name(ctx.input_dtype(i)), ", input 0 is ",
                              dtype_name(dtype)));
    }
    if (ctx.input_shape(i)) rank = ctx.input_shape(i)->size();
  }
  if (!rank) return ctx.set_output(0, dtype, std::nullopt);
  const auto axis = static_cast<std::size_t>(
      axis_of(ctx, concat_axis(ctx.attributes(), ctx.opset()), static_cast<std::int64_t>(*rank)));
  ir::DimList out = unknown_dims(*rank);
  std::int64_t axis_sum = 0;
  bool axis_known = true;
  for (std::size_t i = 0; i < ctx.input_count(); ++i) {
    const ir::MaybeShape& shape = ctx.input_shape(i);
    if (!shape) {
      axis_known = false;
      continue;
    }
    if (shape->size() != *rank) {
      ctx.fail(detail::concat("input ", i, " has rank ", shape->size(), ", expected ", *rank));
    }
    for (std::size_t d = 0; d < *rank; ++d) {
      const ir::Dim& dim = (*shape)[d];
      if (d == axis) {
        if (dim.is_static()) {
          axis_sum += dim.value;
        } else {
          axis_known = false;
        }
      } else if (dim.is_static()) {
        if (out[d].is_static() && out[d].value != dim.value) {
          ctx.fail(detail::concat("input ", i, " has shape ", ir::to_string(shape),
                                  ", which disagrees with the others outside axis ", axis));
        }
        out[d] = dim;
      } else if (!out[d].is_static() && out[d].symbol.empty()) {
        out[d] = dim;
      }
    }
  }
  out[axis] = axis_known ? ir::Dim(axis_sum) : ir::Dim();
  ctx.set_output(0, dtype, out);
}

std::vector<HostTensor> run_concat(const CpuContext& ctx) {
  const HostTensor& first = ctx.input(0);
  const std::int64_t rank = first.rank();
  const auto axis = static_cast<std::size_t>(
      axis_of(ctx, concat_axis(ctx.attributes(), ctx.opset()), rank));
  Shape out_shape = first.shape();
  out_shape[axis] = 0;
  for (std::size_t i = 0; i < ctx.input_count(); ++i) {
    const HostTensor& in = ctx.input(i);
    bool same = in.dtype() == first.dtype() && in.rank() == rank;
    for (std::size_t d = 0; same && d < out_shape.size(); ++d) {
      same = d == axis || in.shape()[d] == first.shape()[d];
    }
    if (!same) {
      ctx.fail(detail::concat("input ", i, " (", dtype_name(in.dtype()), " ",
                              shape_to_string(in.shape()), ") does not match input 0 (",
                              dtype_name(first.dtype()), " ", shape_to_string(first.shape()),
                              ") outside axis ", axis));
    }
    out_shape[axis] += in.shape()[axis];
  }
  HostTensor out(out_shape, first.dtype());
  const std::size_t size = dtype_size(first.dtype());
  const std::int64_t outer = element_count(Shape(out_shape.begin(), out_shape.begin() + axis));
  const std::int64_t inner = element_count(Shape(out_shape.begin() + axis + 1, out_shape.end()));
  const auto out_row = static_cast<std::size_t>(out_shape[axis] * inner) * size;
  std::size_t column = 0;  // bytes already filled in each output row
  for (std::size_t i = 0; i < ctx.input_count(); ++i) {
    const HostTensor& in = ctx.input(i);
    const auto in_row = static_cast<std::size_t>(in.shape()[axis] * inner) * size;
    for (std::int64_t o = 0; in_row != 0 && o < outer; ++o) {
      const auto row = static_cast<std::size_t>(o);
      std::memcpy(bytes_of(out) + row * out_row + column, bytes_of(in) + row * in_row, in_row);
    }
    column += in_row;
  }
  return {std::move(out)};
}

// GPU: one strided copy per input into its window of the output (an alias
// for a lone input).
void lower_concat(LoweringContext& ctx) {
  const GpuTensor out = ctx.output(0);
  const auto axis = static_cast<std::size_t>(axis_of(
      LoweringArgs(ctx), concat_axis(ctx.node().attributes(), ctx.opset()),
      static_cast<std::int64_t>(out.shape.size())));
  const std::vector<std::int64_t> out_strides = contiguous_strides(out.shape);
  std::int64_t column = 0;
  for (std::size_t i = 0; i < ctx.input_count(); ++i) {
    const GpuTensor in = ctx.input(i);
    if (in.shape.size() != out.shape.size()) {
      ctx.fail(detail::concat("input ", i, " has rank ", in.shape.size(), ", output ",
                              out.shape.size()));
    }
    StridedCopy copy;
    copy.domain = in.shape;
    copy.src_strides = contiguous_strides(in.shape);
    copy.dst_strides = out_strides;
    copy.dst_offset = column * out_strides[axis];
    column += in.shape[axis];
    lower_copy(ctx, detail::concat("input", i), copy, i, 0);
  }
  if (column != out.shape[axis]) {
    ctx.fail(detail::concat("inputs add up to ", column, " along axis ", axis, ", output has ",
                            out.shape[axis]));
  }
}

}  // namespace

void register_concat(OpRegistry& registry) {
  registry.add({"Concat", "", infer_concat, run_concat, lower_concat});
}

}  // namespace trtutils::ops::tensor
