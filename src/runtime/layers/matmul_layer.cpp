// "cublaslt.matmul": a gpu::MatmulPlan with the algorithm the builder chose.
// MatmulPlan::execute records the bias pointer in its descriptor, so each
// context owns its own plan (built from the engine's description, host-only).
#include "runtime/layer_registry.hpp"
#include "trtutils/gpu/cublaslt_handle.hpp"
#include "trtutils/gpu/matmul_plan.hpp"
#include "trtutils/runtime/library_layer_params.hpp"

namespace trtutils::runtime::detail {

namespace {

struct MatmulState : LayerState {
  explicit MatmulState(gpu::MatmulPlan p) : plan(std::move(p)) {}
  gpu::MatmulPlan plan;
};

gpu::MatmulDesc read_desc(const LayerBuildContext& context) {
  const plan::LayerDesc& desc = context.desc;
  if (desc.inputs.size() < 2 || desc.outputs.size() != 1) {
    throw ModelError(trtutils::detail::concat(layer_prefix(desc), "has ", desc.inputs.size(),
                                              " inputs and ", desc.outputs.size(),
                                              " outputs; expected A, B, [bias], [C] and D"));
  }
  return matmul_desc_from_params(desc.params, context.plan.tensor(desc.inputs[0]).dtype,
                                 context.plan.tensor(desc.inputs[1]).dtype,
                                 context.plan.tensor(desc.outputs[0]).dtype);
}

class MatmulLayer final : public Layer {
 public:
  explicit MatmulLayer(const LayerBuildContext& context)
      : Layer(context.desc),
        desc_(read_desc(context)),
        algorithm_(matmul_algorithm_from_params(context.desc.params)),
        tensors_(matmul_tensors(context.desc, gpu::has_bias(desc_.epilogue), desc_.beta != 0.0f)) {
    (void)make_plan();  // validates the description at load, not at the first context
  }

  std::string detail() const override {
    return trtutils::detail::concat("m ", desc_.m, " n ", desc_.n, " k ", desc_.k, " batch ",
                                    desc_.batch, ", epilogue ", gpu::to_string(desc_.epilogue),
                                    ", ", algorithm_.workspace_bytes, " bytes of workspace");
  }
  std::size_t workspace_bytes() const override { return algorithm_.workspace_bytes; }
  bool needs_cublaslt() const override { return true; }

  std::unique_ptr<LayerState> create_state(TensorAddresses /*addresses*/,
                                           const LayerHandles& /*handles*/) const override {
    return std::make_unique<MatmulState>(make_plan());
  }

  void enqueue(LayerState* state, TensorAddresses addresses,
               const LayerResources& resources) const override {
    const auto at = [&](plan::TensorId id) -> void* {
      return id == plan::kAbsentTensor ? nullptr : addresses[id];
    };
    const gpu::MatmulBuffers buffers{at(tensors_.a), at(tensors_.b), at(tensors_.c), at(tensors_.d),
                                     at(tensors_.bias)};
    static_cast<MatmulState*>(state)->plan.execute(*resources.cublaslt, resources.stream, buffers,
                                                   resources.workspace, resources.workspace_bytes);
  }

 private:
  gpu::MatmulPlan make_plan() const {
    gpu::MatmulPlan plan(desc_);
    plan.set_algorithm(algorithm_);
    return plan;
  }

  gpu::MatmulDesc desc_;
  gpu::MatmulAlgorithm algorithm_;
  MatmulTensors tensors_;
};

}  // namespace

std::unique_ptr<Layer> make_matmul_layer(const LayerBuildContext& context) {
  return std::make_unique<MatmulLayer>(context);
}

}  // namespace trtutils::runtime::detail
