#pragma once
// What an Engine holds; shared by engine.cpp and execution_context.cpp.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/layer.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/runtime/engine.hpp"

namespace trtutils::runtime {

namespace detail {

/// An engine output whose true extent a layer writes at run time.
struct DynamicExtentSource {
  std::size_t layer = 0;     ///< the layer after which the count is valid
  plan::TensorId count = 0;  ///< i64 scalar tensor holding the extent
  std::size_t output = 0;    ///< index into Engine::outputs()
  std::size_t axis = 0;      ///< the axis the extent applies to
};

/// Finds the "dynamic_extent_of_output_<i>" parameters (i indexes the
/// layer's outputs) that concern engine outputs, in layer order; the axis is
/// "dynamic_extent_axis_of_output_<i>" (default 0). ModelError for a count
/// tensor that is not a one-element i64 tensor. Pure.
std::vector<DynamicExtentSource> find_dynamic_extents(const plan::Plan& plan);

/// The CUDA-free part of check_plan_runnable (everything but compatibility).
void check_plan_structure(const plan::Plan& plan);

}  // namespace detail

/// One specialisation of the engine to a batch size (a dynamic-batch plan's
/// bucket); a static engine has exactly one.
struct BatchVariant {
  /// Axis 0 of the batched inputs and outputs; 0 for a static engine.
  std::int64_t batch = 0;
  /// The bucket's static plan (weights shared, not copied), or null when it
  /// is the engine's own plan (static engines).
  std::unique_ptr<plan::Plan> own_plan;
  const plan::Plan* plan = nullptr;
  /// Tensor ids of inputs() then outputs(): the order enqueue takes pointers in.
  std::vector<plan::TensorId> io_tensors;
  /// Per io_tensors entry: true when it has no elements (a null pointer is
  /// then a valid binding). Worked out once so enqueue does not search dims.
  std::vector<bool> io_empty;
  std::vector<std::unique_ptr<detail::Layer>> layers;
  std::vector<detail::DynamicExtentSource> dynamic_extents;
  std::size_t workspace_bytes = 0;
};

struct Engine::Impl {
  plan::Plan plan;
  std::vector<plan::TensorSpec> inputs;
  std::vector<plan::TensorSpec> outputs;
  /// Set for a dynamic-batch engine.
  std::optional<plan::BatchRange> batch_range;
  /// Ascending batch; one (batch 0) for a static engine.
  std::vector<std::unique_ptr<BatchVariant>> variants;
  std::vector<std::int64_t> variant_batches;
  /// Per inputs() then outputs() entry: axis 0 is the batch.
  std::vector<bool> io_batched;
  /// Per inputs() then outputs() entry: bytes of one sample (batched) or of
  /// the tensor (not batched).
  std::vector<std::size_t> io_sample_bytes;
  core::DeviceBuffer weights;
  /// Largest over the variants: what one context allocates.
  std::uint64_t arena_bytes = 0;
  std::size_t workspace_bytes = 0;
  bool needs_cudnn = false;
  bool needs_cublaslt = false;
  int device = 0;
  std::string arch;
  std::shared_ptr<Logger> logger;

  /// The variant that runs `batch` (exact, else the next larger bucket).
  std::size_t variant_for(std::int64_t batch) const;
  /// True when some batch in the range is not a bucket (it then runs padded).
  bool pads_batches() const noexcept {
    return batch_range &&
           static_cast<std::int64_t>(variants.size()) < batch_range->max - batch_range->min + 1;
  }
  /// The opt bucket (static engines: the only one).
  const BatchVariant& opt_variant() const;
};

}  // namespace trtutils::runtime
