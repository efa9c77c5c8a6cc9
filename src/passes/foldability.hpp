#pragma once
// Which nodes the passes may evaluate at build time, and evaluating them.
#include <cstddef>

#include "trtutils/ir/graph.hpp"
#include "trtutils/ops/registry.hpp"

namespace trtutils::passes::folding {

/// Outputs larger than this are left to run time rather than stored in the
/// graph as constants (a ConstantOfShape of a huge static shape, say).
inline constexpr std::size_t kMaxFoldedBytes = std::size_t{64} << 20;

/// True when the node computes the same outputs every time it runs: not a
/// random generator, not a Dropout in training mode.
bool is_deterministic(const ir::Node& node);

/// Every present input is constant.
bool inputs_are_constant(const ir::Node& node);

/// Every present output is constant (and at least one output is present).
bool outputs_are_constant(const ir::Node& node);

/// Evaluates a deterministic node whose inputs are all constant with its CPU
/// reference and makes its present outputs constant. Returns false (and
/// changes nothing) when the node is not foldable or its outputs are known to
/// exceed kMaxFoldedBytes.
bool evaluate_constant_node(ir::Graph& graph, ir::Node& node, const ops::OpSchema& schema);

}  // namespace trtutils::passes::folding
