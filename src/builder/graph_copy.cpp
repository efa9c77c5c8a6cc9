#include "builder/graph_copy.hpp"

#include <map>

namespace trtutils::builder {

ir::Graph copy_graph(const ir::Graph& graph) {
  ir::Graph copy;
  copy.name = graph.name;
  copy.opset_imports = graph.opset_imports;
  std::map<const ir::Value*, ir::Value*> mapped;
  for (const ir::Value* value : graph.values()) {
    ir::Value* twin = copy.add_value(value->name());
    if (value->is_constant()) twin->set_constant(value->constant());
    twin->set_dtype(value->dtype());
    twin->set_shape(value->shape());
    mapped[value] = twin;
  }
  const auto map_all = [&](const std::vector<ir::Value*>& values) {
    std::vector<ir::Value*> out;
    out.reserve(values.size());
    for (const ir::Value* v : values) out.push_back(v ? mapped.at(v) : nullptr);
    return out;
  };
  for (const ir::Node* node : graph.nodes()) {
    copy.add_node(node->op_type(), node->name(), map_all(node->inputs()), map_all(node->outputs()),
                  node->attributes(), node->domain());
  }
  copy.inputs() = map_all(graph.inputs());
  copy.outputs() = map_all(graph.outputs());
  return copy;
}

}  // namespace trtutils::builder
