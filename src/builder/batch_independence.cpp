#include "builder/batch_independence.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include "trtutils/core/error.hpp"

namespace trtutils::builder {

namespace {

std::optional<std::int64_t> rank_of(const ir::Value* value) {
  if (!value || !value->shape()) return std::nullopt;
  return static_cast<std::int64_t>(value->shape()->size());
}

bool names_axis_zero(std::int64_t axis, std::optional<std::int64_t> rank) {
  return axis == 0 || (rank && axis == -*rank);
}

/// Why the node, reading the batch in its first input, works along axis 0;
/// empty when it does not.
std::string axis_zero_use(const ir::Node& node) {
  const ir::Attributes& attributes = node.attributes();
  const std::optional<std::int64_t> rank = rank_of(node.input(0));
  if (node.op_type() == "Transpose") {
    const std::vector<std::int64_t> perm = attributes.get_ints("perm", {});
    // No perm reverses the axes, which moves axis 0 for any rank above 1.
    if ((perm.empty() && rank.value_or(2) > 1) || (!perm.empty() && perm[0] != 0)) {
      return "moves axis 0 (the batch) elsewhere";
    }
    return {};
  }
  if (node.op_type() == "MeanVarianceNormalization" && !attributes.has("axes")) {
    return "normalises over its default axes [0, 2, 3], across the batch";
  }
  if (node.op_type() == "BatchNormalization" && attributes.get_int("training_mode", 0) != 0) {
    return "computes batch statistics (training mode)";
  }
  // ONNX defaults `axis` to 0 for these (their operator pages).
  static const std::set<std::string> kAxisZeroByDefault = {
      "Gather", "GatherElements", "ScatterElements", "Split", "ArgMax", "ArgMin", "Unique"};
  const bool default_zero = kAxisZeroByDefault.count(node.op_type()) != 0;
  if ((attributes.has("axis") && names_axis_zero(attributes.get_int("axis"), rank)) ||
      (!attributes.has("axis") && default_zero)) {
    return "works along axis 0 (the batch)";
  }
  if (node.op_type() == "CumSum" && node.input(1) && node.input(1)->is_constant() &&
      node.input(1)->constant().element_count() == 1 &&
      names_axis_zero(
          static_cast<std::int64_t>(element_as_double(node.input(1)->constant().view(), 0)),
          rank)) {
    return "accumulates along axis 0 (the batch)";
  }
  if (attributes.has("axes")) {
    const std::vector<std::int64_t> axes = attributes.get_ints("axes");
    if (std::any_of(axes.begin(), axes.end(),
                    [&](std::int64_t a) { return names_axis_zero(a, rank); })) {
      return "works along axis 0 (the batch)";
    }
  }
  return {};
}

std::string shape_text(const ir::Value& value) { return ir::to_string(value.shape()); }

[[noreturn]] void refuse(const ir::Node& node, const std::string& why) {
  throw UnsupportedError(detail::concat(
      "BuildOptions::batch: a dynamic batch runs every sample on its own (a batch between "
      "buckets is padded to the next bucket), but node '",
      node.name(), "' (", node.op_type(), ") ", why,
      "; build with a fixed batch (min = opt = max) instead"));
}

}  // namespace

void check_batch_independent(const ir::Graph& graph, const std::set<std::string>& batched_inputs,
                             std::int64_t batch) {
  std::set<const ir::Value*> batched;
  for (const ir::Value* in : graph.inputs()) {
    if (batched_inputs.count(in->name())) batched.insert(in);
  }
  const auto reads_batch = [&](const ir::Value* v) {
    return v && !v->is_constant() && batched.count(v) != 0;
  };
  for (const ir::Node* node : graph.nodes()) {
    if (std::none_of(node->inputs().begin(), node->inputs().end(), reads_batch)) continue;
    if (reads_batch(node->input(0))) {
      const std::string why = axis_zero_use(*node);
      if (!why.empty()) refuse(*node, why);
    }
    for (const ir::Value* out : node->outputs()) {
      if (!out || out->is_constant()) continue;
      const bool keeps_batch = ir::is_static(out->shape()) && !out->shape()->empty() &&
                               (*out->shape())[0].value == batch;
      if (!keeps_batch) {
        refuse(*node, detail::concat("makes '", out->name(), "' of shape ", shape_text(*out),
                                     " from the batch; its axis 0 must stay the batch (", batch,
                                     " here)"));
      }
      batched.insert(out);
    }
  }
}

}  // namespace trtutils::builder
