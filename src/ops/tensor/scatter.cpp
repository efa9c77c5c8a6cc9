// ScatterND (ONNX ScatterND-11/13/16/18), ScatterElements (11/13/16/18) and
// the deprecated Scatter (9, same as ScatterElements without reduction).
// The output is a copy of `data` with `updates` written at `indices`;
// `reduction` (16: none/add/mul, 18: max/min) combines instead of replacing.
// With reduction none and duplicate indices the spec leaves the result
// undefined; here the last update wins.
#include <algorithm>
#include <cstring>
#include <sstream>
#include <string>

#include "ops/tensor/gpu_index_map.hpp"
#include "ops/tensor/tensor_common.hpp"

namespace trtutils::ops::tensor {
namespace {

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

template <typename Ctx>
Reduction parse_reduction(const Ctx& ctx) {
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

// --- GPU ----------------------------------------------------------------------
// The output starts as a copy of data; then each thread owns a set of output
// positions no other thread can touch and applies, in the CPU reference's
// order, every update aimed at them: duplicates resolve deterministically and
// exactly as on the CPU (last wins, reductions in index order), with no
// atomics. ScatterND: a thread per position inside a slice, looping over the
// index tuples. ScatterElements: a thread per line of indices along `axis`,
// looping along it. Out-of-range indices are undefined on the GPU.

/// Statement applying update `value` (storage type of `updates`) to out[at].
std::string apply_code(Reduction r, DType out, DType updates, const std::string& at,
                       const std::string& value) {
  const std::string target = "out[" + at + "]";
  if (r == Reduction::kNone) return target + " = " + gpu::convert_expr(updates, out, value) + ";";
  if (out == DType::kBool) {
    const bool any = r == Reduction::kAdd || r == Reduction::kMax;
    return detail::concat(target, " = ", target, any ? " || " : " && ", "(",
                          gpu::load_expr(updates, value), " != 0);");
  }
  const std::string type = gpu::cuda_compute_type(out);
  const std::string a = "a_";
  const std::string b = "b_";
  std::string combined;
  switch (r) {
    case Reduction::kAdd: combined = a + " + " + b; break;
    case Reduction::kMul: combined = a + " * " + b; break;
    case Reduction::kMax: combined = "(" + a + " < " + b + ") ? " + b + " : " + a; break;
    case Reduction::kMin: combined = "(" + b + " < " + a + ") ? " + b + " : " + a; break;
    case Reduction::kNone: break;
  }
  return detail::concat("{ ", type, " ", a, " = ", gpu::load_expr(out, target), "; ", type, " ", b,
                        " = (", type, ")(", gpu::load_expr(updates, value), "); ", target, " = ",
                        gpu::store_expr(out, combined), "; }");
}

/// out = data: a device copy, or a converting strided copy.
void copy_data(LoweringContext& ctx, const GpuTensor& data, const GpuTensor& out) {
  if (out.element_count() == 0) return;
  if (data.dtype == out.dtype) {
    ctx.emit_layer(ctx.node().name() + "/copy_data", plan::layer_kinds::kCopy, {data.id}, {out.id},
                   {});
    return;
  }
  StridedCopy copy;
  copy.domain = {out.element_count()};
  copy.src_strides = {1};
  copy.dst_strides = {1};
  emit_strided_copy(ctx, "copy_data", copy, data, out);
}

KernelLaunch scatter_launch(const std::string& entry, const std::string& body,
                            const GpuTensor& indices, const GpuTensor& updates,
                            const GpuTensor& out, std::int64_t threads) {
  std::ostringstream code;
  code << gpu::kernel_preamble() << "extern \"C\" __global__ void " << entry << "(const "
       << index_type(indices.dtype) << "* __restrict__ indices, const " << gpu::cuda_type(updates.dtype)
       << "* __restrict__ updates, " << gpu::cuda_type(out.dtype) << "* __restrict__ out) {\n"
       << "  for (long long p = trt_tid(); p < " << threads << "LL; p += trt_stride()) {\n"
       << body << "  }\n}\n";
  KernelLaunch launch;
  launch.source = code.str();
  launch.entry = entry;
  gpu::set_linear_launch(launch, threads);
  launch.arguments = {KernelArgument::pointer_to(indices), KernelArgument::pointer_to(updates),
                      KernelArgument::pointer_to(out)};
  return launch;
}

void lower_scatter_nd(LoweringContext& ctx) {
  const GpuTensor data = ctx.input(0);
  const GpuTensor indices = ctx.input(1);
  const GpuTensor updates = ctx.input(2);
  const GpuTensor out = ctx.output(0);
  const Reduction reduction = parse_reduction(LoweringArgs(ctx));
  const auto r = static_cast<std::int64_t>(data.shape.size());
  const std::int64_t m = indices.shape.empty() ? 0 : indices.shape.back();
  if (indices.shape.empty() || m < 1 || m > r) {
    ctx.fail(detail::concat("indices of shape ", shape_to_string(indices.shape),
                            " do not address data of rank ", r));
  }
  Shape expected(indices.shape.begin(), indices.shape.end() - 1);
  expected.insert(expected.end(), data.shape.begin() + m, data.shape.end());
  if (updates.shape != expected) {
    ctx.fail(detail::concat("updates must have shape ", shape_to_string(expected), ", got ",
                            shape_to_string(updates.shape)));
  }
  copy_data(ctx, data, out);
  const std::int64_t slice = element_count(Shape(data.shape.begin() + m, data.shape.end()));
  const std::int64_t tuples = element_count(Shape(indices.shape.begin(), indices.shape.end() - 1));
  if (slice == 0 || tuples == 0) return;
  const std::vector<std::int64_t> strides = contiguous_strides(data.shape);
  std::ostringstream body;
  body << "    for (long long t = 0; t < " << tuples << "LL; ++t) {\n      long long s = p;\n";
  for (std::int64_t k = 0; k < m; ++k) {
    const auto uk = static_cast<std::size_t>(k);
    body << "      { " << load_index_code("k", detail::concat("indices[t * ", m, "LL + ", k, "]"),
                                          data.shape[uk])
         << "        s += k * " << strides[uk] << "LL; }\n";
  }
  body << "      " << apply_code(reduction, out.dtype, updates.dtype, "s",
                                 detail::concat("updates[t * ", slice, "LL + p]"))
       << "\n    }\n";
  ctx.emit_kernel(ctx.node().name() + "/scatter",
                  scatter_launch("trt_scatter_nd", body.str(), indices, updates, out, slice));
}

void lower_scatter_elements(LoweringContext& ctx) {
  const GpuTensor data = ctx.input(0);
  const GpuTensor indices = ctx.input(1);
  const GpuTensor updates = ctx.input(2);
  const GpuTensor out = ctx.output(0);
  const LoweringArgs args(ctx);
  const Reduction reduction = parse_reduction(args);
  if (updates.shape != indices.shape || indices.shape.size() != data.shape.size()) {
    ctx.fail(detail::concat("indices ", shape_to_string(indices.shape), " and updates ",
                            shape_to_string(updates.shape),
                            " must have the same shape, and data's rank (",
                            shape_to_string(data.shape), ")"));
  }
  const auto axis = static_cast<std::size_t>(axis_of(
      args, args.attributes().get_int("axis", 0), static_cast<std::int64_t>(data.shape.size())));
  for (std::size_t d = 0; d < data.shape.size(); ++d) {
    if (d != axis && indices.shape[d] > data.shape[d]) {
      ctx.fail(detail::concat("indices shape ", shape_to_string(indices.shape),
                              " exceeds data shape ", shape_to_string(data.shape)));
    }
  }
  copy_data(ctx, data, out);
  if (indices.element_count() == 0) return;
  // Lines along `axis`: the other coordinates pick the line, j walks it.
  Shape lines = indices.shape;
  lines[axis] = 1;
  std::vector<std::int64_t> index_strides = contiguous_strides(indices.shape);
  std::vector<std::int64_t> data_strides = contiguous_strides(data.shape);
  const std::int64_t index_axis_stride = index_strides[axis];
  const std::int64_t data_axis_stride = data_strides[axis];
  std::ostringstream body;
  body << "    long long base = 0; long long target = 0;\n"
       << decompose_code("p", lines, {index_strides, data_strides}, {"base", "target"}, "long long")
       << "    for (long long j = 0; j < " << indices.shape[axis] << "LL; ++j) {\n"
       << "      const long long at = base + j * " << index_axis_stride << "LL;\n      "
       << load_index_code("k", "indices[at]", data.shape[axis]) << "      "
       << apply_code(reduction, out.dtype, updates.dtype,
                     detail::concat("target + k * ", data_axis_stride, "LL"), "updates[at]")
       << "\n    }\n";
  ctx.emit_kernel(ctx.node().name() + "/scatter",
                  scatter_launch("trt_scatter_elements", body.str(), indices, updates, out,
                                 element_count(lines)));
}

}  // namespace

void register_scatter(OpRegistry& registry) {
  registry.add({"ScatterND", "", infer_same_as_data, run_scatter_nd, lower_scatter_nd});
  registry.add({"ScatterElements", "", infer_same_as_data, run_scatter_elements,
                lower_scatter_elements});
  registry.add({"Scatter", "", infer_same_as_data, run_scatter_elements, lower_scatter_elements});
}

}  // namespace trtutils::ops::tensor
