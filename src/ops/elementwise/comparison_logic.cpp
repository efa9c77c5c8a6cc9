// Comparisons (Equal, Less, Greater, LessOrEqual, GreaterOrEqual) and logic
// (And, Or, Xor): numpy broadcasting, bool result
// (https://onnx.ai/onnx/operators/).
#include "ops/elementwise/elementwise.hpp"

namespace trtutils::ops::elementwise {

void register_comparison_logic(OpRegistry& registry) {
  registry.add(
      binary_op<Types::kAny, true>("Equal", fixed_binary([](auto a, auto b) { return a == b; })));
  registry.add(
      binary_op<Types::kNumeric, true>("Less", fixed_binary([](auto a, auto b) { return a < b; })));
  registry.add(binary_op<Types::kNumeric, true>(
      "Greater", fixed_binary([](auto a, auto b) { return a > b; })));
  registry.add(binary_op<Types::kNumeric, true>(
      "LessOrEqual", fixed_binary([](auto a, auto b) { return a <= b; })));
  registry.add(binary_op<Types::kNumeric, true>(
      "GreaterOrEqual", fixed_binary([](auto a, auto b) { return a >= b; })));
  registry.add(
      binary_op<Types::kBool, true>("And", fixed_binary([](bool a, bool b) { return a && b; })));
  registry.add(
      binary_op<Types::kBool, true>("Or", fixed_binary([](bool a, bool b) { return a || b; })));
  registry.add(
      binary_op<Types::kBool, true>("Xor", fixed_binary([](bool a, bool b) { return a != b; })));
}

}  // namespace trtutils::ops::elementwise
