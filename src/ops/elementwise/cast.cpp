// Cast and CastLike (https://onnx.ai/onnx/operators/onnx__Cast.html) between
// all trtutils dtypes. Float -> integer truncates toward zero; NaN and
// out-of-range values give what numpy's astype gives on x86 (the ONNX
// reference): the integer "indefinite" value INT_MIN for i32/i64, and that
// value's low bits for the 8-bit types (i.e. 0 for NaN). f64 -> f16/bf16
// rounds once, to nearest even, as numpy does.
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>

#include "ops/elementwise/elementwise.hpp"

namespace trtutils::ops::elementwise {

namespace {

// Narrows with round-to-odd, so that a second rounding (float -> f16/bf16,
// which have far fewer mantissa bits) gives the correctly rounded result.
float to_float_round_to_odd(double d) {
  float f = static_cast<float>(d);
  if (!std::isfinite(f) || static_cast<double>(f) == d) return f;
  if (std::fabs(static_cast<double>(f)) > std::fabs(d)) f = std::nextafter(f, 0.0f);
  return std::bit_cast<float>(std::bit_cast<std::uint32_t>(f) | 1u);
}

template <typename To, typename From>
To float_to_integer(From v) {
  if constexpr (std::is_same_v<To, std::int64_t>) {
    // 2^63 is exact in float and double.
    constexpr From limit = static_cast<From>(9223372036854775808.0);
    if (!(std::trunc(v) >= -limit && v < limit)) return std::numeric_limits<std::int64_t>::min();
    return static_cast<std::int64_t>(v);
  } else {
    constexpr From limit = static_cast<From>(2147483648.0);
    std::int32_t wide = std::numeric_limits<std::int32_t>::min();
    if (std::trunc(v) >= -limit && v < limit) wide = static_cast<std::int32_t>(v);
    return static_cast<To>(wide);
  }
}

template <typename To, typename From>
To convert(From v) {
  if constexpr (std::is_same_v<From, Half> || std::is_same_v<From, BFloat16>) {
    return convert<To>(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_same_v<To, Half> || std::is_same_v<To, BFloat16>) {
    if constexpr (std::is_same_v<From, double>) {
      return To(to_float_round_to_odd(v));
    } else {
      return To(static_cast<float>(v));
    }
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
    return float_to_integer<To>(v);
  } else {
    return static_cast<To>(v);
  }
}

HostTensor cast_tensor(const HostTensor& x, DType to) {
  if (x.dtype() == to) return x;
  return visit_dtype(x.dtype(), [&](auto from_tag) {
    using From = typename decltype(from_tag)::type;
    return visit_dtype(to, [&](auto to_tag) {
      using To = typename decltype(to_tag)::type;
      HostTensor out(x.shape(), to);
      const auto src = x.values<From>();
      const auto dst = out.values<To>();
      for (std::size_t i = 0; i < src.size(); ++i) dst[i] = convert<To>(src[i]);
      return out;
    });
  });
}

// Cast's target type: an ONNX type number, or (opset 1) its name.
DType target_dtype(const ir::Attributes& attributes, const auto& ctx) {
  if (!attributes.has("to")) ctx.fail("attribute 'to' is required");
  const ir::Attribute& to = attributes.all().at("to");
  if (const auto* name = std::get_if<std::string>(&to)) {
    static const std::map<std::string, DType> names = {
        {"FLOAT", DType::kFloat32},   {"UINT8", DType::kUInt8},    {"INT8", DType::kInt8},
        {"INT32", DType::kInt32},     {"INT64", DType::kInt64},    {"BOOL", DType::kBool},
        {"FLOAT16", DType::kFloat16}, {"DOUBLE", DType::kFloat64}, {"BFLOAT16", DType::kBFloat16}};
    const auto it = names.find(*name);
    if (it == names.end()) ctx.unsupported(detail::concat("Cast to ", *name, " is not supported"));
    return it->second;
  }
  const std::int64_t number = attributes.get_int("to");
  const DType dtype = dtype_from_onnx_type(number);
  if (dtype == DType::kUndefined) {
    ctx.unsupported(detail::concat("Cast to ONNX data type ", number,
                                   " is not supported (no such trtutils dtype)"));
  }
  return dtype;
}

OpSchema cast() {
  OpSchema schema;
  schema.op_type = "Cast";
  schema.lower_gpu = gpu::lower_elementwise;
  schema.infer = [](InferContext& ctx) {
    ctx.set_output(0, target_dtype(ctx.attributes(), ctx), ctx.input_shape(0));
  };
  schema.run_cpu = [](const CpuContext& ctx) {
    std::vector<HostTensor> outputs;
    outputs.push_back(cast_tensor(ctx.input(0), target_dtype(ctx.attributes(), ctx)));
    return outputs;
  };
  return schema;
}

OpSchema cast_like() {
  OpSchema schema;
  schema.op_type = "CastLike";
  schema.lower_gpu = gpu::lower_elementwise;
  schema.infer = [](InferContext& ctx) {
    ctx.set_output(0, ctx.input_dtype(1), ctx.input_shape(0));
  };
  schema.run_cpu = [](const CpuContext& ctx) {
    std::vector<HostTensor> outputs;
    outputs.push_back(cast_tensor(ctx.input(0), ctx.input(1).dtype()));
    return outputs;
  };
  return schema;
}

}  // namespace

void register_cast(OpRegistry& registry) {
  registry.add(cast());
  registry.add(cast_like());
}

}  // namespace trtutils::ops::elementwise
