#include "trtutils/runtime/execution_context.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "runtime/engine_impl.hpp"
#include "trtutils/core/context.hpp"
#include "trtutils/core/cuda_graph.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/gpu/cublaslt_handle.hpp"
#include "trtutils/gpu/cudnn_handle.hpp"

namespace trtutils::runtime {

struct ExecutionContext::State {
  core::DeviceBuffer arena;
  core::DeviceBuffer workspace;
  std::optional<gpu::CudnnHandle> cudnn;
  std::optional<gpu::CublasLtHandle> cublaslt;
  /// Every tensor's device address by id; inputs/outputs rewritten by bind().
  std::vector<void*> addresses;
  std::vector<std::unique_ptr<detail::LayerState>> layer_states;
  /// One i64 per Engine::Impl::dynamic_extents entry, written by the stream.
  core::PinnedBuffer extent_slots;
  /// The IO pointers the recorded graph uses.
  std::vector<void*> graph_io;
  core::GraphReplay graph;
};

ExecutionContext::ExecutionContext(std::shared_ptr<const Engine> engine)
    : engine_(std::move(engine)), state_(std::make_unique<State>()) {
  TRTUTILS_CHECK(engine_ != nullptr, "ExecutionContext needs an engine");
  const Engine::Impl& impl = engine_->impl();
  core::DeviceGuard device(impl.device);
  State& s = *state_;
  s.arena = core::DeviceBuffer(impl.plan.arena_bytes);
  s.workspace = core::DeviceBuffer(impl.workspace_bytes);
  if (impl.needs_cudnn) s.cudnn.emplace();
  if (impl.needs_cublaslt) s.cublaslt.emplace();

  s.addresses.assign(impl.plan.tensors.size(), nullptr);
  auto* weights = static_cast<std::byte*>(const_cast<void*>(impl.weights.data()));
  auto* arena = static_cast<std::byte*>(s.arena.data());
  for (const plan::TensorDesc& tensor : impl.plan.tensors) {
    if (tensor.kind == plan::TensorKind::kConstant) {
      s.addresses[tensor.id] = weights + tensor.weights.offset;
    } else if (tensor.kind == plan::TensorKind::kActivation) {
      s.addresses[tensor.id] = arena + tensor.arena.offset;
    }
  }
  for (const auto& layer : impl.layers) s.layer_states.push_back(layer->create_state(s.addresses));

  s.extent_slots = core::PinnedBuffer(impl.dynamic_extents.size() * sizeof(std::int64_t));
  std::ranges::fill(s.extent_slots.as<std::int64_t>(), std::int64_t{-1});
  s.graph_io.reserve(impl.io_tensors.size());
}

ExecutionContext::~ExecutionContext() = default;

void ExecutionContext::bind(std::span<void* const> io) {
  const Engine::Impl& impl = engine_->impl();
  TRTUTILS_CHECK(io.size() == impl.io_tensors.size(), "the engine takes ", impl.inputs.size(),
                 " inputs and ", impl.outputs.size(), " outputs (", impl.io_tensors.size(),
                 " device pointers, inputs first), got ", io.size());
  for (std::size_t i = 0; i < io.size(); ++i) {
    const bool input = i < impl.inputs.size();
    // An empty tensor (a zero dim) has no bytes: a null pointer is fine.
    TRTUTILS_CHECK(io[i] != nullptr || impl.io_empty[i], input ? "input '" : "output '",
                   input ? impl.inputs[i].name : impl.outputs[i - impl.inputs.size()].name,
                   "' is bound to a null pointer");
    state_->addresses[impl.io_tensors[i]] = io[i];
  }
}

void ExecutionContext::run_layers(core::StreamView stream) {
  const Engine::Impl& impl = engine_->impl();
  State& s = *state_;
  const detail::LayerResources resources{stream, s.cudnn ? &*s.cudnn : nullptr,
                                         s.cublaslt ? &*s.cublaslt : nullptr, s.workspace.data(),
                                         s.workspace.size()};
  auto* slots = static_cast<std::int64_t*>(s.extent_slots.data());
  std::size_t next_extent = 0;
  for (std::size_t l = 0; l < impl.layers.size(); ++l) {
    impl.layers[l]->enqueue(s.layer_states[l].get(), s.addresses, resources);
    for (;
         next_extent < impl.dynamic_extents.size() && impl.dynamic_extents[next_extent].layer == l;
         ++next_extent) {
      core::memcpy_device_to_host_async(slots + next_extent,
                                        s.addresses[impl.dynamic_extents[next_extent].count],
                                        sizeof(std::int64_t), stream);
    }
  }
}

void ExecutionContext::enqueue(core::StreamView stream, std::span<void* const> io) {
  bind(io);
  State& s = *state_;
  // The legacy default stream cannot be captured: run the layers directly.
  if (!use_cuda_graph_ || stream.handle() == nullptr) {
    run_layers(stream);
    return;
  }
  if (!s.graph.is_captured() || !std::ranges::equal(s.graph_io, io)) {
    s.graph.capture(
        stream, [this](core::StreamView capturing) { run_layers(capturing); },
        core::CaptureMode::kThreadLocal);
    s.graph_io.assign(io.begin(), io.end());
    ++graph_captures_;
  }
  s.graph.launch(stream);
}

void ExecutionContext::enqueue(core::StreamView stream, const std::map<std::string, void*>& io) {
  const Engine::Impl& impl = engine_->impl();
  std::vector<void*> ordered;
  ordered.reserve(impl.io_tensors.size());
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
  state_->graph.reset();
  state_->graph_io.clear();
}

std::optional<std::int64_t> ExecutionContext::dynamic_extent(std::size_t output_index) const {
  const auto& extents = engine_->impl().dynamic_extents;
  for (std::size_t i = 0; i < extents.size(); ++i) {
    if (extents[i].output != output_index) continue;
    const std::int64_t value = state_->extent_slots.as<std::int64_t>()[i];
    if (value < 0) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

std::optional<std::size_t> ExecutionContext::dynamic_extent_axis(std::size_t output_index) const {
  for (const auto& extent : engine_->impl().dynamic_extents) {
    if (extent.output == output_index) return extent.axis;
  }
  return std::nullopt;
}

void* ExecutionContext::tensor_address(plan::TensorId id) const {
  TRTUTILS_CHECK(id < state_->addresses.size(), "tensor id ", id, " is outside the plan's ",
                 state_->addresses.size(), " tensors");
  return state_->addresses[id];
}

std::size_t ExecutionContext::arena_bytes() const noexcept { return state_->arena.size(); }
std::size_t ExecutionContext::workspace_bytes() const noexcept { return state_->workspace.size(); }

}  // namespace trtutils::runtime
