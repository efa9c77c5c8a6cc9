#pragma once
// TRTEngine: the one-line interface, after the Python trtutils TRTEngine.
//
//   TRTEngine engine("model.engine", {.warmup_iterations = 10, .use_cuda_graph = true});
//   std::vector<HostTensor> outputs = engine.execute({image});
//
// It owns an Engine, one ExecutionContext, a stream, a device buffer per
// input and output and page-locked staging buffers, all allocated once.
// execute() copies inputs in asynchronously, runs the engine, copies outputs
// back and synchronises once; data-dependent outputs come back trimmed to
// their true extent. direct_exec() runs on device pointers and never waits.
//
// ONNX files: the runtime does not link the builder. The builder registers
// itself with TRTEngine::set_onnx_builder; a path ending in ".onnx" is then
// built (with TRTEngineOptions::build_options) before loading.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "trtutils/core/stream.hpp"
#include "trtutils/plan/plan.hpp"
#include "trtutils/runtime/engine.hpp"
#include "trtutils/runtime/execution_context.hpp"
#include "trtutils/runtime/logger.hpp"
#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils::runtime {

struct TRTEngineOptions {
  /// Runs of the engine at construction (on zero-filled inputs).
  int warmup_iterations = 0;
  /// Record the engine into a CUDA graph and replay it (see ExecutionContext).
  bool use_cuda_graph = false;
  /// CUDA device to load on.
  int device = 0;
  /// Null: Logger::default_logger().
  std::shared_ptr<Logger> logger{};
  /// Passed to the registered ONNX builder for ".onnx" paths (e.g. "precision" -> "fp16").
  std::map<std::string, std::string> build_options{};
};

class TRTEngine {
 public:
  /// Builds an ONNX model file into a plan; registered by the builder library.
  using OnnxBuilder = std::function<plan::Plan(const std::filesystem::path& onnx_path,
                                               const std::map<std::string, std::string>& options)>;
  /// Installs (or, with an empty function, removes) the process-wide ONNX builder.
  static void set_onnx_builder(OnnxBuilder builder);
  static bool has_onnx_builder();

  /// Loads a .engine file, or builds a .onnx file through the registered
  /// builder (InvalidArgument saying how when none is registered).
  explicit TRTEngine(const std::filesystem::path& path, TRTEngineOptions options = {});
  /// Loads a plan held in memory.
  explicit TRTEngine(plan::Plan plan, TRTEngineOptions options = {});
  ~TRTEngine();
  TRTEngine(TRTEngine&&) noexcept;
  TRTEngine& operator=(TRTEngine&&) noexcept;
  TRTEngine(const TRTEngine&) = delete;
  TRTEngine& operator=(const TRTEngine&) = delete;

  /// The engine's specs: for a dynamic-batch engine kDynamicDim (-1) at the
  /// batch axis, with the range as profile.
  const std::vector<plan::TensorSpec>& input_specs() const noexcept;
  const std::vector<plan::TensorSpec>& output_specs() const noexcept;
  std::vector<std::string> input_names() const;
  /// Shapes at the engine's opt batch (dynamic-batch engines; the range is
  /// engine().batch_range()), or the static shapes.
  std::vector<Shape> input_shapes() const;
  std::vector<DType> input_dtypes() const;
  std::vector<std::string> output_names() const;
  std::vector<Shape> output_shapes() const;
  std::vector<DType> output_dtypes() const;

  /// Host inputs (in input order) -> host outputs. InvalidArgument naming the
  /// input for a wrong count, shape or dtype, before any GPU work. A
  /// dynamic-batch engine takes the batch from axis 0 of the inputs (any in
  /// its range; outputs come back with that batch).
  std::vector<HostTensor> execute(const std::vector<HostTensor>& inputs);
  std::vector<HostTensor> operator()(const std::vector<HostTensor>& inputs) {
    return execute(inputs);
  }

  /// Runs on device inputs and writes the engine's own output buffers, whose
  /// pointers it returns (valid until the next run). Queued on stream(); no
  /// synchronisation.
  std::vector<void*> direct_exec(std::span<const void* const> inputs);
  /// The same, writing the caller's output buffers.
  void direct_exec(std::span<const void* const> inputs, std::span<void* const> outputs);
  /// Dynamic-batch engines: the same at `batch` (the buffers hold that many
  /// samples; the engine's own are sized for max). Sets the context's batch,
  /// which later calls without one keep. InvalidArgument outside the range.
  std::vector<void*> direct_exec(std::span<const void* const> inputs, std::int64_t batch);
  void direct_exec(std::span<const void* const> inputs, std::span<void* const> outputs,
                   std::int64_t batch);

  /// Random inputs of input_shapes() and the input dtypes (floats in [0, 1), integers
  /// in [0, 10), seeded), as the Python get_random_input.
  std::vector<HostTensor> get_random_input(std::uint64_t seed = 0) const;
  /// execute(get_random_input(seed)).
  std::vector<HostTensor> mock_execute(std::uint64_t seed = 0);
  /// Runs the engine `iterations` times on its own buffers (at the context's
  /// current batch), then synchronises.
  void warmup(int iterations);

  core::StreamView stream() const noexcept;
  const Engine& engine() const noexcept;
  std::shared_ptr<const Engine> shared_engine() const noexcept;
  ExecutionContext& context() noexcept;

 private:
  struct Impl;
  void initialise(plan::Plan plan, const TRTEngineOptions& options);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trtutils::runtime
