#pragma once
// The builder's first stage: the user's constant inputs and batch size
// applied, every input shape checked static, passes::simplify run.
#include <string>
#include <vector>

#include "trtutils/builder/build_options.hpp"
#include "trtutils/ir/graph.hpp"
#include "trtutils/ops/registry.hpp"

namespace trtutils::builder {

/// Throws InvalidArgument for a constant input that is not a graph input or
/// does not match its declaration, ModelError naming the input and dim when
/// an input shape is not static after constant_inputs / batch.
void prepare_graph(ir::Graph& graph, const BuildOptions& options,
                   const ops::OpRegistry& registry);

/// Whether `node` is a trtutils.FusedElementwise node.
bool is_fused_elementwise(const ir::Node& node);

/// The non-constant graph inputs the shape-deciding inputs of `node` (every
/// input but the first, and the first too for ConstantOfShape / Range)
/// depend on: what BuildOptions::constant_inputs must fix.
std::vector<std::string> shape_deciding_graph_inputs(const ir::Graph& graph, const ir::Node& node);

}  // namespace trtutils::builder
