#pragma once
// Graph passes shared by the reference executor and the builder.
#include "trtutils/ir/graph.hpp"
#include "trtutils/ops/registry.hpp"

namespace trtutils::passes {

/// Infers dtype and shape of every value in topological order using each op's
/// shape rule. Nodes whose inputs are all constant are evaluated with the CPU
/// reference (so Shape -> Gather -> Concat -> Reshape chains on static shapes
/// become constants). Throws ModelError/UnsupportedError naming the node.
void infer_shapes(ir::Graph& graph, const ops::OpRegistry& registry = ops::OpRegistry::builtin());

/// Replaces nodes whose inputs are all constant by their computed outputs and
/// removes them. Returns the number of nodes folded.
int fold_constants(ir::Graph& graph, const ops::OpRegistry& registry = ops::OpRegistry::builtin());

/// Removes nodes none of whose outputs reach a graph output. Returns the count.
int eliminate_dead_nodes(ir::Graph& graph);

/// Removes Identity and inference-mode Dropout nodes (rewiring their users).
/// Returns the count.
int remove_identities(ir::Graph& graph);

/// The standard pipeline: remove_identities, infer_shapes, fold_constants,
/// eliminate_dead_nodes.
void simplify(ir::Graph& graph, const ops::OpRegistry& registry = ops::OpRegistry::builtin());

}  // namespace trtutils::passes
