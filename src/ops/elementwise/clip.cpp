// Clip (https://onnx.ai/onnx/operators/onnx__Clip.html): before opset 11 the
// bounds are float attributes `min`/`max`; from opset 11 they are optional
// scalar inputs of the input's type (integers allowed from opset 12). A
// missing bound does not clip. When min > max every value becomes max.
// As numpy.clip (minimum(maximum(x, min), max)): a NaN input or a NaN bound
// gives NaN.
#include <limits>

#include "ops/elementwise/elementwise.hpp"

namespace trtutils::ops::elementwise {

namespace {

// The bound given by input `index` (opset >= 11) or attribute `name`, or
// `fallback` when absent.
template <typename T>
T bound(const CpuContext& ctx, std::size_t index, const char* name, T fallback) {
  if (ctx.opset() < 11) {
    if (!ctx.attributes().has(name)) return fallback;
    return static_cast<T>(ctx.attributes().get_float(name));
  }
  if (!ctx.has_input(index)) return fallback;
  const HostTensor value = to_compute(ctx.input(index));
  if (value.element_count() != 1) ctx.fail(detail::concat("'", name, "' must be a scalar"));
  if (value.dtype() != dtype_of<T>) {
    ctx.fail(detail::concat("'", name, "' has element type ", dtype_name(ctx.input(index).dtype()),
                            ", not the input's"));
  }
  return value.values<T>()[0];
}

OpSchema clip() {
  OpSchema schema;
  schema.op_type = "Clip";
  schema.lower_gpu = gpu::lower_elementwise;
  schema.infer = [](InferContext& ctx) {
    check_input_type(ctx, 0, Types::kNumeric);
    for (std::size_t i = 1; i < ctx.input_count(); ++i) {
      if (ctx.has_input(i) && known_and_different(ctx.input_dtype(i), ctx.input_dtype(0))) {
        ctx.fail("min and max must have the input's element type");
      }
    }
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
  };
  schema.run_cpu = [](const CpuContext& ctx) {
    const HostTensor& x = ctx.input(0);
    const HostTensor xc = to_compute(x);
    HostTensor y = visit_compute<Types::kNumeric>(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T lo = bound<T>(ctx, 1, "min", std::numeric_limits<T>::lowest());
      const T hi = bound<T>(ctx, 2, "max", std::numeric_limits<T>::max());
      return map_unary<T>(xc, [lo, hi](T v) { return numpy_minimum(numpy_maximum(v, lo), hi); });
    });
    std::vector<HostTensor> outputs;
    outputs.push_back(from_compute(std::move(y), x.dtype()));
    return outputs;
  };
  return schema;
}

}  // namespace

void register_clip(OpRegistry& registry) { registry.add(clip()); }

}  // namespace trtutils::ops::elementwise
