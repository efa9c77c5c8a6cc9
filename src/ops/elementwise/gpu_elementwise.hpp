#pragma once
// One generator of element-wise CUDA kernels (NVRTC source). A program reads
// input tensors under numpy broadcasting, evaluates the element-wise
// expressions of one or more nodes per output element (gpu_expressions.hpp)
// and writes one or more outputs. An element-wise node's own lowering is a
// program of one step; a fused chain is a program of several steps.
//
// Indexing: shapes are static, so sizes and strides are literals in the
// source. Size-1 dimensions are dropped and neighbours contiguous for every
// input merged; index math is int64; an input laid out like the output reads
// at the linear index. When every input is read at the linear index, the
// kernel also has a 4-elements-per-thread vector path, taken at run time when
// every pointer is aligned for it.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "ops/elementwise/gpu_expressions.hpp"
#include "trtutils/ops/gpu_lowering.hpp"

namespace trtutils::ops::gpu {

/// Marks an omitted optional operand of a step.
inline constexpr std::size_t kNoValue = std::numeric_limits<std::size_t>::max();

/// One node's expression evaluated per element. Value indices: 0 ..
/// inputs.size() - 1 are the program's inputs; inputs.size() + k is the
/// result of step k.
struct ElementwiseStep {
  const ir::Node* node = nullptr;  // op type and attributes
  /// One value index per node input (kNoValue for an omitted input); only
  /// program inputs and earlier steps.
  std::vector<std::size_t> operands;
  /// IR dtypes of the node's inputs and of its output 0.
  std::vector<DType> input_dtypes;
  DType output_dtype = DType::kUndefined;
};

struct ElementwiseProgram {
  /// Read with broadcasting: each shape must broadcast to the output shape.
  std::vector<GpuTensor> inputs;
  std::vector<ElementwiseStep> steps;
  /// (value index, tensor written): all outputs have one shape, the
  /// iteration shape; each value is converted to its tensor's dtype.
  std::vector<std::pair<std::size_t, GpuTensor>> outputs;
};

/// The iteration after collapsing: the sizes of the remaining dimensions and,
/// per input, its element strides in them (0 where broadcast).
struct CollapsedIteration {
  std::vector<std::int64_t> sizes;
  std::vector<std::vector<std::int64_t>> strides;  // per input
  /// Per input: reads at the linear index (same layout as the output).
  std::vector<bool> linear;
};

/// Drops size-1 dimensions and merges neighbours that are contiguous for
/// every input. Throws InvalidArgument when an input does not broadcast to
/// `output` (unidirectionally).
CollapsedIteration collapse_iteration(const std::vector<Shape>& inputs, const Shape& output);

/// The kernel for `program`, entry `entry` (a C identifier); arguments are
/// the input pointers then the output pointers. Throws InvalidArgument for a
/// malformed program, UnsupportedError for a node with no expression.
KernelLaunch generate_elementwise_kernel(const ElementwiseProgram& program,
                                         const std::string& entry);

/// OpSchema::lower_gpu of every op with an element-wise expression: one
/// kernel, every present input an operand.
void lower_elementwise(LoweringContext& ctx);

/// Exact CUDA C++ literal of `value` in cuda_compute_type(dtype): hex floats
/// for float/double (inf and NaN through bit patterns), integer literals
/// otherwise.
std::string literal(double value, DType dtype);
std::string integer_literal(std::int64_t value, DType dtype);

}  // namespace trtutils::ops::gpu
