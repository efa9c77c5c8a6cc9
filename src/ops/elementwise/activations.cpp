// Activations: Relu, LeakyRelu, PRelu, Elu, Selu, Celu, HardSigmoid,
// HardSwish, Softplus, Softsign (https://onnx.ai/onnx/operators/).
#include <cmath>

#include "ops/elementwise/elementwise.hpp"

namespace trtutils::ops::elementwise {

namespace {

auto relu() {
  return fixed([](auto x) {
    using T = decltype(x);
    return x > T(0) || x != x ? x : T(0);  // NaN stays NaN, as max(x, 0) in numpy
  });
}

auto leaky_relu(const ir::Attributes& a) {
  const float alpha = a.get_float("alpha", 0.01f);
  return [alpha](auto x) {
    using T = decltype(x);
    return x < T(0) ? static_cast<T>(alpha) * x : x;
  };
}

auto elu(const ir::Attributes& a) {
  const float alpha = a.get_float("alpha", 1.0f);
  return [alpha](auto x) {
    using T = decltype(x);
    return x < T(0) ? static_cast<T>(alpha) * (std::exp(x) - T(1)) : x;
  };
}

auto selu(const ir::Attributes& a) {
  const float alpha = a.get_float("alpha", 1.67326319217681884765625f);
  const float gamma = a.get_float("gamma", 1.05070102214813232421875f);
  return [alpha, gamma](auto x) {
    using T = decltype(x);
    const T g = static_cast<T>(gamma);
    return x <= T(0) ? g * (static_cast<T>(alpha) * std::exp(x) - static_cast<T>(alpha)) : g * x;
  };
}

auto celu(const ir::Attributes& a) {
  const float alpha = a.get_float("alpha", 1.0f);
  return [alpha](auto x) {
    using T = decltype(x);
    const T al = static_cast<T>(alpha);
    // max(0, x) + min(0, ...) as NumPy evaluates it: NaN propagates.
    return numpy_maximum(T(0), x) + numpy_minimum(T(0), al * (std::exp(x / al) - T(1)));
  };
}

auto hard_sigmoid(float alpha, float beta) {
  return [alpha, beta](auto x) {
    using T = decltype(x);
    // max(0, min(1, alpha * x + beta)) as NumPy evaluates it: NaN propagates.
    return numpy_maximum(T(0), numpy_minimum(T(1), static_cast<T>(alpha) * x + static_cast<T>(beta)));
  };
}

auto softplus() {
  // log(1 + exp(x)), written so that exp never overflows.
  return fixed([](auto x) {
    using T = decltype(x);
    return x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
  });
}

OpSchema prelu() {
  // y = x < 0 ? slope * x : x, slope broadcast to x's shape (unidirectional).
  OpSchema schema;
  schema.op_type = "PRelu";
  schema.lower_gpu = gpu::lower_elementwise;
  schema.infer = [](InferContext& ctx) {
    check_input_type(ctx, 0, Types::kNumeric);
    broadcast_rule(ctx);
  };
  schema.run_cpu = [](const CpuContext& ctx) {
    const HostTensor& x = ctx.input(0);
    const HostTensor xc = to_compute(x);
    const HostTensor slope = to_compute(ctx.input(1));
    if (slope.dtype() != xc.dtype()) ctx.fail("slope and input have different element types");
    HostTensor y = visit_compute<Types::kNumeric>(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      return broadcast_map<T, T, T>(
          [](T v, T s) {
            if constexpr (std::is_unsigned_v<T>) {
              (void)s;
              return v;
            } else {
              return v < T(0) ? static_cast<T>(s * v) : v;
            }
          },
          {&xc, &slope});
    });
    if (y.shape() != x.shape()) ctx.fail("slope must broadcast to the input's shape");
    std::vector<HostTensor> outputs;
    outputs.push_back(from_compute(std::move(y), x.dtype()));
    return outputs;
  };
  return schema;
}

}  // namespace

void register_activations(OpRegistry& registry) {
  registry.add(unary_op<Types::kSignedOrFloat>("Relu", relu()));
  registry.add(unary_op<Types::kFloat>("LeakyRelu", leaky_relu));
  registry.add(unary_op<Types::kFloat>("Elu", elu));
  registry.add(unary_op<Types::kFloat>("Selu", selu));
  registry.add(unary_op<Types::kFloat>("Celu", celu));
  registry.add(unary_op<Types::kFloat>("HardSigmoid", [](const ir::Attributes& a) {
    return hard_sigmoid(a.get_float("alpha", 0.2f), a.get_float("beta", 0.5f));
  }));
  // HardSwish(x) = x * HardSigmoid(x) with alpha = 1/6, beta = 0.5.
  registry.add(unary_op<Types::kFloat>(
      "HardSwish", fixed([](auto x) { return x * hard_sigmoid(1.0f / 6.0f, 0.5f)(x); })));
  registry.add(unary_op<Types::kFloat>("Softplus", softplus()));
  registry.add(unary_op<Types::kFloat>("Softsign", fixed([](auto x) {
                                         using T = decltype(x);
                                         return x / (T(1) + std::abs(x));
                                       })));
  registry.add(prelu());
}

}  // namespace trtutils::ops::elementwise
