#include <map>
#include <string>
#include <vector>

#include "ops/node_evaluation.hpp"
#include "passes/foldability.hpp"
#include "trtutils/passes/passes.hpp"

namespace trtutils::passes {

namespace {

struct Declared {
  DType dtype = DType::kUndefined;
  ir::MaybeShape shape;
};

/// Throws one UnsupportedError listing every op the registry lacks.
void require_schemas(const ir::Graph& graph, const ops::OpRegistry& registry) {
  std::map<std::string, std::vector<std::string>> missing;  // op -> node names
  for (const ir::Node* node : graph.nodes()) {
    if (registry.find(node->op_type(), node->domain())) continue;
    const std::string op =
        node->domain().empty() ? node->op_type() : node->domain() + "::" + node->op_type();
    missing[op].push_back(node->name());
  }
  if (missing.empty()) return;
  std::string message =
      trtutils::detail::concat("shape inference: ", missing.size(), " op",
                               missing.size() == 1 ? " is" : "s are", " not supported:");
  for (const auto& [op, names] : missing) {
    message += trtutils::detail::concat("\n  ", op, " (node");
    for (std::size_t i = 0; i < names.size(); ++i) {
      message += trtutils::detail::concat(i ? ", '" : " '", names[i], "'");
    }
    message += ")";
  }
  throw UnsupportedError(message);
}

/// What the rule inferred, refined by what the model declared (a rule may
/// know less than the file, e.g. an unknown rank); a contradiction is an error.
ir::MaybeShape merge_shapes(const ir::Node& node, const ir::Value& value,
                            const ir::MaybeShape& inferred, const ir::MaybeShape& declared) {
  if (!inferred) return declared;
  if (!declared) return inferred;
  auto contradiction = [&] {
    return ModelError(trtutils::detail::concat(
        node.describe(), ": output '", value.name(), "' is inferred as ", ir::to_string(inferred),
        " but the model declares ", ir::to_string(declared)));
  };
  if (inferred->size() != declared->size()) throw contradiction();
  ir::DimList merged(inferred->size());
  for (std::size_t i = 0; i < merged.size(); ++i) {
    const ir::Dim& a = (*inferred)[i];
    const ir::Dim& b = (*declared)[i];
    if (a.is_static() && b.is_static() && a.value != b.value) throw contradiction();
    if (a.is_static() || b.is_static()) {
      merged[i] = a.is_static() ? a : b;
    } else {
      merged[i] = a.symbol.empty() ? b : a;
    }
  }
  return merged;
}

void reconcile(const ir::Node& node, ir::Value& out, const Declared& declared) {
  if (declared.dtype != DType::kUndefined && out.dtype() != DType::kUndefined &&
      declared.dtype != out.dtype()) {
    throw ModelError(trtutils::detail::concat(
        node.describe(), ": output '", out.name(), "' is inferred as ", dtype_name(out.dtype()),
        " but the model declares ", dtype_name(declared.dtype)));
  }
  if (out.is_constant()) {
    merge_shapes(node, out, out.shape(), declared.shape);  // only checks
    return;
  }
  if (out.dtype() == DType::kUndefined) out.set_dtype(declared.dtype);
  out.set_shape(merge_shapes(node, out, out.shape(), declared.shape));
}

}  // namespace

void infer_shapes(ir::Graph& graph, const ops::OpRegistry& registry) {
  graph.topological_sort();
  require_schemas(graph, registry);
  for (ir::Node* node : graph.nodes()) {
    const ops::OpSchema& schema = *registry.find(node->op_type(), node->domain());
    // Start each output from nothing so that what it ends with is the rule's
    // answer (refined by the declaration), not a previous run's.
    std::vector<Declared> declared(node->outputs().size());
    for (std::size_t i = 0; i < declared.size(); ++i) {
      ir::Value* out = node->output(i);
      if (!out) continue;
      declared[i] = {out->dtype(), out->shape()};
      out->clear_constant();
      out->set_dtype(DType::kUndefined);
      out->set_shape(std::nullopt);
    }
    ops::with_node_context(*node, [&] {
      ops::InferContext context(*node, ops::opset_for(graph, *node));
      schema.infer(context);
    });
    for (std::size_t i = 0; i < declared.size(); ++i) {
      if (ir::Value* out = node->output(i)) reconcile(*node, *out, declared[i]);
    }
    // Nodes of constants are evaluated now, so that later shape rules see
    // their data (Shape -> Gather -> Concat -> Reshape on static shapes).
    if (!folding::outputs_are_constant(*node))
      folding::evaluate_constant_node(graph, *node, schema);
  }
}

}  // namespace trtutils::passes
