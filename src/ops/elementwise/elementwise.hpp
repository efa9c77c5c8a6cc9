#pragma once
// Machinery shared by the element-wise family: which element types an op
// accepts, the broadcasting shape rule, and one n-ary broadcasting loop that
// every op here is written with (unary ops are the n = 1 case).
#include <array>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ops/elementwise/gpu_elementwise.hpp"
#include "ops/support.hpp"
#include "trtutils/ops/registry.hpp"

namespace trtutils::ops::elementwise {

// One registration function per file of this folder, called by register.cpp.
void register_unary_math(OpRegistry& registry);
void register_activations(OpRegistry& registry);
void register_binary_arithmetic(OpRegistry& registry);
void register_comparison_logic(OpRegistry& registry);
void register_variadic(OpRegistry& registry);
void register_clip(OpRegistry& registry);
void register_cast(OpRegistry& registry);
void register_where(OpRegistry& registry);

/// Element types an op accepts (ONNX type constraints, merged over opsets).
enum class Types {
  kFloat,          // f16, bf16, f32, f64
  kSignedOrFloat,  // kFloat and i8, i32, i64
  kNumeric,        // every type but bool
  kBool,
  kAny,
};

/// Whether C++ compute type T (never Half/BFloat16: those compute as float)
/// belongs to `types`.
template <Types types, typename T>
inline constexpr bool kAccepts =
    !std::is_same_v<T, Half> && !std::is_same_v<T, BFloat16> &&
    (types == Types::kAny || (types == Types::kBool && std::is_same_v<T, bool>) ||
     (types == Types::kNumeric && !std::is_same_v<T, bool>) ||
     (types == Types::kSignedOrFloat && std::is_signed_v<T>) ||
     (types == Types::kFloat && std::is_floating_point_v<T>));

bool accepts(Types types, DType dtype) noexcept;

/// True when both dtypes are known and differ (shape rules tolerate unknown
/// dtypes of inputs whose producer could not be typed).
inline bool known_and_different(DType a, DType b) noexcept {
  return a != DType::kUndefined && b != DType::kUndefined && a != b;
}

/// NaN test that is false for integer types.
template <typename T>
constexpr bool is_nan(T x) noexcept {
  if constexpr (std::is_floating_point_v<T>) {
    return x != x;
  } else {
    (void)x;
    return false;
  }
}

/// numpy.minimum / numpy.maximum: a NaN operand wins (the first one when both
/// are NaN). std::min/std::max drop a NaN depending on argument order; every
/// ONNX formula written with min/max (Clip, HardSigmoid, Celu, Min, Max) uses
/// these so that NaN propagates as the ONNX reference (NumPy) does.
template <typename T>
constexpr T numpy_minimum(T a, T b) noexcept {
  if (is_nan(a) || is_nan(b)) return is_nan(a) ? a : b;
  return b < a ? b : a;
}
template <typename T>
constexpr T numpy_maximum(T a, T b) noexcept {
  if (is_nan(a) || is_nan(b)) return is_nan(a) ? a : b;
  return b > a ? b : a;
}

/// Fails (ModelError naming the node) when input i's dtype is known and not
/// accepted.
void check_input_type(const InferContext& ctx, std::size_t i, Types types);

/// Shape rule: every present input broadcast together (numpy rules); output 0
/// gets `dtype`, or input 0's dtype when `dtype` is kUndefined.
void broadcast_rule(InferContext& ctx, DType dtype = DType::kUndefined);

/// Runs f(std::type_identity<T>{}) for T the compute type of `dtype` (float
/// for f16/bf16) when T is accepted; fails naming the node otherwise.
template <Types types, typename F>
HostTensor visit_compute(DType dtype, const CpuContext& ctx, F&& f) {
  return visit_dtype(compute_dtype(dtype), [&](auto tag) -> HostTensor {
    using T = typename decltype(tag)::type;
    if constexpr (kAccepts<types, T>) {
      return f(tag);
    } else {
      ctx.fail(detail::concat("element type ", dtype_name(dtype), " is not allowed"));
    }
  });
}

namespace detail_impl {
template <typename R, typename... In, std::size_t... I, typename F>
HostTensor broadcast_map(F& f, const std::array<const HostTensor*, sizeof...(In)>& inputs,
                         std::index_sequence<I...>) {
  constexpr std::size_t n = sizeof...(In);
  Shape shape = inputs[0]->shape();
  for (std::size_t k = 1; k < n; ++k) shape = broadcast_shapes(shape, inputs[k]->shape());
  HostTensor out(shape, dtype_of<R>);
  const std::array<std::vector<std::int64_t>, n> strides{
      broadcast_strides(inputs[I]->shape(), shape)...};
  const auto data = std::make_tuple(inputs[I]->template values<In>().data()...);
  R* dst = out.template values<R>().data();
  std::array<std::int64_t, n> offsets{};
  for_each_index(shape, [&](const std::vector<std::int64_t>& coords, std::int64_t linear) {
    for (std::size_t k = 0; k < n; ++k) {
      std::int64_t offset = 0;
      for (std::size_t d = 0; d < coords.size(); ++d) offset += coords[d] * strides[k][d];
      offsets[k] = offset;
    }
    dst[linear] = static_cast<R>(f(std::get<I>(data)[offsets[I]]...));
  });
  return out;
}
}  // namespace detail_impl

/// out[i] = f(in_0[j_0], ..., in_n[j_n]) under numpy multidirectional
/// broadcasting; the tensors must hold element types In... and the result has
/// element type R. Throws InvalidArgument when the shapes do not broadcast.
template <typename R, typename... In, typename F>
HostTensor broadcast_map(F&& f, const std::array<const HostTensor*, sizeof...(In)>& inputs) {
  return detail_impl::broadcast_map<R, In...>(f, inputs, std::index_sequence_for<In...>{});
}

/// The unary case: out[i] = f(x[i]) with the same element type.
template <typename T, typename F>
HostTensor map_unary(const HostTensor& x, F&& f) {
  return broadcast_map<T, T>(std::forward<F>(f), {&x});
}

/// An op y = f(x) of one input, x and y of the same type and shape.
/// `make(attributes)` returns the element function: a generic callable applied
/// to values of x's compute type T (float for f16/bf16), result cast to T.
template <Types types, typename Make>
OpSchema unary_op(std::string op_type, Make make) {
  OpSchema schema;
  schema.op_type = std::move(op_type);
  schema.lower_gpu = gpu::lower_elementwise;
  schema.infer = [](InferContext& ctx) {
    check_input_type(ctx, 0, types);
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
  };
  schema.run_cpu = [make](const CpuContext& ctx) {
    const HostTensor& x = ctx.input(0);
    const HostTensor xc = to_compute(x);
    const auto f = make(ctx.attributes());
    HostTensor y = visit_compute<types>(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      return map_unary<T>(xc, [&](T v) { return static_cast<T>(f(v)); });
    });
    std::vector<HostTensor> outputs;
    outputs.push_back(from_compute(std::move(y), x.dtype()));
    return outputs;
  };
  return schema;
}

/// A `make` for unary_op whose element function reads no attribute.
template <typename F>
auto fixed(F f) {
  return [f](const ir::Attributes&) { return f; };
}

/// Refuses the opset < 7 "broadcast with axis" form of binary ops, whose
/// alignment differs from numpy's.
void refuse_legacy_axis_broadcast(const InferContext& ctx);

/// An op y = f(a, b) of two inputs of one element type, broadcast together.
/// `make(ctx)` returns the element function: a generic callable applied to
/// values of the compute type T. The result has type T (converted back to the
/// inputs' type for f16/bf16), or bool when kBoolResult.
template <Types types, bool kBoolResult = false, typename Make>
OpSchema binary_op(std::string op_type, Make make) {
  OpSchema schema;
  schema.op_type = std::move(op_type);
  schema.lower_gpu = gpu::lower_elementwise;
  schema.infer = [](InferContext& ctx) {
    if (ctx.input_count() != 2) ctx.fail("needs exactly two inputs");
    refuse_legacy_axis_broadcast(ctx);
    check_input_type(ctx, 0, types);
    check_input_type(ctx, 1, types);
    if (known_and_different(ctx.input_dtype(0), ctx.input_dtype(1))) {
      ctx.fail(detail::concat("inputs have different element types (",
                              dtype_name(ctx.input_dtype(0)), " and ",
                              dtype_name(ctx.input_dtype(1)), ")"));
    }
    broadcast_rule(ctx, kBoolResult ? DType::kBool : DType::kUndefined);
  };
  schema.run_cpu = [make](const CpuContext& ctx) {
    const HostTensor& a = ctx.input(0);
    if (ctx.input(1).dtype() != a.dtype()) ctx.fail("inputs have different element types");
    const HostTensor ac = to_compute(a);
    const HostTensor bc = to_compute(ctx.input(1));
    const auto f = make(ctx);
    HostTensor y = visit_compute<types>(a.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using R = std::conditional_t<kBoolResult, bool, T>;
      return broadcast_map<R, T, T>([&](T x, T z) { return static_cast<R>(f(x, z)); }, {&ac, &bc});
    });
    std::vector<HostTensor> outputs;
    outputs.push_back(kBoolResult ? std::move(y) : from_compute(std::move(y), a.dtype()));
    return outputs;
  };
  return schema;
}

/// A `make` for binary_op whose element function needs nothing from the node.
template <typename F>
auto fixed_binary(F f) {
  return [f](const CpuContext&) { return f; };
}

}  // namespace trtutils::ops::elementwise
