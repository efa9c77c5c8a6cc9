#pragma once
// Small graph-rewriting helpers shared by the fusion passes.
#include <functional>
#include <optional>
#include <vector>

#include "trtutils/ir/graph.hpp"

namespace trtutils::builder::fusion {

/// The node that alone reads `value`, when `value` has exactly one consumer
/// (one input slot) and is not a graph output; else nullptr.
ir::Node* sole_consumer(const ir::Graph& graph, const ir::Value* value);
bool is_graph_output(const ir::Graph& graph, const ir::Value* value);

/// Replaces `node` by a node of the same name, op and domain with these
/// inputs, outputs and attributes (the old node is removed first, so an
/// output may be a value the removed nodes produced).
ir::Node* rebuild(ir::Graph& graph, ir::Node* node, std::vector<ir::Value*> inputs,
                  std::vector<ir::Value*> outputs, ir::Attributes attributes);

/// A scalar constant's value as double (any element count 1), or nullopt.
std::optional<double> scalar_constant(const ir::Value* value);
/// The other input of a binary node than `value` (nullptr when not binary).
ir::Value* other_input(const ir::Node& node, const ir::Value* value);

/// Sets trtutils.activation (and its parameters) for a single activation node
/// (Relu, Sigmoid, Tanh, HardSwish, LeakyRelu, Clip with constant bounds);
/// false, attributes unchanged, for anything else.
bool activation_attributes(const ir::Node& node, ir::Attributes& attributes);

/// Applies `rewrite_at` (true when it rewrote the graph at that node) until
/// no node changes; a rewrite removes nodes, so each success restarts the
/// scan. Then sorts the graph and drops unused values. Returns the rewrites.
int rewrite_until_fixed_point(ir::Graph& graph,
                              const std::function<bool(ir::Graph&, ir::Node*)>& rewrite_at);

}  // namespace trtutils::builder::fusion
