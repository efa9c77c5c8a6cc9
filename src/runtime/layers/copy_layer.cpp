// "copy": output 0 = input 0, a device-to-device copy of the same byte size.
#include "runtime/layer_registry.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/tensor/shape.hpp"

namespace trtutils::runtime::detail {

namespace {

std::size_t byte_size(const plan::TensorDesc& tensor) {
  return static_cast<std::size_t>(element_count(tensor.dims)) * dtype_size(tensor.dtype);
}

class CopyLayer final : public Layer {
 public:
  explicit CopyLayer(const LayerBuildContext& context) : Layer(context.desc) {
    const plan::LayerDesc& desc = context.desc;
    if (desc.inputs.size() != 1 || desc.outputs.size() != 1 ||
        desc.inputs[0] == plan::kAbsentTensor) {
      throw ModelError(trtutils::detail::concat(layer_prefix(desc), "has ", desc.inputs.size(),
                                                " inputs and ", desc.outputs.size(),
                                                " outputs; a copy takes 1 and 1"));
    }
    const std::size_t in = byte_size(context.plan.tensor(desc.inputs[0]));
    bytes_ = byte_size(context.plan.tensor(desc.outputs[0]));
    if (in != bytes_) {
      throw ModelError(trtutils::detail::concat(layer_prefix(desc), "copies ", in,
                                                " bytes into a tensor of ", bytes_));
    }
  }

  std::string detail() const override { return trtutils::detail::concat(bytes_, " bytes"); }

  void enqueue(LayerState* /*state*/, TensorAddresses addresses,
               const LayerResources& resources) const override {
    core::memcpy_device_to_device_async(addresses[desc().outputs[0]], addresses[desc().inputs[0]],
                                        bytes_, resources.stream);
  }

 private:
  std::size_t bytes_ = 0;
};

}  // namespace

std::unique_ptr<Layer> make_copy_layer(const LayerBuildContext& context) {
  return std::make_unique<CopyLayer>(context);
}

}  // namespace trtutils::runtime::detail
