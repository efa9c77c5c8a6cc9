// Add, Sub, Mul, Div, Mod, Pow with numpy broadcasting
// (https://onnx.ai/onnx/operators/). Integers compute natively, f16/bf16 in f32.
#include <cmath>
#include <cstdint>

#include "ops/elementwise/elementwise.hpp"

namespace trtutils::ops::elementwise {

namespace {

auto divide(const CpuContext& ctx) {
  // Integer division truncates toward zero (the reference divides and casts
  // back to the integer type).
  return [&ctx](auto a, auto b) {
    using T = decltype(a);
    if constexpr (std::is_integral_v<T>) {
      if (b == T(0)) ctx.fail("integer division by zero");
    }
    return static_cast<T>(a / b);
  };
}

// Mod: with fmod = 0 the result takes the divisor's sign (Python's %), with
// fmod = 1 the dividend's (C's fmod). Floats require fmod = 1 by the spec; a
// float Mod with fmod = 0 is computed like numpy.mod.
auto modulo(const CpuContext& ctx) {
  const bool c_fmod = ctx.attributes().get_int("fmod", 0) != 0;
  return [&ctx, c_fmod](auto a, auto b) {
    using T = decltype(a);
    if constexpr (std::is_floating_point_v<T>) {
      const T r = std::fmod(a, b);
      if (c_fmod || r == T(0) || (r < T(0)) == (b < T(0))) return r;
      return static_cast<T>(r + b);
    } else {
      if (b == T(0)) ctx.fail("integer modulo by zero");
      const T r = static_cast<T>(a % b);
      if constexpr (std::is_signed_v<T>) {
        if (!c_fmod && r != T(0) && ((r < T(0)) != (b < T(0)))) return static_cast<T>(r + b);
      }
      return r;
    }
  };
}

template <typename T>
T integer_power(T base, std::int64_t exponent) {
  if (exponent < 0) {
    // 1 / base^n truncated toward zero.
    if (base == T(1)) return T(1);
    if constexpr (std::is_signed_v<T>) {
      if (base == T(-1)) return exponent % 2 == 0 ? T(1) : T(-1);
    }
    return T(0);
  }
  T result = 1;
  while (exponent > 0) {
    if (exponent & 1) result = static_cast<T>(result * base);
    base = static_cast<T>(base * base);
    exponent >>= 1;
  }
  return result;
}

// Pow: base and exponent may have different types (opset >= 12); the result
// has the base's type. Integer ** integer is exact; everything else is
// computed in double and converted to the base's type.
OpSchema pow_op() {
  OpSchema schema;
  schema.op_type = "Pow";
  schema.lower_gpu = gpu::lower_elementwise;
  schema.infer = [](InferContext& ctx) {
    if (ctx.input_count() != 2) ctx.fail("needs exactly two inputs");
    refuse_legacy_axis_broadcast(ctx);
    check_input_type(ctx, 0, Types::kNumeric);
    check_input_type(ctx, 1, Types::kNumeric);
    broadcast_rule(ctx);
  };
  schema.run_cpu = [](const CpuContext& ctx) {
    const HostTensor& base = ctx.input(0);
    const HostTensor bc = to_compute(base);
    const HostTensor ec = to_compute(ctx.input(1));
    HostTensor y = visit_compute<Types::kNumeric>(base.dtype(), ctx, [&](auto btag) {
      using B = typename decltype(btag)::type;
      return visit_compute<Types::kNumeric>(ec.dtype(), ctx, [&](auto etag) {
        using E = typename decltype(etag)::type;
        return broadcast_map<B, B, E>(
            [](B b, E e) {
              if constexpr (std::is_integral_v<B> && std::is_integral_v<E>) {
                return integer_power(b, static_cast<std::int64_t>(e));
              } else {
                return static_cast<B>(std::pow(static_cast<double>(b), static_cast<double>(e)));
              }
            },
            {&bc, &ec});
      });
    });
    std::vector<HostTensor> outputs;
    outputs.push_back(from_compute(std::move(y), base.dtype()));
    return outputs;
  };
  return schema;
}

}  // namespace

void register_binary_arithmetic(OpRegistry& registry) {
  registry.add(binary_op<Types::kNumeric>(
      "Add", fixed_binary([](auto a, auto b) { return static_cast<decltype(a)>(a + b); })));
  registry.add(binary_op<Types::kNumeric>(
      "Sub", fixed_binary([](auto a, auto b) { return static_cast<decltype(a)>(a - b); })));
  registry.add(binary_op<Types::kNumeric>(
      "Mul", fixed_binary([](auto a, auto b) { return static_cast<decltype(a)>(a * b); })));
  registry.add(binary_op<Types::kNumeric>("Div", divide));
  registry.add(binary_op<Types::kNumeric>("Mod", modulo));
  registry.add(pow_op());
}

}  // namespace trtutils::ops::elementwise
