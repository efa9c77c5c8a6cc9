// Unary math: Abs, Neg, Sign, Floor, Ceil, Round, Sqrt, Reciprocal, Exp, Log,
// Sin, Cos, Tanh, Erf, Sigmoid, Not. Semantics of https://onnx.ai/onnx/operators/.
#include <cmath>

#include "ops/elementwise/elementwise.hpp"

namespace trtutils::ops::elementwise {

namespace {

template <typename T>
T abs_value(T x) {
  if constexpr (std::is_unsigned_v<T>) {
    return x;
  } else {
    return x < T(0) ? static_cast<T>(-x) : x;
  }
}

template <typename T>
T sign_of(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(x)) return x;
  }
  if (x > T(0)) return T(1);
  if constexpr (std::is_unsigned_v<T>) {
    return T(0);
  } else {
    return x < T(0) ? T(-1) : T(0);
  }
}

template <typename T>
T sigmoid(T x) {
  // Split at 0 so that exp never overflows.
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

}  // namespace

void register_unary_math(OpRegistry& registry) {
  registry.add(unary_op<Types::kNumeric>("Abs", fixed([](auto x) { return abs_value(x); })));
  registry.add(unary_op<Types::kSignedOrFloat>(
      "Neg", fixed([](auto x) { return static_cast<decltype(x)>(-x); })));
  registry.add(unary_op<Types::kNumeric>("Sign", fixed([](auto x) { return sign_of(x); })));
  registry.add(unary_op<Types::kFloat>("Floor", fixed([](auto x) { return std::floor(x); })));
  registry.add(unary_op<Types::kFloat>("Ceil", fixed([](auto x) { return std::ceil(x); })));
  // Round: halves go to the nearest even integer, which is what nearbyint
  // does in the default rounding mode (FE_TONEAREST).
  registry.add(unary_op<Types::kFloat>("Round", fixed([](auto x) { return std::nearbyint(x); })));
  registry.add(unary_op<Types::kFloat>("Sqrt", fixed([](auto x) { return std::sqrt(x); })));
  registry.add(
      unary_op<Types::kFloat>("Reciprocal", fixed([](auto x) { return decltype(x)(1) / x; })));
  registry.add(unary_op<Types::kFloat>("Exp", fixed([](auto x) { return std::exp(x); })));
  registry.add(unary_op<Types::kFloat>("Log", fixed([](auto x) { return std::log(x); })));
  registry.add(unary_op<Types::kFloat>("Sin", fixed([](auto x) { return std::sin(x); })));
  registry.add(unary_op<Types::kFloat>("Cos", fixed([](auto x) { return std::cos(x); })));
  registry.add(unary_op<Types::kFloat>("Tanh", fixed([](auto x) { return std::tanh(x); })));
  registry.add(unary_op<Types::kFloat>("Erf", fixed([](auto x) { return std::erf(x); })));
  registry.add(unary_op<Types::kFloat>("Sigmoid", fixed([](auto x) { return sigmoid(x); })));
  registry.add(unary_op<Types::kBool>("Not", fixed([](bool x) { return !x; })));
}

}  // namespace trtutils::ops::elementwise
