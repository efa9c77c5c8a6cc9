#include <set>

#include "trtutils/passes/passes.hpp"

namespace trtutils::passes {

int eliminate_dead_nodes(ir::Graph& graph) {
  graph.topological_sort();
  const std::vector<ir::Node*> nodes = graph.nodes();
  std::set<const ir::Value*> live(graph.outputs().begin(), graph.outputs().end());
  std::vector<ir::Node*> dead;
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    ir::Node* node = *it;
    bool needed = false;
    for (const ir::Value* out : node->outputs()) needed = needed || (out && live.count(out));
    if (!needed) {
      dead.push_back(node);
      continue;
    }
    for (const ir::Value* in : node->inputs()) {
      if (in) live.insert(in);
    }
  }
  for (ir::Node* node : dead) graph.remove_node(node);
  graph.remove_unused_values();
  return static_cast<int>(dead.size());
}

}  // namespace trtutils::passes
