#include "trtutils/runtime/engine.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include "runtime/engine_impl.hpp"
#include "runtime/layer_registry.hpp"
#include "trtutils/core/context.hpp"
#include "trtutils/core/device.hpp"
#include "trtutils/plan/batch_buckets.hpp"
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

namespace {

void check_static_plan_structure(const plan::Plan& plan) {
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

}  // namespace

void check_plan_structure(const plan::Plan& plan) {
  plan::validate_plan(plan);
  if (!plan.batch_range) {
    check_static_plan_structure(plan);
    return;
  }
  for (const std::int64_t batch : plan::bucket_batches(plan)) {
    const plan::Plan bucket = plan::bucket_plan(plan, batch);
    check_static_plan_structure(bucket);
    // A padded batch copies b samples out of each output; an extent written
    // at run time would not say which rows are whose.
    if (!find_dynamic_extents(bucket).empty()) {
      throw ModelError(trtutils::detail::concat(
          "the bucket for batch ", batch,
          " has an output with a data-dependent extent, which a dynamic batch cannot pad: "
          "rebuild the engine with a fixed batch"));
    }
  }
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
      const bool batched = plan::is_batched(spec);
      impl.io_batched.push_back(batched);
      const std::vector<std::int64_t> sample(spec.dims.begin() + (batched ? 1 : 0),
                                             spec.dims.end());
      impl.io_sample_bytes.push_back(static_cast<std::size_t>(element_count(sample)) *
                                     dtype_size(spec.dtype));
    }
  }
}

void bind_variant_io(const Engine::Impl& impl, BatchVariant& variant) {
  for (const auto* group : {&impl.inputs, &impl.outputs}) {
    for (const plan::TensorSpec& spec : *group) {
      const plan::TensorDesc* tensor = variant.plan->find_tensor(spec.name);
      variant.io_tensors.push_back(tensor->id);
      variant.io_empty.push_back(std::find(tensor->dims.begin(), tensor->dims.end(),
                                           std::int64_t{0}) != tensor->dims.end());
    }
  }
}

void load_variant(Engine::Impl& impl, BatchVariant& variant) {
  bind_variant_io(impl, variant);
  variant.dynamic_extents = detail::find_dynamic_extents(*variant.plan);
  variant.workspace_bytes = variant.plan->workspace_bytes;
  for (const plan::LayerDesc& desc : variant.plan->layers) {
    variant.layers.push_back(create_layer(*variant.plan, desc));
    const detail::Layer& layer = *variant.layers.back();
    variant.workspace_bytes = std::max(variant.workspace_bytes, layer.workspace_bytes());
    impl.needs_cudnn = impl.needs_cudnn || layer.needs_cudnn();
    impl.needs_cublaslt = impl.needs_cublaslt || layer.needs_cublaslt();
    impl.logger->verbose(trtutils::detail::concat(
        variant.batch > 0 ? trtutils::detail::concat("batch ", variant.batch, ": ") : "",
        "layer '", desc.name, "' (", desc.kernel, "): ", layer.detail()));
  }
  impl.workspace_bytes = std::max(impl.workspace_bytes, variant.workspace_bytes);
  impl.arena_bytes = std::max(impl.arena_bytes, variant.plan->arena_bytes);
}

void create_variants(Engine::Impl& impl) {
  impl.batch_range = impl.plan.batch_range;
  if (!impl.batch_range) {
    auto variant = std::make_unique<BatchVariant>();
    variant->plan = &impl.plan;
    impl.variants.push_back(std::move(variant));
    impl.variant_batches.push_back(0);
  } else {
    for (const std::int64_t batch : plan::bucket_batches(impl.plan)) {
      auto variant = std::make_unique<BatchVariant>();
      variant->batch = batch;
      variant->own_plan = std::make_unique<plan::Plan>(plan::bucket_plan(impl.plan, batch));
      variant->plan = variant->own_plan.get();
      impl.variants.push_back(std::move(variant));
      impl.variant_batches.push_back(batch);
    }
  }
  for (const auto& variant : impl.variants) load_variant(impl, *variant);
}

}  // namespace

std::size_t Engine::Impl::variant_for(std::int64_t batch) const {
  if (!batch_range) return 0;
  return plan::select_bucket(variant_batches, batch);
}

const BatchVariant& Engine::Impl::opt_variant() const {
  return *variants[batch_range ? variant_for(batch_range->opt) : 0];
}

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

  const std::span<const std::byte> weights = impl->plan.weights.bytes();
  impl->weights = core::DeviceBuffer(weights.size());
  core::memcpy_host_to_device(impl->weights.data(), weights.data(), weights.size());

  create_variants(*impl);
  std::size_t layer_count = 0;
  for (const auto& variant : impl->variants) layer_count += variant->layers.size();
  std::string buckets;
  if (impl->batch_range) {
    for (const std::int64_t b : impl->variant_batches) {
      buckets += trtutils::detail::concat(buckets.empty() ? "" : ",", b);
    }
    buckets = trtutils::detail::concat(", batch ", impl->batch_range->min, "..",
                                       impl->batch_range->max, " in buckets ", buckets);
  }
  impl->logger->info(trtutils::detail::concat(
      "engine loaded on ", impl->arch, ": ", layer_count, " layers", buckets, ", ",
      weights.size(), " bytes of weights, ", impl->arena_bytes, " bytes of activations and ",
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
  std::uint64_t padded = 0;
  if (impl_->pads_batches()) {
    for (std::size_t i = 0; i < impl_->io_sample_bytes.size(); ++i) {
      if (!impl_->io_batched[i]) continue;
      padded += impl_->io_sample_bytes[i] * static_cast<std::uint64_t>(impl_->batch_range->max);
    }
  }
  return {impl_->weights.size(), impl_->arena_bytes, impl_->workspace_bytes, padded};
}

std::optional<plan::BatchRange> Engine::batch_range() const noexcept { return impl_->batch_range; }

std::vector<std::int64_t> Engine::batch_buckets() const {
  if (!impl_->batch_range) return {};
  return impl_->variant_batches;
}

namespace {
std::vector<LayerInfo> layer_infos(const BatchVariant& variant) {
  std::vector<LayerInfo> infos;
  for (const auto& layer : variant.layers) {
    const plan::LayerDesc& desc = layer->desc();
    LayerInfo info{desc.name, desc.kernel, {}, {}, layer->detail()};
    for (plan::TensorId id : desc.inputs) {
      info.inputs.push_back(id == plan::kAbsentTensor ? "" : variant.plan->tensor(id).name);
    }
    for (plan::TensorId id : desc.outputs) info.outputs.push_back(variant.plan->tensor(id).name);
    infos.push_back(std::move(info));
  }
  return infos;
}
}  // namespace

std::vector<LayerInfo> Engine::layers() const { return layer_infos(impl_->opt_variant()); }

std::vector<LayerInfo> Engine::layers(std::int64_t batch) const {
  TRTUTILS_CHECK(impl_->batch_range && std::find(impl_->variant_batches.begin(),
                                                 impl_->variant_batches.end(),
                                                 batch) != impl_->variant_batches.end(),
                 "the engine has no bucket for batch ", batch,
                 " (its buckets: batch_buckets(); a static engine has none)");
  return layer_infos(*impl_->variants[impl_->variant_for(batch)]);
}

std::unique_ptr<ExecutionContext> Engine::create_execution_context() const {
  return std::make_unique<ExecutionContext>(shared_from_this());
}

}  // namespace trtutils::runtime
