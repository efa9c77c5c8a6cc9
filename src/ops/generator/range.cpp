// Range (https://onnx.ai/onnx/operators/onnx__Range.html): start, limit and
// delta are scalars of one type; the output has
// max(ceil((limit - start) / delta), 0) elements start + i * delta.
#include <cmath>

#include "ops/elementwise/gpu_elementwise.hpp"
#include "ops/generator/generator.hpp"
#include "ops/gpu_codegen.hpp"

namespace trtutils::ops::generator {

namespace {

template <typename T>
std::int64_t range_length(T start, T limit, T delta) {
  if constexpr (std::is_integral_v<T>) {
    // Exact ceiling division in 64-bit integers.
    const std::int64_t span = static_cast<std::int64_t>(limit) - static_cast<std::int64_t>(start);
    const std::int64_t step = static_cast<std::int64_t>(delta);
    std::int64_t n = span / step;
    if (n * step != span && ((span < 0) == (step < 0))) ++n;
    return std::max<std::int64_t>(n, 0);
  } else {
    const double n = std::ceil((static_cast<double>(limit) - static_cast<double>(start)) /
                               static_cast<double>(delta));
    return n > 0 ? static_cast<std::int64_t>(n) : 0;
  }
}

template <typename Ctx>
void check_scalars(const Ctx& ctx, const HostTensor& start, const HostTensor& limit,
                   const HostTensor& delta) {
  for (const HostTensor* t : {&start, &limit, &delta}) {
    if (t->element_count() != 1) ctx.fail("start, limit and delta must be scalars");
    if (t->dtype() != start.dtype()) ctx.fail("start, limit and delta must have one element type");
  }
}

// Calls f(start, limit, delta) with the values in their own type T.
template <typename Ctx, typename F>
auto with_scalars(const Ctx& ctx, const HostTensor& s, const HostTensor& l, const HostTensor& d,
                  F&& f) {
  check_scalars(ctx, s, l, d);
  return visit_dtype(s.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, Half> ||
                  std::is_same_v<T, BFloat16>) {
      ctx.fail(detail::concat("element type ", dtype_name(s.dtype()), " is not allowed"));
      return f(0.0f, 1.0f, 1.0f);  // unreachable; gives every branch one return type
    } else {
      const T delta = d.values<T>()[0];
      if (delta == T(0)) ctx.fail("delta must not be zero");
      return f(s.values<T>()[0], l.values<T>()[0], delta);
    }
  });
}

OpSchema range() {
  OpSchema schema;
  schema.op_type = "Range";
  // out[i] = start + i * delta, computed like the CPU reference (the product
  // and sum rounded separately: no fused multiply-add).
  schema.lower_gpu = [](LoweringContext& ctx) {
    const HostTensor* s = ctx.input_constant(0);
    const HostTensor* l = ctx.input_constant(1);
    const HostTensor* d = ctx.input_constant(2);
    if (!s || !l || !d) {
      ctx.unsupported(
          "inputs 'start', 'limit' and 'delta' must be known at build time (weights, folded "
          "constants or BuildOptions::constant_inputs)");
    }
    const std::int64_t n = with_scalars(LoweringView{ctx}, *s, *l, *d,
                                        [](auto start, auto limit, auto delta) {
                                          return range_length(start, limit, delta);
                                        });
    const GpuTensor out = ctx.output(0);
    if (out.element_count() != n) {
      ctx.fail(detail::concat("output has ", out.element_count(), " elements, the range ", n));
    }
    const DType dtype = s->dtype();
    std::string expression;
    if (dtype == DType::kFloat32 || dtype == DType::kFloat64) {
      const std::string start = gpu::literal(read_doubles(*s)[0], dtype);
      const std::string delta = gpu::literal(read_doubles(*d)[0], dtype);
      expression = dtype == DType::kFloat32
                       ? "__fadd_rn(" + start + ", __fmul_rn((float)i, " + delta + "))"
                       : "__dadd_rn(" + start + ", __dmul_rn((double)i, " + delta + "))";
    } else {
      const std::string type = gpu::cuda_type(dtype);
      expression = "((" + type + ")(" + gpu::integer_literal(read_ints(*s)[0], dtype) + " + (" +
                   type + ")i * " + gpu::integer_literal(read_ints(*d)[0], dtype) + "))";
    }
    emit_fill(ctx, out, dtype, expression, "");
  };
  schema.infer = [](InferContext& ctx) {
    const HostTensor* s = ctx.input_constant(0);
    const HostTensor* l = ctx.input_constant(1);
    const HostTensor* d = ctx.input_constant(2);
    ir::Dim length;
    if (s && l && d) {
      length = with_scalars(ctx, *s, *l, *d, [](auto start, auto limit, auto delta) {
        return range_length(start, limit, delta);
      });
    }
    ctx.set_output(0, ctx.input_dtype(0), ir::DimList{length});
  };
  schema.run_cpu = [](const CpuContext& ctx) {
    std::vector<HostTensor> outputs;
    outputs.push_back(with_scalars(
        ctx, ctx.input(0), ctx.input(1), ctx.input(2), [](auto start, auto limit, auto delta) {
          using T = decltype(start);
          const std::int64_t n = range_length(start, limit, delta);
          HostTensor out({n}, dtype_of<T>);
          const auto values = out.values<T>();
          for (std::int64_t i = 0; i < n; ++i) {
            values[static_cast<std::size_t>(i)] = static_cast<T>(start + static_cast<T>(i) * delta);
          }
          return out;
        }));
    return outputs;
  };
  return schema;
}

}  // namespace

void register_range(OpRegistry& registry) { registry.add(range()); }

}  // namespace trtutils::ops::generator
