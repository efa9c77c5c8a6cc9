#include "trtutils/runtime/engine.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include "runtime/engine_impl.hpp"
#include "runtime/layer_registry.hpp"
#include "trtutils/core/context.hpp"
#include "trtutils/core/device.hpp"
#include "trtutils/plan/layer_kinds.hpp"
#include "trtutils/plan/plan_compatibility.hpp"
#include "trtutils/plan/plan_reader.hpp"
#include "trtutils/plan/plan_validation.hpp"
#include "trtutils/runtime/execution_context.hpp"
#include "trtutils/tensor/shape.hpp"

namespace trtutils::runtime {

namespace detail {

namespace {

constexpr std::string_view kExtentAxisPrefix = plan::layer_kinds::kDynamicExtentAxisPrefix;

std::optional<std::size_t> index_after(std::string_view key, std::string_view prefix) {
  if (key.substr(0, prefix.size()) != prefix) return std::nullopt;
  const std::string_view digits = key.substr(prefix.size());
  std::size_t index = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (error != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  return index;
}

}  // namespace

std::vector<DynamicExtentSource> find_dynamic_extents(const plan::Plan& plan) {
  std::vector<std::string> output_names;
  for (const plan::TensorSpec& spec : plan.io) {
    if (!spec.is_input) output_names.push_back(spec.name);
  }
  std::vector<DynamicExtentSource> found;
  for (std::size_t l = 0; l < plan.layers.size(); ++l) {
    const plan::LayerDesc& layer = plan.layers[l];
    for (const auto& [key, value] : layer.params.all()) {
      const auto index = index_after(key, plan::layer_kinds::kDynamicExtentPrefix);
      if (!index) continue;
      if (*index >= layer.outputs.size()) {
        throw ModelError(trtutils::detail::concat(layer_prefix(layer), key, " names output ",
                                                  *index, "; the layer has ",
                                                  layer.outputs.size()));
      }
      const std::int64_t count = layer.params.get_int(key);
      if (count < 0 || static_cast<std::uint64_t>(count) >= plan.tensors.size() ||
          plan.tensors[static_cast<std::size_t>(count)].dtype != DType::kInt64 ||
          element_count(plan.tensors[static_cast<std::size_t>(count)].dims) != 1) {
        throw ModelError(trtutils::detail::concat(layer_prefix(layer), key, " = ", count,
                                                  " is not a one-element i64 tensor of the plan"));
      }
      const std::string& name = plan.tensor(layer.outputs[*index]).name;
      const auto output = std::find(output_names.begin(), output_names.end(), name);
      if (output == output_names.end()) continue;  // not visible to the caller
      const std::string axis_key = trtutils::detail::concat(kExtentAxisPrefix, *index);
      const std::int64_t axis = layer.params.get_int(axis_key, 0);
      const std::size_t rank = plan.tensor(layer.outputs[*index]).dims.size();
      if (axis < 0 || static_cast<std::size_t>(axis) >= std::max<std::size_t>(rank, 1)) {
        throw ModelError(trtutils::detail::concat(layer_prefix(layer), axis_key, " = ", axis,
                                                  " is outside the output's rank ", rank));
      }
      found.push_back({l, static_cast<plan::TensorId>(count),
                       static_cast<std::size_t>(output - output_names.begin()),
                       static_cast<std::size_t>(axis)});
    }
  }
  return found;
}

void check_plan_structure(const plan::Plan& plan) {
  plan::validate_plan(plan);
  for (const plan::LayerDesc& layer : plan.layers) {
    if (find_layer_factory(layer.kernel) == nullptr) {
      throw ModelError(trtutils::detail::concat(
          "layer '", layer.name, "' uses kernel '", layer.kernel,
          "' which this runtime does not know: rebuild the engine with this version (trtutils ",
          kVersionString, ")"));
    }
  }
  for (const plan::TensorDesc& tensor : plan.tensors) {
    if (std::find(tensor.dims.begin(), tensor.dims.end(), plan::kDynamicDim) != tensor.dims.end()) {
      throw ModelError(trtutils::detail::concat(
          "tensor '", tensor.name,
          "' has a dynamic dimension: this runtime runs plans with static shapes; rebuild the "
          "engine with fixed input shapes"));
    }
  }
  (void)find_dynamic_extents(plan);
}

}  // namespace detail

std::vector<std::string> known_layer_kinds() {
  std::vector<std::string> kinds = detail::registered_layer_kinds();
  std::sort(kinds.begin(), kinds.end());
  return kinds;
}

void check_plan_runnable(const plan::Plan& plan, std::string_view device_arch,
                         std::string_view library_version) {
  detail::check_plan_structure(plan);
  plan::check_plan_compatible(plan.header, device_arch, library_version);
}

namespace {

std::unique_ptr<detail::Layer> create_layer(const plan::Plan& plan, const plan::LayerDesc& desc) {
  try {
    return detail::find_layer_factory(desc.kernel)({plan, desc});
  } catch (const ModelError&) {
    throw;
  } catch (const InvalidArgument& e) {
    // A description the library refuses came from the plan file.
    throw ModelError(detail::layer_prefix(desc) + e.what());
  }
}

void split_io(Engine::Impl& impl) {
  for (const plan::TensorSpec& spec : impl.plan.io) {
    (spec.is_input ? impl.inputs : impl.outputs).push_back(spec);
  }
  for (const auto* group : {&impl.inputs, &impl.outputs}) {
    for (const plan::TensorSpec& spec : *group) {
      const plan::TensorDesc* tensor = impl.plan.find_tensor(spec.name);
      impl.io_tensors.push_back(tensor->id);
      impl.io_empty.push_back(std::find(tensor->dims.begin(), tensor->dims.end(),
                                        std::int64_t{0}) != tensor->dims.end());
    }
  }
}

}  // namespace

std::shared_ptr<const Engine> Engine::load(const std::filesystem::path& path,
                                           EngineOptions options) {
  return from_plan(plan::read_plan(path), std::move(options));
}

std::shared_ptr<const Engine> Engine::from_plan(plan::Plan plan, EngineOptions options) {
  detail::check_plan_structure(plan);  // before any CUDA call
  auto impl = std::make_unique<Impl>();
  impl->logger = options.logger ? std::move(options.logger) : Logger::default_logger();
  impl->device = core::current_device();
  impl->arch = core::device_properties(impl->device).sm_arch;
  plan::check_plan_compatible(plan.header, impl->arch);
  impl->plan = std::move(plan);
  split_io(*impl);
  impl->dynamic_extents = detail::find_dynamic_extents(impl->plan);

  const std::span<const std::byte> weights = impl->plan.weights.bytes();
  impl->weights = core::DeviceBuffer(weights.size());
  core::memcpy_host_to_device(impl->weights.data(), weights.data(), weights.size());

  impl->workspace_bytes = impl->plan.workspace_bytes;
  for (const plan::LayerDesc& desc : impl->plan.layers) {
    impl->layers.push_back(create_layer(impl->plan, desc));
    const detail::Layer& layer = *impl->layers.back();
    impl->workspace_bytes = std::max(impl->workspace_bytes, layer.workspace_bytes());
    impl->needs_cudnn = impl->needs_cudnn || layer.needs_cudnn();
    impl->needs_cublaslt = impl->needs_cublaslt || layer.needs_cublaslt();
    impl->logger->verbose(
        trtutils::detail::concat("layer '", desc.name, "' (", desc.kernel, "): ", layer.detail()));
  }
  impl->logger->info(trtutils::detail::concat(
      "engine loaded on ", impl->arch, ": ", impl->layers.size(), " layers, ", weights.size(),
      " bytes of weights, ", impl->plan.arena_bytes, " bytes of activations and ",
      impl->workspace_bytes, " bytes of workspace per context"));
  return std::make_shared<Engine>(Passkey{}, std::move(impl));
}

Engine::Engine(Passkey, std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

const plan::Plan& Engine::plan() const noexcept { return impl_->plan; }
const std::vector<plan::TensorSpec>& Engine::inputs() const noexcept { return impl_->inputs; }
const std::vector<plan::TensorSpec>& Engine::outputs() const noexcept { return impl_->outputs; }
int Engine::device() const noexcept { return impl_->device; }
const std::string& Engine::arch() const noexcept { return impl_->arch; }
const std::shared_ptr<Logger>& Engine::logger() const noexcept { return impl_->logger; }

namespace {
int index_of(const std::vector<plan::TensorSpec>& specs, std::string_view name) {
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].name == name) return static_cast<int>(i);
  }
  return -1;
}
}  // namespace

int Engine::input_index(std::string_view name) const noexcept {
  return index_of(impl_->inputs, name);
}
int Engine::output_index(std::string_view name) const noexcept {
  return index_of(impl_->outputs, name);
}

EngineMemory Engine::memory() const noexcept {
  return {impl_->weights.size(), impl_->plan.arena_bytes, impl_->workspace_bytes};
}

std::vector<LayerInfo> Engine::layers() const {
  std::vector<LayerInfo> infos;
  for (const auto& layer : impl_->layers) {
    const plan::LayerDesc& desc = layer->desc();
    LayerInfo info{desc.name, desc.kernel, {}, {}, layer->detail()};
    for (plan::TensorId id : desc.inputs) {
      info.inputs.push_back(id == plan::kAbsentTensor ? "" : impl_->plan.tensor(id).name);
    }
    for (plan::TensorId id : desc.outputs) info.outputs.push_back(impl_->plan.tensor(id).name);
    infos.push_back(std::move(info));
  }
  return infos;
}

std::unique_ptr<ExecutionContext> Engine::create_execution_context() const {
  return std::make_unique<ExecutionContext>(shared_from_this());
}

}  // namespace trtutils::runtime
