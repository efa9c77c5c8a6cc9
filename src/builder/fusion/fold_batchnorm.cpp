// Conv -> BatchNormalization folding: with s = scale / sqrt(var + eps),
//   W'[k] = W[k] * s[k],  B'[k] = (B[k] - mean[k]) * s[k] + bias[k]
// (ONNX BatchNormalization, inference mode:
//  https://onnx.ai/onnx/operators/onnx__BatchNormalization.html).
#include <cmath>

#include "builder/fusion/rewrite.hpp"
#include "trtutils/builder/fusion.hpp"

namespace trtutils::builder {

namespace {

bool all_constant(const ir::Node& node, std::size_t from) {
  for (std::size_t i = from; i < node.inputs().size(); ++i) {
    if (!node.input(i) || !node.input(i)->is_constant()) return false;
  }
  return true;
}

bool fold_one(ir::Graph& graph, ir::Node* conv) {
  if (conv->op_type() != "Conv" || !conv->domain().empty() || conv->inputs().size() < 2) return false;
  ir::Value* w = conv->input(1);
  if (!w->is_constant() || (conv->input(2) && !conv->input(2)->is_constant())) return false;
  ir::Node* bn = fusion::sole_consumer(graph, conv->output(0));
  if (!bn || bn->op_type() != "BatchNormalization" || !bn->domain().empty() ||
      bn->input(0) != conv->output(0) || bn->inputs().size() != 5 || !all_constant(*bn, 1)) {
    return false;
  }
  for (std::size_t i = 1; i < bn->outputs().size(); ++i) {
    if (bn->output(i)) return false;  // training-mode outputs
  }
  if (bn->attributes().get_int("training_mode", 0) != 0) return false;
  const double eps = bn->attributes().get_float("epsilon", 1e-5f);
  const HostTensor weights = w->constant().cast(DType::kFloat64);
  const std::int64_t k = weights.shape()[0];
  const auto per_channel = [&](std::size_t i) {
    HostTensor t = bn->input(i)->constant().cast(DType::kFloat64);
    return t.element_count() == k ? std::vector<double>(t.values<double>().begin(), t.values<double>().end())
                                  : std::vector<double>();
  };
  const auto scale = per_channel(1), shift = per_channel(2), mean = per_channel(3),
             var = per_channel(4);
  if (scale.empty() || shift.empty() || mean.empty() || var.empty()) return false;
  std::vector<double> bias(static_cast<std::size_t>(k), 0.0);
  if (conv->input(2)) {
    const HostTensor b = conv->input(2)->constant().cast(DType::kFloat64);
    if (b.element_count() != k) return false;
    bias.assign(b.values<double>().begin(), b.values<double>().end());
  }
  HostTensor new_w = weights;
  const std::int64_t per_filter = weights.element_count() / k;
  std::vector<double> new_b(static_cast<std::size_t>(k));
  for (std::int64_t c = 0; c < k; ++c) {
    const auto i = static_cast<std::size_t>(c);
    const double s = scale[i] / std::sqrt(var[i] + eps);
    for (std::int64_t j = 0; j < per_filter; ++j) new_w.values<double>()[static_cast<std::size_t>(c * per_filter + j)] *= s;
    new_b[i] = (bias[i] - mean[i]) * s + shift[i];
  }
  const DType dtype = w->constant().dtype();
  ir::Value* w_value = graph.add_unique_value(w->name() + "_bnfolded");
  w_value->set_constant(new_w.cast(dtype));
  ir::Value* b_value = graph.add_unique_value(conv->name() + "_bnfolded_bias");
  b_value->set_constant(HostTensor::from_values<double>({k}, new_b).cast(dtype));
  ir::Value* out = bn->output(0);
  std::vector<ir::Value*> inputs{conv->input(0), w_value, b_value};
  ir::Attributes attributes = conv->attributes();
  graph.remove_node(bn);
  fusion::rebuild(graph, conv, std::move(inputs), {out}, std::move(attributes));
  return true;
}

}  // namespace

int fold_batchnorm_into_conv(ir::Graph& graph) {
  return fusion::rewrite_until_fixed_point(graph, fold_one);
}

}  // namespace trtutils::builder
