#pragma once
// ExecutionContext: the per-run state of an Engine (TensorRT's
// IExecutionContext). It owns the activation arena (allocated once, at
// creation), the workspace and its own cuDNN / cuBLASLt handles, and knows
// every tensor's device address: constants in the engine's weights,
// activations in its arena, inputs and outputs in the caller's buffers,
// bound at each enqueue.
//
// enqueue() allocates nothing and never waits for the GPU: everything
// (kernel argument arrays, library plans) is prepared at creation and only
// the input/output pointers are patched in. One context runs on one host
// thread at a time; use one context per thread (they may share the engine).
//
// CUDA graphs: with set_use_cuda_graph(true), the first enqueue with a set of
// IO pointers records the whole engine into a graph and launches it; later
// enqueues with the same pointers replay it (one launch). New pointers
// re-record (the executable graph is updated in place when CUDA allows); the
// last recording is kept. The legacy default stream cannot be recorded, so
// enqueue on it runs the layers one by one.
//
// Dynamic batch (Engine::batch_range()): set_batch(b) (or set_input_shape)
// picks the batch of the next enqueues, any b in [min, max]; the IO pointers
// then hold b samples. A b that is a bucket runs that bucket on the caller's
// buffers; any other runs the next larger bucket on the context's padded
// buffers (allocated at creation), with device-to-device copies of the b
// samples in and out, queued on the same stream. Every bucket shares the one
// arena and workspace, sized for the largest. Graphs are kept per batch, so
// alternating batches replay without recording again.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "trtutils/core/stream.hpp"
#include "trtutils/runtime/engine.hpp"

namespace trtutils::core {
class CudaGraph;
}  // namespace trtutils::core

namespace trtutils::runtime {

class ExecutionContext {
 public:
  /// Use Engine::create_execution_context().
  explicit ExecutionContext(std::shared_ptr<const Engine> engine);
  ~ExecutionContext();
  ExecutionContext(const ExecutionContext&) = delete;
  ExecutionContext& operator=(const ExecutionContext&) = delete;

  const Engine& engine() const noexcept { return *engine_; }

  /// Queues the engine on `stream`. `io` holds device pointers in
  /// Engine::plan().io order (inputs, then outputs). InvalidArgument when the
  /// count is wrong or a pointer is null (before any GPU work).
  void enqueue(core::StreamView stream, std::span<void* const> io);
  void enqueue(core::StreamView stream, std::initializer_list<void*> io) {
    enqueue(stream, std::span<void* const>(io.begin(), io.size()));
  }
  /// The same, naming each input and output. InvalidArgument for a missing or
  /// unknown name.
  void enqueue(core::StreamView stream, const std::map<std::string, void*>& io);

  /// Dynamic-batch engines: the batch of the following enqueues (starts at
  /// the range's opt). InvalidArgument naming the batched inputs, the batch
  /// and the range when it lies outside [min, max], and for a static engine.
  /// No GPU work; cheap enough to call before every enqueue.
  void set_batch(std::int64_t batch);
  /// TensorRT's spelling: the input's dims with the batch at axis 0 (the
  /// other dims must be the engine's). Every batched input shares one batch,
  /// so this sets it for all. InvalidArgument naming the input otherwise. A
  /// static input's own dims are accepted and change nothing.
  void set_input_shape(std::string_view name, std::span<const std::int64_t> dims);
  void set_input_shape(std::string_view name, std::initializer_list<std::int64_t> dims) {
    set_input_shape(name, std::span<const std::int64_t>(dims.begin(), dims.size()));
  }
  /// The batch the next enqueue runs (0 for a static engine).
  std::int64_t batch() const noexcept;
  /// An input's / output's dims at the current batch (static engines: the
  /// io spec's dims).
  std::vector<std::int64_t> input_dims(std::size_t index) const;
  std::vector<std::int64_t> output_dims(std::size_t index) const;

  void set_use_cuda_graph(bool use) noexcept { use_cuda_graph_ = use; }
  bool uses_cuda_graph() const noexcept { return use_cuda_graph_; }
  /// How many times the engine was recorded into a graph (all batches).
  std::size_t graph_capture_count() const noexcept { return graph_captures_; }
  /// Forgets the recorded graphs (the next graph enqueue records again).
  void reset_cuda_graph() noexcept;
  /// The graph recorded for the current batch, which enqueue replays; null
  /// before the first graph enqueue. For inspection (node counts, benches).
  const core::CudaGraph* recorded_graph() const noexcept;

  /// For an output with a data-dependent extent (NonZero, NMS): its true
  /// extent along `dynamic_extent_axis(output)`, as the last enqueue wrote it.
  /// Read it after the stream has synchronised. Nothing for other outputs.
  std::optional<std::int64_t> dynamic_extent(std::size_t output_index) const;
  /// The axis the extent applies to (0 unless the plan names another).
  std::optional<std::size_t> dynamic_extent_axis(std::size_t output_index) const;

  /// Device address of a tensor of the plan (constants and activations; for
  /// inputs and outputs, the pointer of the last enqueue). For tests/debugging.
  void* tensor_address(plan::TensorId id) const;

  std::size_t arena_bytes() const noexcept;
  std::size_t workspace_bytes() const noexcept;

 private:
  struct State;
  void check_bindings(std::span<void* const> io) const;
  void run(core::StreamView stream, std::span<void* const> io);
  void run_layers(core::StreamView stream);
  /// The current batch's entry in State::graphs.
  std::size_t graph_index() const noexcept;

  std::shared_ptr<const Engine> engine_;
  std::unique_ptr<State> state_;
  bool use_cuda_graph_ = false;
  std::size_t graph_captures_ = 0;
};

}  // namespace trtutils::runtime
