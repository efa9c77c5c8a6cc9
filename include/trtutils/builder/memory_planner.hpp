#pragma once
// The static activation memory plan: every activation tensor gets a fixed
// offset in one arena; tensors that are never alive at the same time may
// share bytes. Liveness is measured in layer positions.
#include <cstdint>
#include <vector>

#include "trtutils/plan/plan.hpp"

namespace trtutils::builder {

/// Alignment of every activation offset (and of the arena size).
inline constexpr std::uint64_t kActivationAlignment = 256;

/// A tensor's need: `bytes`, alive from layer `first` to layer `last`
/// (inclusive). Tensors of 0 bytes get offset 0 and size 0.
struct TensorLifetime {
  std::uint64_t bytes = 0;
  std::size_t first = 0;
  std::size_t last = 0;
};

struct MemoryPlan {
  std::vector<std::uint64_t> offsets;  ///< one per lifetime, kActivationAlignment-aligned
  std::uint64_t arena_bytes = 0;       ///< multiple of kActivationAlignment
};

/// Greedy by size with best fit: the largest tensors are placed first, each
/// into the smallest gap between tensors whose lifetimes overlap its own (or
/// after them all). No two tensors alive together overlap in memory.
MemoryPlan plan_memory(const std::vector<TensorLifetime>& lifetimes);

/// Lifetimes of the plan's activation tensors from the layer order: a tensor
/// lives from the first layer that touches it to the last (tensor id ->
/// lifetime; non-activation or untouched tensors have bytes == 0).
std::vector<TensorLifetime> activation_lifetimes(const plan::Plan& plan);

/// activation_lifetimes + plan_memory, written into the tensors' arena
/// ranges and plan.arena_bytes.
void assign_arena(plan::Plan& plan);

}  // namespace trtutils::builder
