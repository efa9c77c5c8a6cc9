#pragma once
// Engine: a plan loaded onto one GPU, immutable and shareable across threads
// (TensorRT's ICudaEngine). It holds the weights (uploaded in one transfer)
// and one object per plan layer (loaded cubins, cuDNN / cuBLASLt plans with
// their stored algorithms). Per-run state lives in ExecutionContext, created
// from it: many contexts may run one engine at once, each on its own stream.
//
//   std::shared_ptr<const Engine> engine = Engine::load("model.engine");
//   std::unique_ptr<ExecutionContext> context = engine->create_execution_context();
//   context->enqueue(stream, {input_device_pointer, output_device_pointer});
//
// Dynamic batch: a plan built with a batch range (plan/batch_buckets.hpp)
// holds one specialisation per batch bucket; the engine loads all of them
// (one weights upload) and inputs()/outputs() report kDynamicDim at the
// batch axis, with the range as profile. Pick the batch per run with
// ExecutionContext::set_batch.
//
// Loading checks the plan before touching the GPU (check_plan_runnable), so a
// plan this runtime cannot run is refused with the reason on any machine.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trtutils/plan/plan.hpp"
#include "trtutils/runtime/logger.hpp"

namespace trtutils::runtime {

class ExecutionContext;

struct EngineOptions {
  /// Receives load messages (info: sizes, verbose: layers). Null: Logger::default_logger().
  std::shared_ptr<Logger> logger{};
};

/// Device memory an engine and each of its contexts use.
struct EngineMemory {
  std::uint64_t weights_bytes = 0;    ///< once per engine
  std::uint64_t arena_bytes = 0;      ///< per ExecutionContext: activations
  std::uint64_t workspace_bytes = 0;  ///< per ExecutionContext: cuDNN / cuBLASLt scratch
  /// Per ExecutionContext, dynamic-batch engines only: a max-batch copy of
  /// every batched input and output, for batches between buckets (0 when
  /// every batch of the range is a bucket).
  std::uint64_t padded_io_bytes = 0;
};

/// One layer as `trtutils inspect` shows it.
struct LayerInfo {
  std::string name;
  std::string kernel;  ///< the layer kind, e.g. "nvrtc.kernel"
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::string detail;  ///< kind-specific: entry and launch shape, algorithm...
};

/// The layer kinds this runtime executes ("copy", "cublaslt.matmul", ...), sorted.
std::vector<std::string> known_layer_kinds();

/// Every check loading runs before it touches the GPU, in this order:
/// validate_plan; every layer kind known ("layer 'x' uses kernel 'y' which
/// this runtime does not know: rebuild the engine with this version");
/// static shapes only (a dynamic-batch plan: every bucket checked, and no
/// data-dependent extents); check_plan_compatible with `device_arch` and
/// `library_version`. Throws ModelError.
void check_plan_runnable(const plan::Plan& plan, std::string_view device_arch,
                         std::string_view library_version = kVersionString);

class Engine : public std::enable_shared_from_this<Engine> {
 public:
  /// Reads (memory-maps) a .engine file and loads it on the current device.
  static std::shared_ptr<const Engine> load(const std::filesystem::path& path,
                                            EngineOptions options = {});
  /// Loads a plan held in memory on the current device.
  static std::shared_ptr<const Engine> from_plan(plan::Plan plan, EngineOptions options = {});

  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const plan::Plan& plan() const noexcept;
  /// Inputs then outputs are in plan().io order; these are the two halves.
  const std::vector<plan::TensorSpec>& inputs() const noexcept;
  const std::vector<plan::TensorSpec>& outputs() const noexcept;
  /// Index into inputs() / outputs(), or -1.
  int input_index(std::string_view name) const noexcept;
  int output_index(std::string_view name) const noexcept;
  /// Largest over the batch buckets (what each context allocates).
  EngineMemory memory() const noexcept;
  /// The layers of the opt bucket (static engines: the only ones).
  std::vector<LayerInfo> layers() const;
  /// The layers of the bucket for `batch`; InvalidArgument when it is not one
  /// of batch_buckets().
  std::vector<LayerInfo> layers(std::int64_t batch) const;

  /// Dynamic-batch engines: the batch sizes accepted (ExecutionContext::
  /// set_batch). nullopt for a static engine, which runs the shapes of its
  /// io specs only.
  std::optional<plan::BatchRange> batch_range() const noexcept;
  /// The batch sizes the engine holds specialisations for, ascending; a
  /// batch between two runs padded to the larger. Empty for a static engine.
  std::vector<std::int64_t> batch_buckets() const;
  /// The device the engine lives on and its architecture ("sm_90").
  int device() const noexcept;
  const std::string& arch() const noexcept;
  const std::shared_ptr<Logger>& logger() const noexcept;

  /// A new context (allocates its arena and workspace on the engine's device).
  /// The context keeps the engine alive.
  std::unique_ptr<ExecutionContext> create_execution_context() const;

  struct Impl;
  /// For ExecutionContext and the layers; not part of the stable API.
  const Impl& impl() const noexcept { return *impl_; }

 private:
  class Passkey {
    Passkey() = default;
    friend class Engine;
  };

 public:
  Engine(Passkey, std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace trtutils::runtime
