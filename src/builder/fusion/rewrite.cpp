#include "builder/fusion/rewrite.hpp"

#include <algorithm>

namespace trtutils::builder::fusion {

bool is_graph_output(const ir::Graph& graph, const ir::Value* value) {
  return std::find(graph.outputs().begin(), graph.outputs().end(), value) != graph.outputs().end();
}

ir::Node* sole_consumer(const ir::Graph& graph, const ir::Value* value) {
  if (!value || value->consumers().size() != 1 || is_graph_output(graph, value)) return nullptr;
  return value->consumers()[0];
}

ir::Node* rebuild(ir::Graph& graph, ir::Node* node, std::vector<ir::Value*> inputs,
                  std::vector<ir::Value*> outputs, ir::Attributes attributes) {
  const std::string name = node->name();
  const std::string op_type = node->op_type();
  const std::string domain = node->domain();
  graph.remove_node(node);
  return graph.add_node(op_type, name, std::move(inputs), std::move(outputs),
                        std::move(attributes), domain);
}

std::optional<double> scalar_constant(const ir::Value* value) {
  if (!value || !value->is_constant() || value->constant().element_count() != 1) return std::nullopt;
  const DType dtype = value->constant().dtype();
  if (dtype == DType::kBool || dtype == DType::kUndefined) return std::nullopt;
  return value->constant().cast(DType::kFloat64).values<double>()[0];
}

ir::Value* other_input(const ir::Node& node, const ir::Value* value) {
  if (node.inputs().size() != 2) return nullptr;
  if (node.input(0) == value) return node.input(1);
  if (node.input(1) == value) return node.input(0);
  return nullptr;
}

}  // namespace trtutils::builder::fusion
