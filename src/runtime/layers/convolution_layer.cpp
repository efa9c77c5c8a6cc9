// "cudnn.convolution": a gpu::ConvolutionPlan with the algorithm the builder
// chose (set_algorithm: no re-tuning at load). Its execute() is const, so one
// plan serves every context (each brings its own cuDNN handle); a graph-API
// algorithm's execution plan is made per context, with that context's
// handle, when the context is created (never on the enqueue path).
#include "runtime/layer_registry.hpp"
#include "trtutils/gpu/convolution_plan.hpp"
#include "trtutils/gpu/cudnn_handle.hpp"
#include "trtutils/runtime/library_layer_params.hpp"

namespace trtutils::runtime::detail {

namespace {

gpu::ConvolutionDesc read_desc(const LayerBuildContext& context) {
  const plan::LayerDesc& desc = context.desc;
  if (desc.inputs.size() < 2 || desc.outputs.size() != 1) {
    throw ModelError(trtutils::detail::concat(layer_prefix(desc), "has ", desc.inputs.size(),
                                              " inputs and ", desc.outputs.size(),
                                              " outputs; expected x, w, [bias], [z] and y"));
  }
  return convolution_desc_from_params(desc.params, context.plan.tensor(desc.inputs[0]).dtype,
                                      context.plan.tensor(desc.inputs[1]).dtype,
                                      context.plan.tensor(desc.outputs[0]).dtype);
}

struct ConvolutionState final : LayerState {
  std::unique_ptr<gpu::ConvolutionExecution> execution;
};

class ConvolutionLayer final : public Layer {
 public:
  explicit ConvolutionLayer(const LayerBuildContext& context)
      : Layer(context.desc), plan_(read_desc(context)) {
    const gpu::ConvolutionDesc& conv = plan_.desc();
    tensors_ = convolution_tensors(context.desc, conv.has_bias, conv.has_residual);
    plan_.set_algorithm(convolution_algorithm_from_params(context.desc.params));
  }

  std::string detail() const override {
    const gpu::ConvolutionAlgorithm& chosen = *plan_.algorithm();
    const std::string kernel =
        chosen.uses_graph_api()
            ? gpu::describe_graph_engine(chosen)
            : trtutils::detail::concat("cuDNN algorithm ", chosen.algorithm, ", math type ",
                                       chosen.math_type);
    return trtutils::detail::concat(kernel, ", ", chosen.workspace_bytes,
                                    " bytes of workspace, epilogue ",
                                    chosen.fused_epilogue ? "fused" : "separate", ", ",
                                    gpu::to_string(plan_.desc().layout));
  }

  std::unique_ptr<LayerState> create_state(TensorAddresses /*addresses*/,
                                           const LayerHandles& handles) const override {
    if (!plan_.algorithm()->uses_graph_api()) return nullptr;
    TRTUTILS_CHECK(handles.cudnn != nullptr, layer_prefix(desc()),
                   "needs the context's cuDNN handle");
    auto state = std::make_unique<ConvolutionState>();
    state->execution = plan_.prepare(*handles.cudnn, handles.convolution_plans);
    return state;
  }
  std::size_t workspace_bytes() const override { return plan_.workspace_bytes(); }
  bool needs_cudnn() const override { return true; }

  void enqueue(LayerState* state, TensorAddresses addresses,
               const LayerResources& resources) const override {
    const auto at = [&](plan::TensorId id) -> void* {
      return id == plan::kAbsentTensor ? nullptr : addresses[id];
    };
    const gpu::ConvolutionBuffers buffers{at(tensors_.x), at(tensors_.w), at(tensors_.bias),
                                          at(tensors_.z), at(tensors_.y)};
    gpu::ConvolutionExecution* execution =
        state != nullptr ? static_cast<ConvolutionState*>(state)->execution.get() : nullptr;
    plan_.execute(*resources.cudnn, resources.stream, buffers, resources.workspace,
                  resources.workspace_bytes, execution);
  }

 private:
  gpu::ConvolutionPlan plan_;
  ConvolutionTensors tensors_{};
};

}  // namespace

std::unique_ptr<Layer> make_convolution_layer(const LayerBuildContext& context) {
  return std::make_unique<ConvolutionLayer>(context);
}

}  // namespace trtutils::runtime::detail
