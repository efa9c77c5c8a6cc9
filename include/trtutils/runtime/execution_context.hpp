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
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "trtutils/core/stream.hpp"
#include "trtutils/runtime/engine.hpp"

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

  void set_use_cuda_graph(bool use) noexcept { use_cuda_graph_ = use; }
  bool uses_cuda_graph() const noexcept { return use_cuda_graph_; }
  /// How many times the engine was recorded into a graph.
  std::size_t graph_capture_count() const noexcept { return graph_captures_; }
  /// Forgets the recorded graph (the next graph enqueue records again).
  void reset_cuda_graph() noexcept;

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
  void bind(std::span<void* const> io);
  void run_layers(core::StreamView stream);

  std::shared_ptr<const Engine> engine_;
  std::unique_ptr<State> state_;
  bool use_cuda_graph_ = false;
  std::size_t graph_captures_ = 0;
};

}  // namespace trtutils::runtime
