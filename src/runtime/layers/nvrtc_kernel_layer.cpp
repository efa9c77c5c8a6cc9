// "nvrtc.kernel": one launch of a kernel the builder generated and compiled
// to a cubin for the plan's architecture. The cubin is loaded once per engine
// (no NVRTC at load); each context owns a copy of the packed argument array
// with its constant and activation addresses written in, and patches only the
// input/output pointers at each enqueue.
#include <array>
#include <string_view>

#include "runtime/argument_template.hpp"
#include "runtime/layer_registry.hpp"
#include "trtutils/core/kernel.hpp"
#include "trtutils/plan/layer_kinds.hpp"

namespace trtutils::runtime::detail {

namespace {

namespace nvrtc = plan::layer_kinds::nvrtc;

dim3 read_dim3(const plan::LayerDesc& desc, const char* name) {
  const auto& values = desc.params.get_ints(name);
  if (values.size() != 3) {
    throw ModelError(trtutils::detail::concat(layer_prefix(desc), "'", name, "' holds ",
                                              values.size(), " values; expected 3"));
  }
  std::array<unsigned, 3> dims{};
  for (std::size_t i = 0; i < 3; ++i) {
    if (values[i] <= 0 || values[i] > 0x7fffffff) {
      throw ModelError(
          trtutils::detail::concat(layer_prefix(desc), "'", name, "'[", i, "] is ", values[i]));
    }
    dims[i] = static_cast<unsigned>(values[i]);
  }
  return {dims[0], dims[1], dims[2]};
}

struct NvrtcKernelState : LayerState {
  core::KernelArgs args;
};

class NvrtcKernelLayer final : public Layer {
 public:
  explicit NvrtcKernelLayer(const LayerBuildContext& context)
      : Layer(context.desc),
        grid_(read_dim3(context.desc, nvrtc::kGrid)),
        block_(read_dim3(context.desc, nvrtc::kBlock)),
        shared_(static_cast<std::size_t>(context.desc.params.get_int(nvrtc::kShared, 0))),
        template_(pack_arguments(context.desc, context.plan.tensors.size())),
        kernel_(load(context.desc)) {
    const std::string prefix = layer_prefix(context.desc);
    try {
      core::check_arguments(kernel_.name(), kernel_.params(), template_.args);
      core::check_launch_dimensions(kernel_.name(), grid_, block_);
    } catch (const InvalidArgument& e) {
      throw ModelError(prefix + e.what());
    }
    for (const TensorArgument& argument : template_.tensors) {
      const plan::TensorKind kind = context.plan.tensor(argument.tensor).kind;
      if (kind == plan::TensorKind::kInput || kind == plan::TensorKind::kOutput) {
        io_arguments_.push_back(argument);
      }
    }
  }

  std::string detail() const override {
    return trtutils::detail::concat(kernel_.name(), " grid (", grid_.x, ", ", grid_.y, ", ",
                                    grid_.z, ") block (", block_.x, ", ", block_.y, ", ", block_.z,
                                    ") shared ", shared_, " bytes, ", template_.args.count(),
                                    " arguments");
  }

  std::unique_ptr<LayerState> create_state(TensorAddresses addresses,
                                           const LayerHandles& /*handles*/) const override {
    auto state = std::make_unique<NvrtcKernelState>();
    state->args = template_.args;
    for (const TensorArgument& argument : template_.tensors) {
      write_pointer(state->args, argument.argument, addresses[argument.tensor]);
    }
    return state;
  }

  void enqueue(LayerState* state, TensorAddresses addresses,
               const LayerResources& resources) const override {
    auto& args = static_cast<NvrtcKernelState*>(state)->args;
    for (const TensorArgument& argument : io_arguments_) {
      write_pointer(args, argument.argument, addresses[argument.tensor]);
    }
    kernel_.call(grid_, block_, resources.stream, args, shared_);
  }

 private:
  static core::Kernel load(const plan::LayerDesc& desc) {
    const auto& cubin = desc.params.get_bytes(nvrtc::kCubin);
    const std::string_view bytes(reinterpret_cast<const char*>(cubin.data()), cubin.size());
    try {
      return core::Kernel::from_cubin(bytes, desc.params.get_string(nvrtc::kEntry), desc.name);
    } catch (const InvalidArgument& e) {
      throw ModelError(layer_prefix(desc) + e.what());
    }
  }

  dim3 grid_;
  dim3 block_;
  std::size_t shared_;
  ArgumentTemplate template_;
  core::Kernel kernel_;
  std::vector<TensorArgument> io_arguments_;
};

}  // namespace

std::unique_ptr<Layer> make_nvrtc_kernel_layer(const LayerBuildContext& context) {
  return std::make_unique<NvrtcKernelLayer>(context);
}

}  // namespace trtutils::runtime::detail
