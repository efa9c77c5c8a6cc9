#include "trtutils/passes/passes.hpp"

namespace trtutils::passes {

void simplify(ir::Graph& graph, const ops::OpRegistry& registry) {
  remove_identities(graph);
  infer_shapes(graph, registry);
  fold_constants(graph, registry);
  eliminate_dead_nodes(graph);
}

}  // namespace trtutils::passes
