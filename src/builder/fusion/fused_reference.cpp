// CPU semantics of the fusion attributes and of FusedElementwise nodes: the
// oracle that says a fused graph still computes what the original did.
#include <cmath>

#include "trtutils/builder/fusion.hpp"
#include "trtutils/core/error.hpp"
#include "trtutils/ops/internal_ops.hpp"
#include "trtutils/ops/reference_executor.hpp"

namespace trtutils::builder {

namespace fa = fusion_attributes;

namespace {

double activate(const ir::Attributes& attributes, const std::string& activation, double v) {
  if (activation == fa::kRelu) return v > 0 ? v : 0.0;
  if (activation == fa::kSigmoid) return 1.0 / (1.0 + std::exp(-v));
  if (activation == fa::kTanh) return std::tanh(v);
  if (activation == fa::kClip) {
    return std::fmin(std::fmax(v, attributes.get_float(fa::kClipMin)), attributes.get_float(fa::kClipMax));
  }
  if (activation == fa::kLeakyRelu) return v >= 0 ? v : attributes.get_float(fa::kAlpha, 0.01f) * v;
  if (activation == fa::kHardSwish) return v * std::fmax(0.0, std::fmin(1.0, v / 6.0 + 0.5));
  if (activation == fa::kSilu) return v / (1.0 + std::exp(-v));
  if (activation == fa::kGelu) return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
  throw ModelError(detail::concat("unknown fused activation '", activation, "'"));
}

ops::CpuFn with_epilogue(ops::CpuFn base) {
  return [base](const ops::CpuContext& ctx) {
    std::vector<HostTensor> outputs = base(ctx);
    const ir::Attributes& attributes = ctx.attributes();
    const bool bias = attributes.get_int(fa::kBias, 0) != 0;
    const bool residual = attributes.get_int(fa::kResidual, 0) != 0;
    if (bias || residual || attributes.has(fa::kActivation)) {
      apply_fused_epilogue(attributes, outputs.at(0), bias ? &ctx.input(2) : nullptr,
                           residual ? &ctx.input(3) : nullptr);
    }
    return outputs;
  };
}

}  // namespace

void apply_fused_epilogue(const ir::Attributes& attributes, HostTensor& output,
                          const HostTensor* bias, const HostTensor* residual) {
  const DType dtype = output.dtype();
  HostTensor v = output.cast(DType::kFloat64);
  std::span<double> values = v.values<double>();
  if (bias) {
    const HostTensor b = bias->cast(DType::kFloat64);
    const auto n = static_cast<std::size_t>(b.element_count());
    TRTUTILS_CHECK(n > 0 && values.size() % n == 0, "fused bias of ", n,
                   " elements does not divide the output's ", values.size());
    for (std::size_t i = 0; i < values.size(); ++i) values[i] += b.values<double>()[i % n];
  }
  if (residual) {
    TRTUTILS_CHECK(residual->shape() == output.shape(), "fused residual ",
                   shape_to_string(residual->shape()), " does not have the output's shape ",
                   shape_to_string(output.shape()));
    const HostTensor z = residual->cast(DType::kFloat64);
    for (std::size_t i = 0; i < values.size(); ++i) values[i] += z.values<double>()[i];
  }
  if (attributes.has(fa::kActivation)) {
    const std::string activation = attributes.get_string(fa::kActivation);
    for (double& x : values) x = activate(attributes, activation, x);
  }
  output = v.cast(dtype);
}

ops::OpRegistry fused_reference_registry(const FusedSubgraphs& subgraphs,
                                         const ops::OpRegistry& base) {
  ops::OpRegistry registry;
  for (const std::string& op_type : base.op_types()) {
    const ops::OpSchema* schema = base.find(op_type);
    if (!schema) continue;
    ops::OpSchema copy = *schema;
    if (op_type == "Conv" || op_type == "ConvTranspose" || op_type == "Gemm" || op_type == "MatMul") {
      copy.run_cpu = with_epilogue(copy.run_cpu);
    }
    registry.add(std::move(copy));
  }
  // The channels-last convolution adds its Z itself; the activation follows.
  ops::OpSchema conv_nhwc = *ops::with_internal_ops(base).find(ops::kConvNhwcOp, ops::kInternalDomain);
  conv_nhwc.run_cpu = with_epilogue(conv_nhwc.run_cpu);
  registry.add(std::move(conv_nhwc));
  ops::OpSchema fused;
  fused.op_type = fa::kFusedElementwiseOp;
  fused.domain = fa::kFusedElementwiseDomain;
  const auto find_subgraph = [&subgraphs](const ir::Node& node) -> const ir::Graph& {
    const auto it = subgraphs.by_node.find(node.name());
    if (it == subgraphs.by_node.end()) {
      throw ModelError(detail::concat(node.describe(), ": no fused sub-graph recorded"));
    }
    return *it->second;
  };
  fused.infer = [find_subgraph](ops::InferContext& ctx) {
    const ir::Value* out = find_subgraph(ctx.node()).outputs().at(0);
    ctx.set_output(0, out->dtype(), out->shape());
  };
  fused.run_cpu = [find_subgraph, base_ptr = &base](const ops::CpuContext& ctx) {
    const ir::Graph& sub = find_subgraph(ctx.node());
    ops::TensorMap inputs;
    for (std::size_t i = 0; i < sub.inputs().size(); ++i) inputs[sub.inputs()[i]->name()] = ctx.input(i);
    ops::TensorMap result = ops::ReferenceExecutor(sub, *base_ptr).run(inputs);
    return std::vector<HostTensor>{std::move(result.at(sub.outputs().at(0)->name()))};
  };
  registry.add(std::move(fused));
  return registry;
}

}  // namespace trtutils::builder
