// The element-wise expression table (see gpu_expressions.hpp). Starter set
// written with the builder's fusion pass; the element-wise family extends it.
#include "ops/elementwise/gpu_expressions.hpp"

#include <map>

#include "ops/gpu_codegen.hpp"

namespace trtutils::ops::gpu {

namespace {

bool is_float(DType dtype) {
  return dtype == DType::kFloat32 || dtype == DType::kFloat16 || dtype == DType::kBFloat16 ||
         dtype == DType::kFloat64;
}

/// A unary float function `f(x)`; f32 math for f16/bf16/f32, the double
/// overload for f64 (CUDA's math functions are overloaded).
ElementwiseExpression unary_float(std::string function) {
  return [function](const ElementwiseExpressionArgs& a) -> std::optional<std::string> {
    if (!is_float(a.output_dtype)) return std::nullopt;
    return function + "(" + a.inputs[0] + ")";
  };
}

ElementwiseExpression binary_operator(std::string op, bool floats_only) {
  return [op, floats_only](const ElementwiseExpressionArgs& a) -> std::optional<std::string> {
    if (a.output_dtype == DType::kBool || (floats_only && !is_float(a.output_dtype))) {
      return std::nullopt;
    }
    return "(" + a.inputs[0] + " " + op + " " + a.inputs[1] + ")";
  };
}

std::string literal(const ElementwiseExpressionArgs& a, float value) {
  const std::string text = std::to_string(value);
  return a.output_dtype == DType::kFloat64 ? text : text + "f";
}

std::map<std::string, ElementwiseExpression, std::less<>> make_table() {
  std::map<std::string, ElementwiseExpression, std::less<>> t;
  t["Add"] = binary_operator("+", false);
  t["Sub"] = binary_operator("-", false);
  t["Mul"] = binary_operator("*", false);
  t["Div"] = binary_operator("/", true);  // integer division truncates differently: not fused
  t["Neg"] = [](const ElementwiseExpressionArgs& a) -> std::optional<std::string> {
    if (a.output_dtype == DType::kBool) return std::nullopt;
    return "(-" + a.inputs[0] + ")";
  };
  t["Abs"] = unary_float("fabs");
  t["Exp"] = unary_float("exp");
  t["Log"] = unary_float("log");
  t["Sqrt"] = unary_float("sqrt");
  t["Erf"] = unary_float("erf");
  t["Tanh"] = unary_float("tanh");
  t["Sigmoid"] = unary_float("trt_sigmoid");
  t["Relu"] = [](const ElementwiseExpressionArgs& a) -> std::optional<std::string> {
    if (!is_float(a.output_dtype)) return std::nullopt;
    return "(" + a.inputs[0] + " > 0 ? " + a.inputs[0] + " : " + literal(a, 0.0f) + ")";
  };
  t["LeakyRelu"] = [](const ElementwiseExpressionArgs& a) -> std::optional<std::string> {
    if (!is_float(a.output_dtype)) return std::nullopt;
    const std::string alpha = literal(a, a.node.attributes().get_float("alpha", 0.01f));
    return "(" + a.inputs[0] + " >= 0 ? " + a.inputs[0] + " : " + alpha + " * " + a.inputs[0] +
           ")";
  };
  t["Clip"] = [](const ElementwiseExpressionArgs& a) -> std::optional<std::string> {
    // Opset >= 11: bounds are inputs 1 and 2 (each optional). Opset < 11
    // keeps them in attributes: not fused (the node is lowered on its own).
    if (!is_float(a.output_dtype) || a.node.attributes().has("min") ||
        a.node.attributes().has("max")) {
      return std::nullopt;
    }
    std::string v = a.inputs[0];
    if (a.inputs.size() > 1 && !a.inputs[1].empty()) v = "fmax(" + v + ", " + a.inputs[1] + ")";
    if (a.inputs.size() > 2 && !a.inputs[2].empty()) v = "fmin(" + v + ", " + a.inputs[2] + ")";
    return v;
  };
  return t;
}

}  // namespace

const ElementwiseExpression* find_elementwise_expression(std::string_view op_type) {
  static const auto table = make_table();
  const auto it = table.find(op_type);
  return it == table.end() ? nullptr : &it->second;
}

const std::string& elementwise_device_functions() {
  static const std::string functions = R"(__device__ __forceinline__ float trt_sigmoid(float v) {
  return 1.0f / (1.0f + expf(-v));
}
__device__ __forceinline__ double trt_sigmoid(double v) {
  return 1.0 / (1.0 + exp(-v));
}
)";
  return functions;
}

}  // namespace trtutils::ops::gpu
