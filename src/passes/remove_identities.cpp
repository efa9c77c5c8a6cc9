#include <algorithm>
#include <set>

#include "passes/foldability.hpp"
#include "trtutils/passes/passes.hpp"

namespace trtutils::passes {

namespace {

bool contains(const std::vector<ir::Value*>& list, const ir::Value* value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool is_identity_like(const ir::Node& node) {
  if (!node.domain().empty() && node.domain() != "ai.onnx") return false;
  if (node.op_type() == "Identity") return true;
  // Dropout outside training mode passes its input through (ONNX Dropout-12:
  // "output = data" and an all-true mask when training_mode is false).
  return node.op_type() == "Dropout" && folding::is_deterministic(node);
}

/// Dropout's optional mask, when something reads it: an all-true constant of
/// the data's shape. Returns false when it cannot be built (unknown shape or
/// dtype), in which case the node stays.
bool mask_replacement(const ir::Graph& graph, const ir::Node& node,
                      std::optional<HostTensor>& mask) {
  const ir::Value* out = node.output(1);
  if (!out || (out->consumers().empty() && !contains(graph.outputs(), out))) return true;
  const ir::Value* data = node.input(0);
  if (out->dtype() == DType::kUndefined || !ir::is_static(data->shape())) return false;
  HostTensor ones(ir::to_static(*data->shape()), out->dtype());
  for (std::int64_t i = 0; i < ones.element_count(); ++i)
    set_element_from_double(ones.view(), i, 1.0);
  mask = std::move(ones);
  return true;
}

/// Makes `producer` write `to` where it wrote `from`. The node is rebuilt
/// (the IR has no output setter).
void redirect_output(ir::Graph& graph, ir::Node* producer, ir::Value* from, ir::Value* to) {
  std::string op_type = producer->op_type();
  std::string name = producer->name();
  std::string domain = producer->domain();
  std::vector<ir::Value*> inputs = producer->inputs();
  std::vector<ir::Value*> outputs = producer->outputs();
  ir::Attributes attributes = producer->attributes();
  std::replace(outputs.begin(), outputs.end(), from, to);
  graph.remove_node(producer);
  graph.add_node(std::move(op_type), std::move(name), std::move(inputs), std::move(outputs),
                 std::move(attributes), std::move(domain));
}

/// Removes one Identity/Dropout if the graph's interface allows it.
/// `kept` (identities that had to stay) loses the producer if it is rebuilt.
bool bypass(ir::Graph& graph, ir::Node* node, std::set<const ir::Node*>& kept) {
  ir::Value* in = node->input(0);
  ir::Value* out = node->output(0);
  if (!in || !out) return false;
  std::optional<HostTensor> mask;
  if (node->op_type() == "Dropout" && !mask_replacement(graph, *node, mask)) return false;
  ir::Value* mask_value = node->output(1);

  if (!contains(graph.outputs(), out)) {
    graph.remove_node(node);
    graph.replace_all_uses(out, in);
  } else if (contains(graph.outputs(), in) || contains(graph.inputs(), in)) {
    // out is a graph output and so is (or is an input) `in`: both names are
    // part of the interface, the copy has to stay.
    return false;
  } else if (!in->producer()) {
    if (!in->is_constant()) return false;
    graph.remove_node(node);
    out->set_constant(in->constant());
  } else {
    // out is a graph output whose name must stay: the producer of `in` now
    // writes `out` directly, and readers of `in` read `out`.
    ir::Node* producer = in->producer();
    graph.remove_node(node);
    graph.replace_all_uses(in, out);
    if (out->dtype() == DType::kUndefined) out->set_dtype(in->dtype());
    if (!out->shape()) out->set_shape(in->shape());
    kept.erase(producer);
    redirect_output(graph, producer, in, out);
  }
  if (mask) mask_value->set_constant(std::move(*mask));
  return true;
}

}  // namespace

int remove_identities(ir::Graph& graph) {
  int removed = 0;
  std::set<const ir::Node*> kept;
  // Rebuilding a producer invalidates node pointers, so look afresh each time.
  for (;;) {
    ir::Node* next = nullptr;
    for (ir::Node* node : graph.nodes()) {
      if (is_identity_like(*node) && !kept.count(node)) {
        next = node;
        break;
      }
    }
    if (!next) break;
    if (bypass(graph, next, kept)) {
      ++removed;
    } else {
      kept.insert(next);
    }
  }
  if (removed) {
    graph.topological_sort();
    graph.remove_unused_values();
  }
  return removed;
}

}  // namespace trtutils::passes
