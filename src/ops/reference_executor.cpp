#include "trtutils/ops/reference_executor.hpp"

#include <map>
#include <set>
#include <unordered_map>
#include <vector>

#include "ops/node_evaluation.hpp"

namespace trtutils::ops {

namespace {

std::string describe_declared(const ir::Value& value) {
  return detail::concat(dtype_name(value.dtype()), ir::to_string(value.shape()));
}

/// Nodes in an order where producers come first, computed without touching
/// the (const) graph. Throws ModelError if some node can never run.
std::vector<const ir::Node*> execution_order(const ir::Graph& graph) {
  const std::vector<ir::Node*> nodes = graph.nodes();
  std::unordered_map<const ir::Node*, std::size_t> pending;
  for (const ir::Node* node : nodes) {
    std::size_t count = 0;
    for (const ir::Value* in : node->inputs()) {
      if (in && in->producer()) ++count;
    }
    pending[node] = count;
  }
  std::vector<const ir::Node*> order;
  order.reserve(nodes.size());
  std::set<const ir::Node*> placed;
  bool progress = true;
  while (order.size() < nodes.size() && progress) {
    progress = false;
    for (const ir::Node* node : nodes) {
      if (placed.count(node) || pending[node] != 0) continue;
      placed.insert(node);
      order.push_back(node);
      progress = true;
      for (const ir::Value* out : node->outputs()) {
        if (!out) continue;
        for (const ir::Node* consumer : out->consumers()) --pending[consumer];
      }
    }
  }
  if (order.size() < nodes.size()) {
    std::string stuck;
    for (const ir::Node* node : nodes) {
      if (!placed.count(node)) stuck += detail::concat(stuck.empty() ? "" : ", ", node->describe());
    }
    throw ModelError(detail::concat("graph '", graph.name, "' has a cycle through: ", stuck));
  }
  return order;
}

}  // namespace

ReferenceExecutor::ReferenceExecutor(const ir::Graph& graph, const OpRegistry& registry)
    : graph_(graph), registry_(registry) {
  std::map<std::string, std::vector<std::string>> missing;  // op -> node names
  for (const ir::Node* node : graph.nodes()) {
    if (registry.find(node->op_type(), node->domain())) continue;
    const std::string op =
        node->domain().empty() ? node->op_type() : node->domain() + "::" + node->op_type();
    missing[op].push_back(node->name());
  }
  if (missing.empty()) return;
  std::string message =
      detail::concat("the reference executor does not implement ", missing.size(), " op",
                     missing.size() == 1 ? "" : "s", " used by graph '", graph.name, "':");
  for (const auto& [op, names] : missing) {
    message +=
        detail::concat("\n  ", op, " (", names.size(), " node", names.size() == 1 ? "" : "s", ": ");
    for (std::size_t i = 0; i < names.size(); ++i) {
      message += detail::concat(i ? ", " : "", "'", names[i], "'");
    }
    message += ")";
  }
  throw UnsupportedError(message);
}

TensorMap ReferenceExecutor::run(const TensorMap& inputs) const {
  // Tensors by value: `bound` borrows (caller inputs, constants), `owned`
  // holds what nodes computed until its last reader has run.
  std::unordered_map<const ir::Value*, const HostTensor*> bound;
  std::unordered_map<const ir::Value*, HostTensor> owned;

  std::set<std::string> expected_names;
  for (const ir::Value* input : graph_.inputs()) {
    expected_names.insert(input->name());
    const auto it = inputs.find(input->name());
    if (it == inputs.end()) {
      // Inputs that are also initializers keep their data unless overridden.
      TRTUTILS_CHECK(input->is_constant(), "missing input '", input->name(), "' (expected ",
                     describe_declared(*input), ")");
      continue;
    }
    const HostTensor& tensor = it->second;
    TRTUTILS_CHECK(input->dtype() == DType::kUndefined || tensor.dtype() == input->dtype(),
                   "input '", input->name(), "': expected dtype ", dtype_name(input->dtype()),
                   ", got ", dtype_name(tensor.dtype()));
    TRTUTILS_CHECK(shape_matches(input->shape(), tensor.shape()), "input '", input->name(),
                   "': expected shape ", ir::to_string(input->shape()), ", got ",
                   shape_to_string(tensor.shape()));
    bound[input] = &tensor;
  }
  std::vector<std::string> unknown;
  for (const auto& [name, tensor] : inputs) {
    if (!expected_names.count(name)) unknown.push_back(name);
  }
  if (!unknown.empty()) {
    std::string message = "unknown input";
    message += unknown.size() == 1 ? " " : "s ";
    for (std::size_t i = 0; i < unknown.size(); ++i) {
      message += detail::concat(i ? ", " : "", "'", unknown[i], "'");
    }
    message += "; the graph's inputs are";
    for (const std::string& name : expected_names) message += detail::concat(" '", name, "'");
    throw InvalidArgument(message);
  }

  const std::vector<const ir::Node*> order = execution_order(graph_);
  // Index of the last node reading each value; graph outputs are never freed.
  std::unordered_map<const ir::Value*, std::size_t> last_use;
  for (std::size_t i = 0; i < order.size(); ++i) {
    for (const ir::Value* in : order[i]->inputs()) {
      if (in) last_use[in] = i;
    }
  }
  const std::set<const ir::Value*> graph_outputs(graph_.outputs().begin(), graph_.outputs().end());

  auto lookup = [&](const ir::Value* value, const ir::Node* reader) -> const HostTensor* {
    if (const auto it = owned.find(value); it != owned.end()) return &it->second;
    if (const auto it = bound.find(value); it != bound.end()) return it->second;
    if (value->is_constant()) return &value->constant();
    throw ModelError(detail::concat(reader ? reader->describe() + " reads" : std::string("output"),
                                    " '", value->name(),
                                    "', which no node, input or initializer provides"));
  };

  for (std::size_t i = 0; i < order.size(); ++i) {
    const ir::Node& node = *order[i];
    const OpSchema* schema = registry_.find(node.op_type(), node.domain());
    if (!schema) {
      throw UnsupportedError(detail::concat(node.describe(), ": op is not in the registry"));
    }
    std::vector<const HostTensor*> args;
    args.reserve(node.inputs().size());
    for (const ir::Value* in : node.inputs()) args.push_back(in ? lookup(in, &node) : nullptr);

    std::vector<HostTensor> results = evaluate_node(*schema, node, opset_for(graph_, node), args);
    for (std::size_t k = 0; k < results.size(); ++k) {
      const ir::Value* out = node.output(k);
      if (!out) continue;
      check_output_agrees(node, k, results[k]);
      if (out->consumers().empty() && !graph_outputs.count(out)) continue;  // unused
      owned[out] = std::move(results[k]);
    }
    for (const ir::Value* in : node.inputs()) {
      if (!in || graph_outputs.count(in)) continue;
      const auto it = last_use.find(in);
      if (it != last_use.end() && it->second == i) owned.erase(in);
    }
  }

  TensorMap result;
  for (const ir::Value* out : graph_.outputs()) {
    if (const auto it = owned.find(out); it != owned.end()) {
      result[out->name()] = it->second;
    } else {
      result[out->name()] = *lookup(out, nullptr);
    }
  }
  return result;
}

}  // namespace trtutils::ops
