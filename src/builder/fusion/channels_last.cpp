// Layout choice: 2-D convolutions run channels-last (NHWC), the layout
// tensor cores read without a reformat. Each Conv becomes
//   Transpose(to NHWC) -> trtutils.ConvNHWC (weights re-laid out KRSC) ->
//   Transpose(to NCHW)
// and optimize_transposes then cancels the pairs between convolutions.
#include "builder/fusion/rewrite.hpp"
#include "trtutils/builder/fusion.hpp"
#include "trtutils/ops/internal_ops.hpp"

namespace trtutils::builder {

namespace {

bool is_float(DType dtype) {
  return dtype == DType::kFloat32 || dtype == DType::kFloat16 || dtype == DType::kBFloat16;
}

/// A 2-D Conv cuDNN runs channels-last: static 4-D shapes, float, constant
/// weights (re-laid out here) and bias.
bool convertible(const ir::Node& conv) {
  if (conv.op_type() != "Conv" || !conv.domain().empty() || conv.outputs().size() != 1) return false;
  const ir::Value* x = conv.input(0);
  const ir::Value* w = conv.input(1);
  const ir::Value* y = conv.output(0);
  if (!x || !w || !y || !w->is_constant() || x->is_constant()) return false;
  if (conv.inputs().size() > 3) return false;  // already carries a residual
  if (conv.input(2) && !conv.input(2)->is_constant()) return false;
  if (!ir::is_static(x->shape()) || !ir::is_static(y->shape()) || x->shape()->size() != 4) return false;
  return is_float(x->dtype()) && w->constant().dtype() == x->dtype();
}

ir::MaybeShape permuted(const ir::MaybeShape& shape, const std::vector<std::int64_t>& perm) {
  ir::DimList out;
  for (const std::int64_t p : perm) out.push_back((*shape)[static_cast<std::size_t>(p)]);
  return out;
}

void convert(ir::Graph& graph, ir::Node* conv) {
  const std::vector<std::int64_t> last = ops::to_channels_last(4);
  const std::vector<std::int64_t> first = ops::to_channels_first(4);
  const std::string name = conv->name();
  ir::Value* x = conv->input(0);
  ir::Value* y = conv->output(0);
  ir::Value* bias = conv->input(2);
  ir::Attributes attributes = conv->attributes();

  ir::Value* x_last = graph.add_unique_value(x->name() + "_nhwc");
  x_last->set_dtype(x->dtype());
  x_last->set_shape(permuted(x->shape(), last));
  ir::Value* w_last = graph.add_unique_value(conv->input(1)->name() + "_krsc");
  w_last->set_constant(ops::transpose_tensor(conv->input(1)->constant(), last));
  ir::Value* y_last = graph.add_unique_value(y->name() + "_nhwc");
  y_last->set_dtype(y->dtype());
  y_last->set_shape(permuted(y->shape(), last));

  graph.remove_node(conv);
  ir::Attributes to_last;
  to_last.set("perm", last);
  graph.add_node("Transpose", name + "/to_nhwc", {x}, {x_last}, std::move(to_last));
  std::vector<ir::Value*> inputs{x_last, w_last};
  if (bias) inputs.push_back(bias);
  graph.add_node(ops::kConvNhwcOp, name, std::move(inputs), {y_last}, std::move(attributes),
                 ops::kInternalDomain);
  ir::Attributes to_first;
  to_first.set("perm", first);
  graph.add_node("Transpose", name + "/to_nchw", {y_last}, {y}, std::move(to_first));
}

}  // namespace

int convert_convolutions_to_nhwc(ir::Graph& graph) {
  int converted = 0;
  for (ir::Node* node : graph.nodes()) {
    if (!convertible(*node)) continue;
    convert(graph, node);
    ++converted;
  }
  if (converted) {
    graph.topological_sort();
    graph.remove_unused_values();
  }
  return converted;
}

}  // namespace trtutils::builder
