#include "trtutils/builder/memory_planner.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <variant>

#include "trtutils/core/error.hpp"
#include "trtutils/plan/layer_kinds.hpp"

namespace trtutils::builder {

namespace {

std::uint64_t align_up(std::uint64_t value) {
  return (value + kActivationAlignment - 1) / kActivationAlignment * kActivationAlignment;
}

bool alive_together(const TensorLifetime& a, const TensorLifetime& b) {
  return a.first <= b.last && b.first <= a.last;
}

}  // namespace

MemoryPlan plan_memory(const std::vector<TensorLifetime>& lifetimes) {
  MemoryPlan result;
  result.offsets.assign(lifetimes.size(), 0);
  std::vector<std::size_t> order(lifetimes.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return lifetimes[a].bytes > lifetimes[b].bytes;
  });
  std::vector<std::size_t> placed;
  for (const std::size_t index : order) {
    const TensorLifetime& t = lifetimes[index];
    if (t.bytes == 0) continue;
    TRTUTILS_CHECK(t.first <= t.last, "plan_memory: lifetime ", index, " ends (", t.last,
                   ") before it begins (", t.first, ")");
    const std::uint64_t need = align_up(t.bytes);
    // Occupied ranges of tensors alive together with this one, by offset.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> busy;
    for (const std::size_t other : placed) {
      if (alive_together(t, lifetimes[other])) {
        busy.emplace_back(result.offsets[other],
                          result.offsets[other] + align_up(lifetimes[other].bytes));
      }
    }
    std::sort(busy.begin(), busy.end());
    std::uint64_t best = 0;
    std::uint64_t best_gap = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t cursor = 0;
    for (const auto& [begin, end] : busy) {
      if (begin > cursor && begin - cursor >= need && begin - cursor < best_gap) {
        best = cursor;
        best_gap = begin - cursor;
      }
      cursor = std::max(cursor, end);
    }
    if (best_gap == std::numeric_limits<std::uint64_t>::max()) best = cursor;
    result.offsets[index] = best;
    result.arena_bytes = std::max(result.arena_bytes, best + need);
    placed.push_back(index);
  }
  return result;
}

std::vector<TensorLifetime> activation_lifetimes(const plan::Plan& plan) {
  std::vector<TensorLifetime> lifetimes(plan.tensors.size());
  std::vector<bool> seen(plan.tensors.size(), false);
  const auto touch = [&](plan::TensorId id, std::size_t layer) {
    if (id == plan::kAbsentTensor || id >= plan.tensors.size()) return;
    if (plan.tensors[id].kind != plan::TensorKind::kActivation) return;
    TensorLifetime& t = lifetimes[id];
    if (!seen[id]) {
      seen[id] = true;
      t.first = layer;
      t.bytes = dtype_size(plan.tensors[id].dtype);
      for (const std::int64_t d : plan.tensors[id].dims) t.bytes *= static_cast<std::uint64_t>(d);
    }
    t.last = layer;
  };
  for (std::size_t layer = 0; layer < plan.layers.size(); ++layer) {
    for (const plan::TensorId id : plan.layers[layer].inputs) touch(id, layer);
    for (const plan::TensorId id : plan.layers[layer].outputs) touch(id, layer);
    // A dynamic-extent count is read by the runtime after this layer: keep it
    // alive until then even when an earlier layer wrote it.
    for (const auto& [name, value] : plan.layers[layer].params.all()) {
      if (name.rfind(plan::layer_kinds::kDynamicExtentPrefix, 0) != 0) continue;
      if (const auto* id = std::get_if<std::int64_t>(&value); id && *id >= 0) {
        touch(static_cast<plan::TensorId>(*id), layer);
      }
    }
  }
  return lifetimes;
}

void assign_arena(plan::Plan& plan) {
  const std::vector<TensorLifetime> lifetimes = activation_lifetimes(plan);
  const MemoryPlan memory = plan_memory(lifetimes);
  for (plan::TensorDesc& t : plan.tensors) {
    t.arena = {};
    if (t.kind == plan::TensorKind::kActivation) {
      t.arena = {memory.offsets[t.id], lifetimes[t.id].bytes};
    }
  }
  plan.arena_bytes = memory.arena_bytes;
}

}  // namespace trtutils::builder
