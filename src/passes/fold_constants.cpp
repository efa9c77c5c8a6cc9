#include "passes/foldability.hpp"
#include "trtutils/passes/passes.hpp"

namespace trtutils::passes {

int fold_constants(ir::Graph& graph, const ops::OpRegistry& registry) {
  graph.topological_sort();
  int folded = 0;
  for (ir::Node* node : graph.nodes()) {
    if (!folding::is_deterministic(*node)) continue;
    // Outputs may already be constant: from infer_shapes, or from a shape
    // rule that knows its answer without the inputs' data (Shape of a
    // static-shaped value).
    if (!folding::outputs_are_constant(*node)) {
      const ops::OpSchema* schema = registry.find(node->op_type(), node->domain());
      if (!schema || !folding::evaluate_constant_node(graph, *node, *schema)) continue;
    }
    // The output values stay, now constants without a producer; graph
    // outputs among them keep their names.
    graph.remove_node(node);
    ++folded;
  }
  return folded;
}

}  // namespace trtutils::passes
