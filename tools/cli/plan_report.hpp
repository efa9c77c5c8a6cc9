#pragma once
// What `trtutils inspect` and the build summary say about a plan, computed
// from the plan alone (no GPU): layers with their kernel and the choice the
// builder made, kernels by kind, memory, IO specs. Text and JSON.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "trtutils/plan/plan.hpp"

namespace trtutils::cli {

struct PlanMemoryReport {
  std::uint64_t weights_bytes = 0;    ///< once per engine
  std::uint64_t arena_bytes = 0;      ///< activations, per execution context
  std::uint64_t workspace_bytes = 0;  ///< cuDNN / cuBLASLt scratch, per execution context
  std::uint64_t io_bytes = 0;         ///< inputs + outputs (at max batch), owned by the caller
  /// Dynamic batch: per context, max-batch copies of the batched inputs/outputs.
  std::uint64_t padded_io_bytes = 0;
  std::size_t constants = 0;
  std::size_t activations = 0;
};

PlanMemoryReport plan_memory(const plan::Plan& plan);

/// Layer count per kind ("nvrtc.kernel" -> 12, ...).
std::map<std::string, std::size_t> kernels_by_kind(const plan::Plan& plan);

/// The builder's choice for a layer, from its parameters: the generated
/// kernel's entry and launch shape, the cuDNN algorithm, the cuBLASLt shape
/// and whether an algorithm was tuned, a copy's bytes.
std::string layer_detail(const plan::Plan& plan, const plan::LayerDesc& layer);

/// IO spec as JSON: name, dtype, dims (-1 dynamic).
nlohmann::json tensor_spec_json(const plan::TensorSpec& spec);

/// The whole plan: header, IO, memory, kernels by kind, layers when asked.
nlohmann::json plan_json(const plan::Plan& plan, bool with_layers);

void print_io(std::ostream& out, const plan::Plan& plan);
/// Dynamic batch: {min, opt, max, buckets: [{batch, layers, arena_bytes,
/// workspace_bytes}]}; null for a static plan.
nlohmann::json batch_json(const plan::Plan& plan);
/// "1..16 (opt 4), buckets 1, 2, 4, 8, 16" or "static".
std::string batch_text(const plan::Plan& plan);
/// A table of the buckets (dynamic-batch plans only).
void print_batch_buckets(std::ostream& out, const plan::Plan& plan);
void print_memory(std::ostream& out, const PlanMemoryReport& memory);
void print_kernels_by_kind(std::ostream& out, const plan::Plan& plan);
void print_layers(std::ostream& out, const plan::Plan& plan);

}  // namespace trtutils::cli
