#pragma once
// Element-wise ops as CUDA C++ expressions, for kernels that compute several
// ops per element: the builder fuses chains of element-wise nodes into one
// "trtutils.FusedElementwise" node and generates one kernel from these
// expressions (src/builder/fusion/fused_elementwise_lowering.cpp). The
// element-wise family owns the table (gpu_expressions.cpp): an op with an
// entry here can be fused; an op without one is never fused (it is lowered on
// its own by its schema's lower_gpu).
//
// Contract of an expression function:
// - args.inputs[i] is a C identifier holding input i's element, already in
//   cuda_compute_type(args.input_dtypes[i]) (float for f16/bf16), or an empty
//   string for an omitted optional input. Identifiers may be used any number
//   of times (they are locals, not loads).
// - args.input_dtypes are the IR dtypes of the inputs; args.output_dtype the
//   IR dtype of output 0 (only single-output ops are fused).
// - The result is one CUDA C++ expression of type
//   cuda_compute_type(args.output_dtype), computed without side effects.
//   It may call CUDA math functions and the helpers in
//   elementwise_device_functions(); nothing else.
// - Attributes come from args.node (e.g. LeakyRelu's alpha). Inputs whose
//   values must be known (none so far) must not be fused: return nullopt from
//   the function to refuse the node.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trtutils/ir/graph.hpp"

namespace trtutils::ops::gpu {

struct ElementwiseExpressionArgs {
  const ir::Node& node;
  std::vector<std::string> inputs;
  std::vector<DType> input_dtypes;
  DType output_dtype = DType::kUndefined;
};

/// nullopt: this node cannot be expressed (unsupported dtype or attribute).
using ElementwiseExpression =
    std::function<std::optional<std::string>(const ElementwiseExpressionArgs& args)>;

/// The expression of a default-domain op, or nullptr when it has none.
const ElementwiseExpression* find_elementwise_expression(std::string_view op_type);

/// __device__ helper functions the expressions may call (trt_sigmoid, ...);
/// placed after gpu::kernel_preamble() in every kernel using expressions.
const std::string& elementwise_device_functions();

}  // namespace trtutils::ops::gpu
