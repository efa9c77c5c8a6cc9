// The element-wise expression table (see gpu_expressions.hpp): every op of the
// element-wise family, with the semantics of its CPU reference in this folder
// (NaN propagation of Relu/Min/Max/Clip/HardSigmoid/HardSwish/Celu as NumPy
// evaluates the ONNX formulas, integer division truncation, Mod's sign
// rule, Round half-to-even, exact integer Pow, Cast's NaN/out-of-range rule).
#include "ops/elementwise/gpu_expressions.hpp"

#include <map>

#include "ops/elementwise/elementwise.hpp"
#include "ops/elementwise/gpu_elementwise.hpp"
#include "ops/gpu_codegen.hpp"

namespace trtutils::ops::gpu {

namespace {

using Args = ElementwiseExpressionArgs;
using elementwise::Types;

// C++ type name of the result's compute type.
std::string result_type(const Args& a) { return cuda_compute_type(a.output_dtype); }

// A literal in the result's compute type.
std::string lit(const Args& a, double value) { return literal(value, a.output_dtype); }

std::string call(const std::string& function, const std::vector<std::string>& arguments) {
  std::string text = function + "(";
  for (std::size_t i = 0; i < arguments.size(); ++i) text += (i ? ", " : "") + arguments[i];
  return text + ")";
}

using Body = std::function<std::string(const Args&)>;

// An entry: operands 0 .. `typed_inputs`-1 must have one dtype accepted by
// `types` (the ONNX type constraint); otherwise the node cannot be expressed.
ElementwiseExpression entry(Types types, std::size_t typed_inputs, Body body) {
  return [types, typed_inputs, body](const Args& a) -> std::optional<std::string> {
    if (a.inputs.size() < typed_inputs || a.input_dtypes.size() < typed_inputs) {
      return std::nullopt;
    }
    for (std::size_t i = 0; i < typed_inputs; ++i) {
      if (a.inputs[i].empty() || !elementwise::accepts(types, a.input_dtypes[i]) ||
          cuda_compute_type(a.input_dtypes[i]) != cuda_compute_type(a.input_dtypes[0])) {
        return std::nullopt;
      }
    }
    return body(a);
  };
}

// f(x) with a helper of expression_helpers().
ElementwiseExpression unary(Types types, std::string helper) {
  return entry(types, 1, [helper](const Args& a) { return call(helper, {a.inputs[0]}); });
}

ElementwiseExpression arithmetic(const std::string& op) {
  return entry(Types::kNumeric, 2, [op](const Args& a) {
    return "((" + result_type(a) + ")(" + a.inputs[0] + " " + op + " " + a.inputs[1] + "))";
  });
}

ElementwiseExpression comparison(Types types, const std::string& op) {
  return entry(types, 2,
               [op](const Args& a) { return "(" + a.inputs[0] + " " + op + " " + a.inputs[1] + ")"; });
}

// Min/Max/Sum/Mean fold their inputs left to right, as the CPU reference.
ElementwiseExpression variadic(Types types, const std::string& kind) {
  return [types, kind](const Args& a) -> std::optional<std::string> {
    if (a.inputs.empty()) return std::nullopt;
    return entry(types, a.inputs.size(), [kind](const Args& b) {
      const std::string t = result_type(b);
      std::string acc = b.inputs[0];
      for (std::size_t i = 1; i < b.inputs.size(); ++i) {
        if (kind == "min" || kind == "max") {
          acc = call("trt_" + kind, {acc, b.inputs[i]});
        } else {
          acc = "((" + t + ")(" + acc + " + " + b.inputs[i] + "))";
        }
      }
      if (kind == "mean") {
        acc = "(" + acc + " / " + lit(b, static_cast<double>(b.inputs.size())) + ")";
      }
      return acc;
    })(a);
  };
}

float float_attribute(const Args& a, const char* name, float fallback) {
  return a.node.attributes().get_float(name, fallback);
}

// Cast of `value` (compute type of `from`) to the compute type of `to`,
// rounding through f16/bf16 when `to` is one of them (cast.cpp's rules).
std::string cast_value(const std::string& value, DType from, DType to) {
  const DType source = is_floating_point(from) && from != DType::kFloat64 ? DType::kFloat32 : from;
  if (to == from || (to == DType::kFloat32 && source == DType::kFloat32)) return value;
  if (to == DType::kBool) return "(" + value + " != 0)";
  if (to == DType::kFloat16 || to == DType::kBFloat16) {
    const std::string as_float = source == DType::kFloat64
                                     ? "trt_to_float_round_to_odd(" + value + ")"
                                     : "((float)(" + value + "))";
    return to == DType::kFloat16 ? "__half2float(__float2half_rn(" + as_float + "))"
                                 : "__bfloat162float(__float2bfloat16_rn(" + as_float + "))";
  }
  if (is_integer(to) && is_floating_point(source)) {
    if (to == DType::kInt64) return "trt_float_to_int64(" + value + ")";
    return "((" + cuda_type(to) + ")trt_float_to_int32(" + value + "))";
  }
  return "((" + cuda_type(to) + ")(" + value + "))";
}

ElementwiseExpression cast_to_output() {
  return entry(Types::kAny, 1, [](const Args& a) {
    return cast_value(a.inputs[0], a.input_dtypes[0], a.output_dtype);
  });
}

// Clip: bounds from attributes before opset 11 (the node has them then),
// else from optional inputs 1 and 2 (scalars of the input's type).
ElementwiseExpression clip() {
  return [](const Args& a) -> std::optional<std::string> {
    const auto& attributes = a.node.attributes();
    const bool legacy = attributes.has("min") || attributes.has("max");
    for (std::size_t i = 1; i < a.inputs.size() && i < 3; ++i) {
      if (!a.inputs[i].empty() && a.input_dtypes[i] != a.input_dtypes[0]) return std::nullopt;
    }
    return entry(Types::kNumeric, 1, [legacy](const Args& b) {
      const auto& attrs = b.node.attributes();
      std::string v = b.inputs[0];
      if (legacy) {
        if (attrs.has("min")) v = call("trt_clip_low", {v, lit(b, attrs.get_float("min"))});
        if (attrs.has("max")) v = call("trt_clip_high", {v, lit(b, attrs.get_float("max"))});
        return v;
      }
      if (b.inputs.size() > 1 && !b.inputs[1].empty()) v = call("trt_clip_low", {v, b.inputs[1]});
      if (b.inputs.size() > 2 && !b.inputs[2].empty()) v = call("trt_clip_high", {v, b.inputs[2]});
      return v;
    })(a);
  };
}

// Pow: base and exponent may differ in type; integer ** integer is exact,
// everything else computed in double (binary_arithmetic.cpp).
ElementwiseExpression power() {
  return [](const Args& a) -> std::optional<std::string> {
    if (a.inputs.size() != 2 || a.input_dtypes.size() != 2) return std::nullopt;
    for (DType d : a.input_dtypes) {
      if (!elementwise::accepts(Types::kNumeric, d)) return std::nullopt;
    }
    if (is_integer(a.input_dtypes[0]) && is_integer(a.input_dtypes[1])) {
      return "trt_pow_int(" + a.inputs[0] + ", (long long)(" + a.inputs[1] + "))";
    }
    return "((" + result_type(a) + ")trt_pow((double)(" + a.inputs[0] + "), (double)(" +
           a.inputs[1] + ")))";
  };
}

ElementwiseExpression where() {
  return [](const Args& a) -> std::optional<std::string> {
    if (a.inputs.size() != 3 || a.input_dtypes.size() != 3) return std::nullopt;
    if (a.input_dtypes[0] != DType::kBool ||
        cuda_compute_type(a.input_dtypes[1]) != cuda_compute_type(a.input_dtypes[2])) {
      return std::nullopt;
    }
    return "(" + a.inputs[0] + " ? " + a.inputs[1] + " : " + a.inputs[2] + ")";
  };
}

std::map<std::string, ElementwiseExpression, std::less<>> make_table() {
  std::map<std::string, ElementwiseExpression, std::less<>> t;
  // Unary math (unary_math.cpp).
  t["Abs"] = unary(Types::kNumeric, "trt_abs");
  t["Neg"] = entry(Types::kSignedOrFloat, 1, [](const Args& a) {
    return "((" + result_type(a) + ")(-" + a.inputs[0] + "))";
  });
  t["Sign"] = unary(Types::kNumeric, "trt_sign");
  t["Floor"] = unary(Types::kFloat, "trt_floor");
  t["Ceil"] = unary(Types::kFloat, "trt_ceil");
  t["Round"] = unary(Types::kFloat, "trt_rint");  // half to even, like nearbyint
  t["Sqrt"] = unary(Types::kFloat, "trt_sqrt");
  t["Reciprocal"] = entry(Types::kFloat, 1, [](const Args& a) {
    return "(" + lit(a, 1.0) + " / " + a.inputs[0] + ")";
  });
  t["Exp"] = unary(Types::kFloat, "trt_exp");
  t["Log"] = unary(Types::kFloat, "trt_log");
  t["Sin"] = unary(Types::kFloat, "trt_sin");
  t["Cos"] = unary(Types::kFloat, "trt_cos");
  t["Tanh"] = unary(Types::kFloat, "trt_tanh");
  t["Erf"] = unary(Types::kFloat, "trt_erf");
  t["Sigmoid"] = unary(Types::kFloat, "trt_sigmoid");
  t["Not"] = entry(Types::kBool, 1, [](const Args& a) { return "(!" + a.inputs[0] + ")"; });
  // Activations (activations.cpp); float attributes converted to the compute
  // type as the CPU reference's static_cast<T>(float) does.
  t["Relu"] = unary(Types::kSignedOrFloat, "trt_relu");
  t["LeakyRelu"] = entry(Types::kFloat, 1, [](const Args& a) {
    return call("trt_leaky_relu", {a.inputs[0], lit(a, float_attribute(a, "alpha", 0.01f))});
  });
  t["Elu"] = entry(Types::kFloat, 1, [](const Args& a) {
    return call("trt_elu", {a.inputs[0], lit(a, float_attribute(a, "alpha", 1.0f))});
  });
  t["Selu"] = entry(Types::kFloat, 1, [](const Args& a) {
    return call("trt_selu",
                {a.inputs[0], lit(a, float_attribute(a, "alpha", 1.67326319217681884765625f)),
                 lit(a, float_attribute(a, "gamma", 1.05070102214813232421875f))});
  });
  t["Celu"] = entry(Types::kFloat, 1, [](const Args& a) {
    return call("trt_celu", {a.inputs[0], lit(a, float_attribute(a, "alpha", 1.0f))});
  });
  t["HardSigmoid"] = entry(Types::kFloat, 1, [](const Args& a) {
    return call("trt_hard_sigmoid", {a.inputs[0], lit(a, float_attribute(a, "alpha", 0.2f)),
                                     lit(a, float_attribute(a, "beta", 0.5f))});
  });
  t["HardSwish"] = entry(Types::kFloat, 1, [](const Args& a) {
    return "(" + a.inputs[0] + " * " +
           call("trt_hard_sigmoid", {a.inputs[0], lit(a, 1.0f / 6.0f), lit(a, 0.5f)}) + ")";
  });
  t["Softplus"] = unary(Types::kFloat, "trt_softplus");
  t["Softsign"] = unary(Types::kFloat, "trt_softsign");
  t["PRelu"] = entry(Types::kNumeric, 2,
                     [](const Args& a) { return call("trt_prelu", {a.inputs[0], a.inputs[1]}); });
  // Binary arithmetic (binary_arithmetic.cpp).
  t["Add"] = arithmetic("+");
  t["Sub"] = arithmetic("-");
  t["Mul"] = arithmetic("*");
  t["Div"] = arithmetic("/");  // integers truncate toward zero, as C++ does
  t["Mod"] = entry(Types::kNumeric, 2, [](const Args& a) {
    const bool c_fmod = a.node.attributes().get_int("fmod", 0) != 0;
    return call("trt_mod", {a.inputs[0], a.inputs[1], c_fmod ? "true" : "false"});
  });
  t["Pow"] = power();
  // Comparisons and logic (comparison_logic.cpp).
  t["Equal"] = comparison(Types::kAny, "==");
  t["Less"] = comparison(Types::kNumeric, "<");
  t["Greater"] = comparison(Types::kNumeric, ">");
  t["LessOrEqual"] = comparison(Types::kNumeric, "<=");
  t["GreaterOrEqual"] = comparison(Types::kNumeric, ">=");
  t["And"] = comparison(Types::kBool, "&&");
  t["Or"] = comparison(Types::kBool, "||");
  t["Xor"] = comparison(Types::kBool, "!=");
  // Variadic (variadic.cpp).
  t["Min"] = variadic(Types::kNumeric, "min");
  t["Max"] = variadic(Types::kNumeric, "max");
  t["Sum"] = variadic(Types::kFloat, "sum");
  t["Mean"] = variadic(Types::kFloat, "mean");
  t["Clip"] = clip();
  t["Where"] = where();
  // Cast / CastLike (cast.cpp): the target is the output's dtype; CastLike's
  // input 1 only names it (its identifier may be empty).
  t["Cast"] = cast_to_output();
  t["CastLike"] = cast_to_output();
  return t;
}

const std::map<std::string, ElementwiseExpression, std::less<>>& table() {
  static const auto t = make_table();
  return t;
}

// One-argument math functions: the float overload calls the f-suffixed CUDA
// function, the double overload the plain one.
const char* const kUnaryMath[] = {"exp",  "log",   "log1p", "sqrt", "sin",  "cos",
                                  "tanh", "erf",   "floor", "ceil", "rint", "fabs",
                                  "trunc"};

std::string make_device_functions() {
  std::string s;
  for (const char* f : kUnaryMath) {
    s += std::string("__device__ __forceinline__ float trt_") + f + "(float x) { return " + f +
         "f(x); }\n";
    s += std::string("__device__ __forceinline__ double trt_") + f + "(double x) { return " + f +
         "(x); }\n";
  }
  s += R"(__device__ __forceinline__ float trt_fmod(float a, float b) { return fmodf(a, b); }
__device__ __forceinline__ double trt_fmod(double a, double b) { return fmod(a, b); }
__device__ __forceinline__ double trt_pow(double a, double b) { return pow(a, b); }
template <typename T> __device__ __forceinline__ bool trt_isnan(T x) { return x != x; }
// numpy minimum/maximum (elementwise.hpp numpy_minimum/numpy_maximum): a NaN
// operand wins (the first one). Never fminf/fmaxf (they drop NaN), and no
// bare clamp either: the compiler may turn a [0, 1] clamp into a saturating
// instruction, which maps NaN to 0.
template <typename T> __device__ __forceinline__ T trt_min(T a, T b) {
  if (trt_isnan(a) || trt_isnan(b)) return trt_isnan(a) ? a : b;
  return b < a ? b : a;
}
template <typename T> __device__ __forceinline__ T trt_max(T a, T b) {
  if (trt_isnan(a) || trt_isnan(b)) return trt_isnan(a) ? a : b;
  return b > a ? b : a;
}
template <typename T> __device__ __forceinline__ T trt_abs(T x) { return x < T(0) ? T(-x) : x; }
template <typename T> __device__ __forceinline__ T trt_sign(T x) {
  if (trt_isnan(x)) return x;
  if (x > T(0)) return T(1);
  return x < T(0) ? T(-1) : T(0);
}
template <typename T> __device__ __forceinline__ T trt_sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + trt_exp(-x));
  const T e = trt_exp(x);
  return e / (T(1) + e);
}
template <typename T> __device__ __forceinline__ T trt_relu(T x) {
  return x > T(0) || x != x ? x : T(0);
}
template <typename T> __device__ __forceinline__ T trt_leaky_relu(T x, T alpha) {
  return x < T(0) ? alpha * x : x;
}
template <typename T> __device__ __forceinline__ T trt_elu(T x, T alpha) {
  return x < T(0) ? alpha * (trt_exp(x) - T(1)) : x;
}
template <typename T> __device__ __forceinline__ T trt_selu(T x, T alpha, T gamma) {
  return x <= T(0) ? gamma * (alpha * trt_exp(x) - alpha) : gamma * x;
}
// max(0, x) + min(0, alpha * (exp(x / alpha) - 1)), NaN propagating.
template <typename T> __device__ __forceinline__ T trt_celu(T x, T alpha) {
  const T v = alpha * (trt_exp(x / alpha) - T(1));
  return trt_max(T(0), x) + trt_min(T(0), v);
}
// max(0, min(1, alpha * x + beta)), NaN propagating.
template <typename T> __device__ __forceinline__ T trt_hard_sigmoid(T x, T alpha, T beta) {
  return trt_max(T(0), trt_min(T(1), alpha * x + beta));
}
template <typename T> __device__ __forceinline__ T trt_softplus(T x) {
  return x > T(0) ? x + trt_log1p(trt_exp(-x)) : trt_log1p(trt_exp(x));
}
template <typename T> __device__ __forceinline__ T trt_softsign(T x) {
  return x / (T(1) + trt_fabs(x));
}
template <typename T> __device__ __forceinline__ T trt_prelu(T x, T slope) {
  return x < T(0) ? (T)(slope * x) : x;
}
// numpy.clip: minimum(maximum(x, low), high); NaN input or bound gives NaN.
template <typename T> __device__ __forceinline__ T trt_clip_low(T x, T low) {
  return trt_max(x, low);
}
template <typename T> __device__ __forceinline__ T trt_clip_high(T x, T high) {
  return trt_min(x, high);
}
// Mod: fmod = 0 takes the divisor's sign (Python %), fmod = 1 the dividend's.
__device__ __forceinline__ float trt_mod(float a, float b, bool c_fmod) {
  const float r = fmodf(a, b);
  if (c_fmod || r == 0.0f || (r < 0.0f) == (b < 0.0f)) return r;
  return r + b;
}
__device__ __forceinline__ double trt_mod(double a, double b, bool c_fmod) {
  const double r = fmod(a, b);
  if (c_fmod || r == 0.0 || (r < 0.0) == (b < 0.0)) return r;
  return r + b;
}
template <typename T> __device__ __forceinline__ T trt_mod(T a, T b, bool c_fmod) {
  const T r = (T)(a % b);
  if (!c_fmod && r != T(0) && ((r < T(0)) != (b < T(0)))) return (T)(r + b);
  return r;
}
// Integer power by squaring; negative exponents give 1/base^n truncated.
template <typename T> __device__ __forceinline__ T trt_pow_int(T base, long long exponent) {
  if (exponent < 0) {
    if (base == T(1)) return T(1);
    if (T(-1) < T(0) && base == T(-1)) return exponent % 2 == 0 ? T(1) : T(-1);
    return T(0);
  }
  T result = T(1);
  while (exponent > 0) {
    if (exponent & 1) result = (T)(result * base);
    base = (T)(base * base);
    exponent >>= 1;
  }
  return result;
}
// Float -> integer as numpy on x86: NaN and out-of-range give the integer
// "indefinite" value INT_MIN; narrower types take its low bits.
template <typename F> __device__ __forceinline__ long long trt_float_to_int64(F v) {
  const F limit = (F)9223372036854775808.0;
  if (!(trt_trunc(v) >= -limit && v < limit)) return (-9223372036854775807LL - 1);
  return (long long)v;
}
template <typename F> __device__ __forceinline__ int trt_float_to_int32(F v) {
  const F limit = (F)2147483648.0;
  if (!(trt_trunc(v) >= -limit && v < limit)) return (-2147483647 - 1);
  return (int)v;
}
// f64 -> f32 with round-to-odd, so that the following rounding to f16/bf16
// is correctly rounded (cast.cpp).
__device__ __forceinline__ float trt_to_float_round_to_odd(double d) {
  float f = __double2float_rn(d);
  if (isinf(f) || f != f || (double)f == d) return f;
  if (fabs((double)f) > fabs(d)) f = nextafterf(f, 0.0f);
  return __int_as_float(__float_as_int(f) | 1);
}
)";
  return s;
}

}  // namespace

const ElementwiseExpression* find_elementwise_expression(std::string_view op_type) {
  const auto it = table().find(op_type);
  return it == table().end() ? nullptr : &it->second;
}

const std::string& elementwise_device_functions() {
  static const std::string functions = make_device_functions();
  return functions;
}

}  // namespace trtutils::ops::gpu
