#include "builder/fusion/rewrite.hpp"

#include <algorithm>
#include <cmath>

#include "trtutils/builder/fusion_attributes.hpp"

namespace trtutils::builder::fusion {

namespace fa = fusion_attributes;

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

bool activation_attributes(const ir::Node& node, ir::Attributes& attributes) {
  const std::string& op = node.op_type();
  if (!node.domain().empty()) return false;
  if (op == "Relu") attributes.set(fa::kActivation, std::string(fa::kRelu));
  else if (op == "Sigmoid") attributes.set(fa::kActivation, std::string(fa::kSigmoid));
  else if (op == "Tanh") attributes.set(fa::kActivation, std::string(fa::kTanh));
  else if (op == "HardSwish") attributes.set(fa::kActivation, std::string(fa::kHardSwish));
  else if (op == "LeakyRelu") {
    attributes.set(fa::kActivation, std::string(fa::kLeakyRelu));
    attributes.set(fa::kAlpha, node.attributes().get_float("alpha", 0.01f));
  } else if (op == "Clip") {
    float low = node.attributes().get_float("min", -INFINITY);
    float high = node.attributes().get_float("max", INFINITY);
    for (std::size_t i = 1; i < 3 && i < node.inputs().size(); ++i) {
      if (!node.input(i)) continue;
      const auto bound = scalar_constant(node.input(i));
      if (!bound) return false;
      (i == 1 ? low : high) = static_cast<float>(*bound);
    }
    attributes.set(fa::kActivation, std::string(fa::kClip));
    attributes.set(fa::kClipMin, low);
    attributes.set(fa::kClipMax, high);
  } else {
    return false;
  }
  return true;
}

int rewrite_until_fixed_point(ir::Graph& graph,
                              const std::function<bool(ir::Graph&, ir::Node*)>& rewrite_at) {
  int rewrites = 0;
  for (bool changed = true; changed;) {
    changed = false;
    for (ir::Node* node : graph.nodes()) {
      if (rewrite_at(graph, node)) {
        ++rewrites;
        changed = true;
        break;
      }
    }
  }
  if (rewrites) {
    graph.topological_sort();
    graph.remove_unused_values();
  }
  return rewrites;
}

}  // namespace trtutils::builder::fusion
