#include "ops/tensor/gpu_index_map.hpp"

#include <cstdlib>
#include <limits>
#include <sstream>

namespace trtutils::ops::tensor {

std::vector<std::int64_t> build_time_ints(const LoweringContext& ctx, std::size_t i,
                                          const char* what) {
  const HostTensor* value = ctx.has_input(i) ? ctx.input_constant(i) : nullptr;
  if (!value) {
    ctx.unsupported(detail::concat("input '", what, "' of ", ctx.node().op_type(),
                                   " must be known at build time; pass it as a constant input"));
  }
  if (!is_integer(value->dtype())) {
    ctx.fail(detail::concat(what, " must be an integer tensor, got ", dtype_name(value->dtype())));
  }
  return read_ints(*value);
}

// --- the strided copy --------------------------------------------------------

namespace {

std::int64_t wrap_of(const StridedCopy& c, std::size_t d) {
  return c.src_wrap.empty() ? 0 : c.src_wrap[d];
}

/// Largest |index| the copy computes on either side (and the element count):
/// decides whether 32-bit index arithmetic is exact.
std::int64_t index_bound(const StridedCopy& c) {
  std::int64_t src = std::llabs(c.src_offset);
  std::int64_t dst = std::llabs(c.dst_offset);
  for (std::size_t d = 0; d < c.domain.size(); ++d) {
    const std::int64_t w = wrap_of(c, d);
    const std::int64_t reach = (w != 0 ? std::min(w, c.domain[d]) : c.domain[d]) - 1;
    src += reach * std::llabs(c.src_strides[d]);
    dst += (c.domain[d] - 1) * std::llabs(c.dst_strides[d]);
  }
  return std::max({src, dst, element_count(c.domain)});
}

std::string literal(std::int64_t v) {
  return v < 0 ? detail::concat("(", v, ")") : std::to_string(v);
}

/// Divides the innermost run into `factor`-element units (see widest_unit).
bool widen(StridedCopy& c, std::int64_t factor) {
  const std::size_t last = c.domain.size() - 1;
  if (c.domain[last] % factor != 0 || c.src_offset % factor != 0 || c.dst_offset % factor != 0) {
    return false;
  }
  for (std::size_t d = 0; d < last; ++d) {
    if (c.src_strides[d] % factor != 0 || c.dst_strides[d] % factor != 0) return false;
  }
  c.domain[last] /= factor;
  c.src_offset /= factor;
  c.dst_offset /= factor;
  for (std::size_t d = 0; d < last; ++d) {
    c.src_strides[d] /= factor;
    c.dst_strides[d] /= factor;
  }
  return true;
}

}  // namespace

StridedCopy simplify(StridedCopy copy) {
  const std::size_t rank = copy.domain.size();
  TRTUTILS_CHECK(copy.src_strides.size() == rank && copy.dst_strides.size() == rank &&
                     (copy.src_wrap.empty() || copy.src_wrap.size() == rank),
                 "StridedCopy: strides and wraps need one entry per domain dim");
  StridedCopy out;
  out.src_offset = copy.src_offset;
  out.dst_offset = copy.dst_offset;
  std::vector<std::int64_t> wraps;
  for (std::size_t d = 0; d < rank; ++d) {
    if (copy.domain[d] == 0) {
      // Nothing to copy: keep the empty domain as is.
      out.domain = {0};
      out.src_strides = {1};
      out.dst_strides = {1};
      return out;
    }
    if (copy.domain[d] == 1) continue;
    std::int64_t w = wrap_of(copy, d);
    if (w >= copy.domain[d]) w = 0;
    if (!out.domain.empty()) {
      const std::size_t p = out.domain.size() - 1;
      const bool linear = w == 0 && wraps[p] == 0 &&
                          out.src_strides[p] == copy.src_strides[d] * copy.domain[d] &&
                          out.dst_strides[p] == copy.dst_strides[d] * copy.domain[d];
      if (linear) {
        out.domain[p] *= copy.domain[d];
        out.src_strides[p] = copy.src_strides[d];
        out.dst_strides[p] = copy.dst_strides[d];
        continue;
      }
    }
    out.domain.push_back(copy.domain[d]);
    out.src_strides.push_back(copy.src_strides[d]);
    out.dst_strides.push_back(copy.dst_strides[d]);
    wraps.push_back(w);
  }
  bool any_wrap = false;
  for (const std::int64_t w : wraps) any_wrap = any_wrap || w != 0;
  if (any_wrap) out.src_wrap = wraps;
  return out;
}

bool is_identity(const StridedCopy& copy, std::int64_t src_count, std::int64_t dst_count) {
  const StridedCopy c = simplify(copy);
  const std::int64_t n = element_count(c.domain);
  if (n != src_count || n != dst_count || c.src_offset != 0 || c.dst_offset != 0) return false;
  return c.domain.empty() || (c.domain.size() == 1 && c.src_strides[0] == 1 && c.dst_strides[0] == 1);
}

std::string raw_unit_type(std::size_t bytes) {
  switch (bytes) {
    case 1: return "unsigned char";
    case 2: return "unsigned short";
    case 4: return "unsigned int";
    case 8: return "unsigned long long";
    case 16: return "uint4";
    default: break;
  }
  throw InvalidArgument(detail::concat("no raw unit of ", bytes, " bytes"));
}

std::size_t widest_unit(std::size_t element_size, std::int64_t run_bytes) {
  for (std::size_t unit = 16; unit > element_size; unit /= 2) {
    if (unit % element_size == 0 && run_bytes % static_cast<std::int64_t>(unit) == 0) return unit;
  }
  return element_size;
}

std::string decompose_code(const std::string& linear, const Shape& extents,
                           const std::vector<std::vector<std::int64_t>>& strides,
                           const std::vector<std::string>& targets, const std::string& type,
                           const std::vector<std::int64_t>& wrap) {
  std::ostringstream code;
  if (extents.empty()) return {};
  code << "    { " << type << " rest = (" << type << ")(" << linear << ");\n";
  for (std::size_t d = extents.size(); d-- > 0;) {
    const bool outermost = d == 0;
    code << "      { " << type << " c = " << (outermost ? "rest" : "rest % " + std::to_string(extents[d]))
         << ";";
    if (!outermost) code << " rest /= " << extents[d] << ";";
    for (std::size_t t = 0; t < targets.size(); ++t) {
      const std::int64_t stride = strides[t][d];
      if (stride == 0) continue;
      const bool wrapped = t == 0 && !wrap.empty() && wrap[d] != 0;
      code << " " << targets[t] << " += " << (wrapped ? "(c % " + std::to_string(wrap[d]) + ")" : "c");
      if (stride != 1) code << " * " << literal(stride);
      code << ";";
    }
    code << " }\n";
  }
  code << "    }\n";
  return code.str();
}

std::string load_index_code(const std::string& variable, const std::string& at,
                            std::int64_t extent) {
  return detail::concat("long long ", variable, " = (long long)(", at, "); if (", variable,
                        " < 0) ", variable, " += ", extent, "LL;\n");
}

std::string index_type(DType dtype) {
  if (dtype == DType::kInt32) return "int";
  if (dtype == DType::kInt64) return "long long";
  throw UnsupportedError(detail::concat("indices must be int32 or int64, got ", dtype_name(dtype)));
}

KernelLaunch strided_copy_launch(StridedCopy copy, const GpuTensor& src, const GpuTensor& dst) {
  copy = simplify(std::move(copy));
  const bool raw = src.dtype == dst.dtype;
  std::size_t unit = dtype_size(src.dtype);
  std::string src_type = gpu::cuda_type(src.dtype);
  std::string dst_type = gpu::cuda_type(dst.dtype);
  if (raw) {
    const std::size_t last = copy.domain.size();
    const bool contiguous_run = last > 0 && copy.src_strides[last - 1] == 1 &&
                                copy.dst_strides[last - 1] == 1 &&
                                (copy.src_wrap.empty() || copy.src_wrap[last - 1] == 0);
    if (contiguous_run) {
      const std::size_t wide = widest_unit(unit, copy.domain[last - 1] * static_cast<std::int64_t>(unit));
      // Try the widest unit first, then narrower ones the strides allow.
      for (std::size_t w = wide; w > unit; w /= 2) {
        if (w % unit == 0 && widen(copy, static_cast<std::int64_t>(w / unit))) {
          unit = w;
          break;
        }
      }
    }
    src_type = dst_type = raw_unit_type(unit);
  }
  const std::int64_t n = element_count(copy.domain);
  const std::string type =
      index_bound(copy) < std::numeric_limits<std::int32_t>::max() ? "int" : "long long";

  // Writing in domain order to a contiguous window needs no decomposition.
  bool dst_linear = true;
  std::int64_t expected = 1;
  for (std::size_t d = copy.domain.size(); d-- > 0;) {
    dst_linear = dst_linear && copy.dst_strides[d] == expected;
    expected *= copy.domain[d];
  }
  std::vector<std::vector<std::int64_t>> strides{copy.src_strides};
  std::vector<std::string> targets{"s"};
  if (!dst_linear) {
    strides.push_back(copy.dst_strides);
    targets.push_back("d");
  }

  std::ostringstream code;
  code << gpu::kernel_preamble();
  code << "extern \"C\" __global__ void trt_strided_copy(const " << src_type
       << "* __restrict__ src, " << dst_type << "* __restrict__ dst) {\n";
  code << "  for (long long i = trt_tid(); i < " << n << "LL; i += trt_stride()) {\n";
  code << "    " << type << " s = " << literal(copy.src_offset) << ";\n";
  code << "    " << type << " d = " << literal(copy.dst_offset)
       << (dst_linear ? " + (" + type + ")i" : "") << ";\n";
  code << decompose_code("i", copy.domain, strides, targets, type, copy.src_wrap);
  code << "    dst[d] = " << (raw ? "src[s]" : gpu::convert_expr(src.dtype, dst.dtype, "src[s]"))
       << ";\n";
  code << "  }\n}\n";

  KernelLaunch launch;
  launch.source = code.str();
  launch.entry = "trt_strided_copy";
  gpu::set_linear_launch(launch, n);
  launch.arguments = {KernelArgument::pointer_to(src), KernelArgument::pointer_to(dst)};
  return launch;
}

void emit_strided_copy(LoweringContext& ctx, const std::string& part, const StridedCopy& copy,
                       const GpuTensor& src, const GpuTensor& dst) {
  if (element_count(copy.domain) == 0) return;
  ctx.emit_kernel(ctx.node().name() + "/" + part, strided_copy_launch(copy, src, dst));
}

void lower_copy(LoweringContext& ctx, const std::string& part, const StridedCopy& copy,
                std::size_t input, std::size_t output) {
  const GpuTensor src = ctx.input(input);
  const GpuTensor dst = ctx.output(output);
  if (src.dtype == dst.dtype && is_identity(copy, src.element_count(), dst.element_count())) {
    return ctx.alias_output(output, input);
  }
  emit_strided_copy(ctx, part, copy, src, dst);
}

void alias_or_copy(LoweringContext& ctx) {
  const GpuTensor in = ctx.input(0);
  const GpuTensor out = ctx.output(0);
  if (in.element_count() != out.element_count()) {
    ctx.fail(detail::concat("input ", shape_to_string(in.shape), " and output ",
                            shape_to_string(out.shape), " differ in element count"));
  }
  if (in.dtype == out.dtype) return ctx.alias_output(0, 0);
  StridedCopy copy;
  copy.domain = {in.element_count()};
  copy.src_strides = {1};
  copy.dst_strides = {1};
  emit_strided_copy(ctx, "convert", copy, in, out);
}

}  // namespace trtutils::ops::tensor
