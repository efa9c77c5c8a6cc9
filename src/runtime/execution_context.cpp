#include "trtutils/runtime/execution_context.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "runtime/engine_impl.hpp"
#include "trtutils/core/context.hpp"
#include "trtutils/core/cuda_graph.hpp"
#include "trtutils/core/graph_rewrite.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/gpu/convolution_plan.hpp"
#include "trtutils/gpu/cublaslt_handle.hpp"
#include "trtutils/gpu/cudnn_handle.hpp"
#include "trtutils/plan/batch_buckets.hpp"

namespace trtutils::runtime {

namespace {

/// What one batch bucket needs in a context: every tensor's device address
/// (inputs/outputs rewritten at each enqueue) and its layers' states.
struct VariantState {
  std::vector<void*> addresses;
  std::vector<std::unique_ptr<detail::LayerState>> layer_states;
};

/// One recorded graph and the IO pointers it was recorded with.
struct GraphSlot {
  std::vector<void*> io;
  core::GraphReplay graph;
};

std::string dims_text(const std::vector<std::int64_t>& dims) {
  std::string text = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    text += i ? ", " : "";
    text += dims[i] == plan::kDynamicDim ? std::string("?") : std::to_string(dims[i]);
  }
  return text + "]";
}

}  // namespace

struct ExecutionContext::State {
  /// Shared by every bucket: only one runs at a time on a context.
  core::DeviceBuffer arena;
  core::DeviceBuffer workspace;
  std::optional<gpu::CudnnHandle> cudnn;
  gpu::ConvolutionPlanCache convolution_plans;  // for `cudnn`
  std::optional<gpu::CublasLtHandle> cublaslt;
  std::vector<VariantState> variants;
  /// The batch set_batch chose (0 for a static engine) and the bucket running it.
  std::int64_t batch = 0;
  std::size_t variant = 0;
  /// Per inputs() then outputs() entry: a max-batch buffer for the batched
  /// ones (dynamic-batch engines), which a batch between buckets runs on.
  std::vector<core::DeviceBuffer> padded;
  /// One i64 per dynamic extent of the running bucket, written by the stream.
  core::PinnedBuffer extent_slots;
  /// One graph per batch (index batch - min; a static engine has one): a
  /// batch between buckets records its copies in and out with it.
  std::vector<GraphSlot> graphs;
};

ExecutionContext::ExecutionContext(std::shared_ptr<const Engine> engine)
    : engine_(std::move(engine)), state_(std::make_unique<State>()) {
  TRTUTILS_CHECK(engine_ != nullptr, "ExecutionContext needs an engine");
  const Engine::Impl& impl = engine_->impl();
  core::DeviceGuard device(impl.device);
  State& s = *state_;
  s.arena = core::DeviceBuffer(impl.arena_bytes);
  s.workspace = core::DeviceBuffer(impl.workspace_bytes);
  if (impl.needs_cudnn) s.cudnn.emplace();
  if (impl.needs_cublaslt) s.cublaslt.emplace();

  auto* weights = static_cast<std::byte*>(const_cast<void*>(impl.weights.data()));
  auto* arena = static_cast<std::byte*>(s.arena.data());
  std::size_t extents = 0;
  s.variants.reserve(impl.variants.size());
  for (const auto& variant : impl.variants) {
    VariantState& v = s.variants.emplace_back();
    v.addresses.assign(variant->plan->tensors.size(), nullptr);
    for (const plan::TensorDesc& tensor : variant->plan->tensors) {
      if (tensor.kind == plan::TensorKind::kConstant) {
        v.addresses[tensor.id] = weights + tensor.weights.offset;
      } else if (tensor.kind == plan::TensorKind::kActivation) {
        v.addresses[tensor.id] = arena + tensor.arena.offset;
      }
    }
    for (const auto& layer : variant->layers) {
      v.layer_states.push_back(layer->create_state(
          v.addresses, detail::LayerHandles{s.cudnn ? &*s.cudnn : nullptr,
                                            s.cublaslt ? &*s.cublaslt : nullptr,
                                            &s.convolution_plans}));
    }
    extents = std::max(extents, variant->dynamic_extents.size());
  }
  s.extent_slots = core::PinnedBuffer(extents * sizeof(std::int64_t));
  std::ranges::fill(s.extent_slots.as<std::int64_t>(), std::int64_t{-1});

  const std::size_t io_count = impl.inputs.size() + impl.outputs.size();
  std::size_t graph_count = 1;
  if (impl.batch_range) {
    s.batch = impl.batch_range->opt;
    s.variant = impl.variant_for(s.batch);
    graph_count = static_cast<std::size_t>(impl.batch_range->max - impl.batch_range->min + 1);
    for (std::size_t i = 0; i < io_count; ++i) {
      const std::size_t bytes =
          impl.io_batched[i] && impl.pads_batches()
              ? impl.io_sample_bytes[i] * static_cast<std::size_t>(impl.batch_range->max)
              : 0;
      s.padded.emplace_back(bytes);
      // The rows past the batch are never read back, but zeros keep the
      // padded samples finite (and compute-sanitizer's initcheck quiet).
      if (bytes > 0) core::memset_device(s.padded.back(), 0);
    }
  }
  s.graphs.resize(graph_count);
  for (GraphSlot& slot : s.graphs) slot.io.reserve(io_count);
}

ExecutionContext::~ExecutionContext() = default;

void ExecutionContext::set_batch(std::int64_t batch) {
  const Engine::Impl& impl = engine_->impl();
  if (!impl.batch_range) {
    throw InvalidArgument(trtutils::detail::concat(
        "set_batch(", batch,
        "): the engine has static shapes (it was built without a batch "
        "range); rebuild it with a batch profile (`trtutils build --batch MIN:OPT:MAX`)"));
  }
  const plan::BatchRange& r = *impl.batch_range;
  if (batch < r.min || batch > r.max) {
    std::string inputs;
    for (std::size_t i = 0; i < impl.inputs.size(); ++i) {
      if (!impl.io_batched[i]) continue;
      inputs += trtutils::detail::concat(inputs.empty() ? "'" : ", '", impl.inputs[i].name, "' ",
                                         dims_text(impl.inputs[i].dims));
    }
    throw InvalidArgument(trtutils::detail::concat(
        "batch ", batch, " is outside the engine's range ", r.min, "..", r.max, " for input ",
        inputs, "; split the batch or rebuild with a wider profile"));
  }
  state_->batch = batch;
  state_->variant = impl.variant_for(batch);
}

void ExecutionContext::set_input_shape(std::string_view name, std::span<const std::int64_t> dims) {
  const Engine::Impl& impl = engine_->impl();
  const int index = engine_->input_index(name);
  TRTUTILS_CHECK(index >= 0, "set_input_shape: the engine has no input '", name, "'");
  const plan::TensorSpec& spec = impl.inputs[static_cast<std::size_t>(index)];
  bool fits = dims.size() == spec.dims.size();
  for (std::size_t d = 0; fits && d < dims.size(); ++d) {
    fits = spec.dims[d] == plan::kDynamicDim || spec.dims[d] == dims[d];
  }
  const std::vector<std::int64_t> given(dims.begin(), dims.end());
  TRTUTILS_CHECK(fits, "set_input_shape: input '", name, "' is ", dims_text(spec.dims),
                 " (? = the batch), got ", dims_text(given));
  if (!plan::is_batched(spec)) return;
  try {
    set_batch(dims[0]);
  } catch (const InvalidArgument&) {
    const plan::BatchRange& r = *impl.batch_range;
    throw InvalidArgument(
        trtutils::detail::concat("input '", name, "' ", dims_text(given), ": batch ", dims[0],
                                 " is outside the engine's range ", r.min, "..", r.max));
  }
}

std::int64_t ExecutionContext::batch() const noexcept { return state_->batch; }

std::vector<std::int64_t> ExecutionContext::input_dims(std::size_t index) const {
  const Engine::Impl& impl = engine_->impl();
  TRTUTILS_CHECK(index < impl.inputs.size(), "input index ", index, " is outside the engine's ",
                 impl.inputs.size(), " inputs");
  std::vector<std::int64_t> dims = impl.inputs[index].dims;
  if (impl.io_batched[index]) dims[0] = state_->batch;
  return dims;
}

std::vector<std::int64_t> ExecutionContext::output_dims(std::size_t index) const {
  const Engine::Impl& impl = engine_->impl();
  TRTUTILS_CHECK(index < impl.outputs.size(), "output index ", index, " is outside the engine's ",
                 impl.outputs.size(), " outputs");
  std::vector<std::int64_t> dims = impl.outputs[index].dims;
  if (impl.io_batched[impl.inputs.size() + index]) dims[0] = state_->batch;
  return dims;
}

void ExecutionContext::check_bindings(std::span<void* const> io) const {
  const Engine::Impl& impl = engine_->impl();
  const BatchVariant& variant = *impl.variants[state_->variant];
  TRTUTILS_CHECK(io.size() == variant.io_tensors.size(), "the engine takes ", impl.inputs.size(),
                 " inputs and ", impl.outputs.size(), " outputs (", variant.io_tensors.size(),
                 " device pointers, inputs first), got ", io.size());
  for (std::size_t i = 0; i < io.size(); ++i) {
    const bool input = i < impl.inputs.size();
    // An empty tensor (a zero dim) has no bytes: a null pointer is fine.
    TRTUTILS_CHECK(io[i] != nullptr || variant.io_empty[i], input ? "input '" : "output '",
                   input ? impl.inputs[i].name : impl.outputs[i - impl.inputs.size()].name,
                   "' is bound to a null pointer");
  }
}

void ExecutionContext::run(core::StreamView stream, std::span<void* const> io) {
  const Engine::Impl& impl = engine_->impl();
  State& s = *state_;
  const BatchVariant& variant = *impl.variants[s.variant];
  VariantState& v = s.variants[s.variant];
  // A batch between buckets runs the larger bucket on the padded buffers.
  const bool padded = variant.batch != s.batch;
  const std::size_t inputs = impl.inputs.size();
  for (std::size_t i = 0; i < io.size(); ++i) {
    if (!padded || !impl.io_batched[i]) {
      v.addresses[variant.io_tensors[i]] = io[i];
      continue;
    }
    v.addresses[variant.io_tensors[i]] = s.padded[i].data();
    if (i < inputs) {
      core::memcpy_device_to_device_async(
          s.padded[i].data(), io[i], impl.io_sample_bytes[i] * static_cast<std::size_t>(s.batch),
          stream);
    }
  }
  run_layers(stream);
  if (!padded) return;
  for (std::size_t i = inputs; i < io.size(); ++i) {
    if (!impl.io_batched[i]) continue;
    core::memcpy_device_to_device_async(io[i], s.padded[i].data(),
                                        impl.io_sample_bytes[i] * static_cast<std::size_t>(s.batch),
                                        stream);
  }
}

void ExecutionContext::run_layers(core::StreamView stream) {
  const Engine::Impl& impl = engine_->impl();
  State& s = *state_;
  const BatchVariant& variant = *impl.variants[s.variant];
  VariantState& v = s.variants[s.variant];
  const detail::LayerResources resources{stream, s.cudnn ? &*s.cudnn : nullptr,
                                         s.cublaslt ? &*s.cublaslt : nullptr, s.workspace.data(),
                                         s.workspace.size()};
  auto* slots = static_cast<std::int64_t*>(s.extent_slots.data());
  std::size_t next_extent = 0;
  const auto& extents = variant.dynamic_extents;
  for (std::size_t l = 0; l < variant.layers.size(); ++l) {
    variant.layers[l]->enqueue(v.layer_states[l].get(), v.addresses, resources);
    for (; next_extent < extents.size() && extents[next_extent].layer == l; ++next_extent) {
      core::memcpy_device_to_host_async(slots + next_extent,
                                        v.addresses[extents[next_extent].count],
                                        sizeof(std::int64_t), stream);
    }
  }
}

void ExecutionContext::enqueue(core::StreamView stream, std::span<void* const> io) {
  check_bindings(io);
  State& s = *state_;
  // The legacy default stream cannot be captured: run the layers directly.
  if (!use_cuda_graph_ || stream.handle() == nullptr) {
    run(stream, io);
    return;
  }
  GraphSlot& slot = s.graphs[graph_index()];
  if (!slot.graph.is_captured() || !std::ranges::equal(slot.io, io)) {
    core::CudaGraph recorded = core::capture_graph(
        stream, [this, io](core::StreamView capturing) { run(capturing, io); },
        core::CaptureMode::kThreadLocal);
    // Library calls record memset nodes (workspace zeroing); as kernel nodes
    // the graph launches in near-constant host time.
    core::replace_memset_nodes(recorded);
    slot.graph.adopt(std::move(recorded));
    slot.io.assign(io.begin(), io.end());
    ++graph_captures_;
  }
  slot.graph.launch(stream);
}

void ExecutionContext::enqueue(core::StreamView stream, const std::map<std::string, void*>& io) {
  const Engine::Impl& impl = engine_->impl();
  std::vector<void*> ordered;
  ordered.reserve(impl.inputs.size() + impl.outputs.size());
  for (const auto* group : {&impl.inputs, &impl.outputs}) {
    for (const plan::TensorSpec& spec : *group) {
      const auto found = io.find(spec.name);
      TRTUTILS_CHECK(found != io.end(), spec.is_input ? "input '" : "output '", spec.name,
                     "' is not bound; pass a device pointer for every input and output");
      ordered.push_back(found->second);
    }
  }
  TRTUTILS_CHECK(io.size() == ordered.size(), "bindings name ", io.size(),
                 " tensors but the engine has ", ordered.size(),
                 " inputs and outputs; remove the names it does not know");
  enqueue(stream, std::span<void* const>(ordered));
}

void ExecutionContext::reset_cuda_graph() noexcept {
  for (GraphSlot& slot : state_->graphs) {
    slot.graph.reset();
    slot.io.clear();
  }
}

std::size_t ExecutionContext::graph_index() const noexcept {
  const Engine::Impl& impl = engine_->impl();
  return impl.batch_range ? static_cast<std::size_t>(state_->batch - impl.batch_range->min) : 0;
}

const core::CudaGraph* ExecutionContext::recorded_graph() const noexcept {
  const GraphSlot& slot = state_->graphs[graph_index()];
  return slot.graph.is_captured() ? &slot.graph.graph() : nullptr;
}

std::optional<std::int64_t> ExecutionContext::dynamic_extent(std::size_t output_index) const {
  const auto& extents = engine_->impl().variants[state_->variant]->dynamic_extents;
  for (std::size_t i = 0; i < extents.size(); ++i) {
    if (extents[i].output != output_index) continue;
    const std::int64_t value = state_->extent_slots.as<std::int64_t>()[i];
    if (value < 0) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

std::optional<std::size_t> ExecutionContext::dynamic_extent_axis(std::size_t output_index) const {
  for (const auto& extent : engine_->impl().variants[state_->variant]->dynamic_extents) {
    if (extent.output == output_index) return extent.axis;
  }
  return std::nullopt;
}

void* ExecutionContext::tensor_address(plan::TensorId id) const {
  const std::vector<void*>& addresses = state_->variants[state_->variant].addresses;
  TRTUTILS_CHECK(id < addresses.size(), "tensor id ", id, " is outside the plan's ",
                 addresses.size(), " tensors");
  return addresses[id];
}

std::size_t ExecutionContext::arena_bytes() const noexcept { return state_->arena.size(); }
std::size_t ExecutionContext::workspace_bytes() const noexcept { return state_->workspace.size(); }

}  // namespace trtutils::runtime
