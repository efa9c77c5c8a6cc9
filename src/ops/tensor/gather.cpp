// Gather, GatherElements and GatherND (ONNX Gather-1/11/13,
// GatherElements-11/13, GatherND-11/12/13). Indices may be negative (count
// from the end); an index outside [-dim, dim) is a malformed model.
#include <cstring>
#include <sstream>

#include "ops/tensor/gpu_index_map.hpp"
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

// --- GPU ----------------------------------------------------------------------
// One thread per output unit (an element, or a wider raw unit when whole
// blocks are copied); indices are read on the device, negative ones count from
// the end. Out-of-range indices are undefined behaviour on the GPU (the CPU
// reference throws), as in TensorRT and PyTorch's CUDA kernels.

/// Element types for a gather from `data` to `out`: raw units of `unit` bytes
/// when the dtypes agree, else the dtypes themselves with a conversion.
struct MoveTypes {
  std::string src;
  std::string dst;
  std::string (*convert)(const MoveTypes&, const std::string&);
  DType from = DType::kUndefined;
  DType to = DType::kUndefined;
};

MoveTypes move_types(const GpuTensor& data, const GpuTensor& out, std::size_t unit) {
  MoveTypes t;
  t.from = data.dtype;
  t.to = out.dtype;
  if (data.dtype == out.dtype) {
    t.src = t.dst = raw_unit_type(unit);
    t.convert = [](const MoveTypes&, const std::string& v) { return v; };
  } else {
    t.src = gpu::cuda_type(data.dtype);
    t.dst = gpu::cuda_type(out.dtype);
    t.convert = [](const MoveTypes& m, const std::string& v) {
      return gpu::convert_expr(m.from, m.to, v);
    };
  }
  return t;
}

/// Bytes moved as one unit for blocks of `block` elements.
std::size_t block_unit(const GpuTensor& data, const GpuTensor& out, std::int64_t block) {
  const std::size_t size = dtype_size(data.dtype);
  if (data.dtype != out.dtype) return size;
  return widest_unit(size, block * static_cast<std::int64_t>(size));
}

KernelLaunch gather_launch(const std::string& body, const MoveTypes& types, const GpuTensor& data,
                           const GpuTensor& indices, const GpuTensor& out, std::int64_t n) {
  std::ostringstream code;
  code << gpu::kernel_preamble() << "extern \"C\" __global__ void trt_gather(const " << types.src
       << "* __restrict__ data, const " << index_type(indices.dtype) << "* __restrict__ indices, "
       << types.dst << "* __restrict__ out) {\n"
       << "  for (long long i = trt_tid(); i < " << n << "LL; i += trt_stride()) {\n"
       << body << "  }\n}\n";
  KernelLaunch launch;
  launch.source = code.str();
  launch.entry = "trt_gather";
  gpu::set_linear_launch(launch, n);
  launch.arguments = {KernelArgument::pointer_to(data), KernelArgument::pointer_to(indices),
                      KernelArgument::pointer_to(out)};
  return launch;
}

void lower_gather(LoweringContext& ctx) {
  const GpuTensor data = ctx.input(0);
  const GpuTensor indices = ctx.input(1);
  const GpuTensor out = ctx.output(0);
  if (data.shape.empty()) ctx.fail("data must have rank >= 1");
  const auto axis = static_cast<std::size_t>(axis_of(
      LoweringArgs(ctx), ctx.node().attributes().get_int("axis", 0),
      static_cast<std::int64_t>(data.shape.size())));
  const std::int64_t dim = data.shape[axis];
  const std::int64_t inner = element_count(Shape(data.shape.begin() + static_cast<std::ptrdiff_t>(axis) + 1, data.shape.end()));
  const std::size_t unit = block_unit(data, out, inner);
  const std::int64_t inner_units = inner * static_cast<std::int64_t>(dtype_size(data.dtype)) /
                                   static_cast<std::int64_t>(unit);
  const std::int64_t count = indices.element_count();
  const std::int64_t n = out.element_count() * static_cast<std::int64_t>(dtype_size(data.dtype)) /
                         static_cast<std::int64_t>(data.dtype == out.dtype ? unit : dtype_size(data.dtype));
  if (n == 0) return;
  const MoveTypes types = move_types(data, out, unit);
  std::ostringstream body;
  body << "    long long e = i % " << inner_units << "LL; long long t = i / " << inner_units
       << "LL;\n    long long j = t % " << count << "LL; long long o = t / " << count << "LL;\n    "
       << load_index_code("k", "indices[j]", dim) << "    out[i] = "
       << types.convert(types, detail::concat("data[(o * ", dim, "LL + k) * ", inner_units, "LL + e]"))
       << ";\n";
  ctx.emit_kernel(ctx.node().name() + "/gather", gather_launch(body.str(), types, data, indices, out, n));
}

void lower_gather_elements(LoweringContext& ctx) {
  const GpuTensor data = ctx.input(0);
  const GpuTensor indices = ctx.input(1);
  const GpuTensor out = ctx.output(0);
  if (indices.shape.size() != data.shape.size()) {
    ctx.fail(detail::concat("data has rank ", data.shape.size(), " but indices rank ",
                            indices.shape.size()));
  }
  const auto axis = static_cast<std::size_t>(axis_of(
      LoweringArgs(ctx), ctx.node().attributes().get_int("axis", 0),
      static_cast<std::int64_t>(data.shape.size())));
  for (std::size_t d = 0; d < data.shape.size(); ++d) {
    if (d != axis && indices.shape[d] > data.shape[d]) {
      ctx.fail(detail::concat("indices shape ", shape_to_string(indices.shape),
                              " exceeds data shape ", shape_to_string(data.shape), " outside axis ",
                              axis));
    }
  }
  const std::int64_t n = indices.element_count();
  if (n == 0) return;
  std::vector<std::int64_t> strides = contiguous_strides(data.shape);
  const std::int64_t axis_stride = strides[axis];
  strides[axis] = 0;  // the axis coordinate comes from the index instead
  const MoveTypes types = move_types(data, out, dtype_size(data.dtype));
  std::ostringstream body;
  body << "    long long s = 0;\n"
       << decompose_code("i", indices.shape, {strides}, {"s"}, "long long") << "    "
       << load_index_code("k", "indices[i]", data.shape[axis]) << "    out[i] = "
       << types.convert(types, detail::concat("data[s + k * ", axis_stride, "LL]")) << ";\n";
  ctx.emit_kernel(ctx.node().name() + "/gather_elements",
                  gather_launch(body.str(), types, data, indices, out, n));
}

void lower_gather_nd(LoweringContext& ctx) {
  const GpuTensor data = ctx.input(0);
  const GpuTensor indices = ctx.input(1);
  const GpuTensor out = ctx.output(0);
  const std::int64_t b = ctx.node().attributes().get_int("batch_dims", 0);
  const auto q = static_cast<std::int64_t>(indices.shape.size());
  const auto r = static_cast<std::int64_t>(data.shape.size());
  const std::int64_t m = q > 0 ? indices.shape.back() : 0;
  if (q < 1 || b < 0 || m < 1 || b + m > r || b >= q) {
    ctx.fail(detail::concat("index tuples of length ", m, " with batch_dims ", b,
                            " do not fit data of rank ", r, " and indices of rank ", q));
  }
  const auto ub = static_cast<std::size_t>(b);
  const auto um = static_cast<std::size_t>(m);
  const std::int64_t slice = element_count(Shape(data.shape.begin() + b + m, data.shape.end()));
  const std::int64_t tuples = element_count(Shape(indices.shape.begin() + b, indices.shape.end() - 1));
  const std::int64_t batch_stride = element_count(Shape(data.shape.begin() + b, data.shape.end()));
  const std::size_t size = dtype_size(data.dtype);
  const std::size_t unit = block_unit(data, out, slice);
  const auto per_unit = static_cast<std::int64_t>(unit / size);  // elements per unit
  const std::int64_t slice_units = slice / per_unit;
  const std::int64_t n = out.element_count() / per_unit;
  if (n == 0) return;
  const std::vector<std::int64_t> strides = contiguous_strides(data.shape);
  const MoveTypes types = move_types(data, out, unit);
  std::ostringstream body;
  body << "    long long e = i % " << slice_units << "LL; long long t = i / " << slice_units
       << "LL;\n    long long s = (t / " << tuples << "LL) * " << batch_stride / per_unit
       << "LL + e;\n";
  for (std::size_t k = 0; k < um; ++k) {
    body << "    { " << load_index_code("k", detail::concat("indices[t * ", m, "LL + ", k, "]"),
                                        data.shape[ub + k])
         << "      s += k * " << strides[ub + k] / per_unit << "LL; }\n";
  }
  body << "    out[i] = " << types.convert(types, "data[s]") << ";\n";
  ctx.emit_kernel(ctx.node().name() + "/gather_nd",
                  gather_launch(body.str(), types, data, indices, out, n));
}

}  // namespace

void register_gather(OpRegistry& registry) {
  registry.add({"Gather", "", infer_gather, run_gather, lower_gather});
  registry.add({"GatherElements", "", infer_gather_elements, run_gather_elements,
                lower_gather_elements});
  registry.add({"GatherND", "", infer_gather_nd, run_gather_nd, lower_gather_nd});
}

}  // namespace trtutils::ops::tensor
