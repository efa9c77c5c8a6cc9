#include "passes/foldability.hpp"

#include <set>
#include <string>

#include "ops/node_evaluation.hpp"

namespace trtutils::passes::folding {

namespace {

// ONNX ops whose result changes from run to run.
const std::set<std::string>& random_ops() {
  static const std::set<std::string> ops = {"RandomNormal",  "RandomNormalLike",
                                            "RandomUniform", "RandomUniformLike",
                                            "Multinomial",   "Bernoulli"};
  return ops;
}

/// Bytes of a value whose dtype and shape are fully known, else 0.
std::size_t known_bytes(const ir::Value& value) {
  if (value.dtype() == DType::kUndefined || !ir::is_static(value.shape())) return 0;
  std::size_t bytes = dtype_size(value.dtype());
  for (const ir::Dim& d : *value.shape()) {
    const auto n = static_cast<std::size_t>(d.value);
    if (n != 0 && bytes > kMaxFoldedBytes / n) return kMaxFoldedBytes + 1;
    bytes *= n;
  }
  return bytes;
}

}  // namespace

bool is_deterministic(const ir::Node& node) {
  if (!node.domain().empty() && node.domain() != "ai.onnx") return false;
  if (random_ops().count(node.op_type())) return false;
  if (node.op_type() == "Dropout") {
    // Dropout-12+: training_mode (input 2) switches the random mask on.
    // A ratio of 0 drops nothing, training or not.
    auto constant_zero = [](const ir::Value* v) {
      return v && v->is_constant() && v->constant().element_count() == 1 &&
             element_as_double(v->constant().view(), 0) == 0.0;
    };
    const ir::Value* training = node.input(2);
    return !training || constant_zero(training) || constant_zero(node.input(1));
  }
  return true;
}

bool inputs_are_constant(const ir::Node& node) {
  for (const ir::Value* in : node.inputs()) {
    if (in && !in->is_constant()) return false;
  }
  return true;
}

bool outputs_are_constant(const ir::Node& node) {
  bool any = false;
  for (const ir::Value* out : node.outputs()) {
    if (!out) continue;
    if (!out->is_constant()) return false;
    any = true;
  }
  return any;
}

bool evaluate_constant_node(ir::Graph& graph, ir::Node& node, const ops::OpSchema& schema) {
  if (!is_deterministic(node) || !inputs_are_constant(node)) return false;
  bool any_output = false;
  for (const ir::Value* out : node.outputs()) {
    if (!out) continue;
    any_output = true;
    if (known_bytes(*out) > kMaxFoldedBytes) return false;
  }
  if (!any_output) return false;
  std::vector<const HostTensor*> args;
  args.reserve(node.inputs().size());
  for (const ir::Value* in : node.inputs()) args.push_back(in ? &in->constant() : nullptr);
  std::vector<HostTensor> results =
      ops::evaluate_node(schema, node, ops::opset_for(graph, node), std::move(args));
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (results[i].byte_size() > kMaxFoldedBytes) return false;
    ops::check_output_agrees(node, i, results[i]);
  }
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (ir::Value* out = node.output(i)) out->set_constant(std::move(results[i]));
  }
  return true;
}

}  // namespace trtutils::passes::folding
