// Conv + residual Add (+ activation): Add(conv(x), z) becomes the convolution's
// z input, y = activation(conv(x, w) + bias + z) in one cuDNN call
// (cudnnConvolutionBiasActivationForward), which also saves a store and a
// rounding of the convolution's output in fp16/bf16.
#include "builder/fusion/rewrite.hpp"
#include "trtutils/builder/fusion.hpp"
#include "trtutils/ops/internal_ops.hpp"

namespace trtutils::builder {

namespace fa = fusion_attributes;

namespace {

bool is_float(DType dtype) {
  return dtype == DType::kFloat32 || dtype == DType::kFloat16 || dtype == DType::kBFloat16;
}

/// A Conv / ConvNHWC that can still take a residual: no activation yet (it
/// would have to apply after z) and no residual.
bool takes_residual(const ir::Node* conv) {
  if (!conv || conv->outputs().size() != 1 || conv->attributes().has(fa::kActivation)) return false;
  const bool onnx_conv = conv->op_type() == "Conv" && conv->domain().empty();
  const bool nhwc = conv->op_type() == ops::kConvNhwcOp && conv->domain() == ops::kInternalDomain;
  if (!onnx_conv && !nhwc) return false;
  return conv->inputs().size() <= 3 && conv->attributes().get_int(fa::kResidual, 0) == 0;
}

bool fuse_one(ir::Graph& graph, ir::Node* add) {
  if (add->op_type() != "Add" || !add->domain().empty() || add->inputs().size() != 2) return false;
  ir::Value* out = add->output(0);
  if (!out || !is_float(out->dtype()) || !ir::is_static(out->shape())) return false;
  for (std::size_t side = 0; side < 2; ++side) {
    ir::Value* y = add->input(side);
    ir::Value* z = add->input(1 - side);
    ir::Node* conv = y->producer();
    if (!takes_residual(conv) || fusion::sole_consumer(graph, y) != add || z == y || z->is_constant()) {
      continue;
    }
    if (y->shape() != out->shape() || z->shape() != out->shape() || z->dtype() != out->dtype()) continue;
    std::vector<ir::Value*> inputs = conv->inputs();
    inputs.resize(3, nullptr);
    inputs.push_back(z);
    ir::Attributes attributes = conv->attributes();
    if (conv->domain().empty()) attributes.set(fa::kResidual, std::int64_t{1});
    ir::Value* result = out;
    ir::Node* activation = fusion::sole_consumer(graph, out);
    if (activation && fusion::activation_attributes(*activation, attributes)) {
      result = activation->output(0);
      graph.remove_node(activation);
    }
    graph.remove_node(add);
    fusion::rebuild(graph, conv, std::move(inputs), {result}, std::move(attributes));
    return true;
  }
  return false;
}

}  // namespace

int fuse_residual_adds(ir::Graph& graph) {
  return fusion::rewrite_until_fixed_point(graph, fuse_one);
}

}  // namespace trtutils::builder
