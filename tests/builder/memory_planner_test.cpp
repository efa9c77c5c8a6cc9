// The static activation memory plan: no two tensors alive together overlap,
// memory of dead tensors is reused, offsets are aligned.
#include <gtest/gtest.h>

#include "trtutils/builder/memory_planner.hpp"

namespace trtutils::builder {
namespace {

bool overlap_in_memory(std::uint64_t a, std::uint64_t an, std::uint64_t b, std::uint64_t bn) {
  return a < b + bn && b < a + an;
}

void expect_overlap_free(const std::vector<TensorLifetime>& t, const MemoryPlan& m) {
  for (std::size_t i = 0; i < t.size(); ++i) {
    EXPECT_EQ(m.offsets[i] % kActivationAlignment, 0u);
    EXPECT_LE(m.offsets[i] + t[i].bytes, m.arena_bytes);
    for (std::size_t j = i + 1; j < t.size(); ++j) {
      const bool alive_together = t[i].first <= t[j].last && t[j].first <= t[i].last;
      if (alive_together && t[i].bytes && t[j].bytes) {
        EXPECT_FALSE(overlap_in_memory(m.offsets[i], t[i].bytes, m.offsets[j], t[j].bytes))
            << "tensors " << i << " and " << j;
      }
    }
  }
}

TEST(MemoryPlanner, ChainReusesMemoryOfDeadTensors) {
  // a -> b -> c -> d: each alive for two consecutive layers.
  const std::vector<TensorLifetime> t{{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}, {1000, 3, 4}};
  const MemoryPlan m = plan_memory(t);
  expect_overlap_free(t, m);
  EXPECT_EQ(m.arena_bytes, 2 * 1024u);  // two 1024-byte slots, not four
  EXPECT_EQ(m.offsets[0], m.offsets[2]);
}

TEST(MemoryPlanner, AllAliveTogetherNeedTheSumAligned) {
  const std::vector<TensorLifetime> t{{1, 0, 5}, {300, 0, 5}, {256, 0, 5}};
  const MemoryPlan m = plan_memory(t);
  expect_overlap_free(t, m);
  EXPECT_EQ(m.arena_bytes, 256u + 512u + 256u);
}

TEST(MemoryPlanner, LateSmallTensorFillsTheHoleOfADeadOne) {
  // big0 and big1 live throughout; mid dies after layer 1; late (born at 2)
  // fits in mid's bytes between them rather than growing the arena.
  const std::vector<TensorLifetime> t{{4096, 0, 9}, {2048, 0, 1}, {4096, 0, 9}, {1024, 2, 3}};
  const MemoryPlan m = plan_memory(t);
  expect_overlap_free(t, m);
  EXPECT_EQ(m.arena_bytes, 4096u + 4096u + 2048u);
  EXPECT_EQ(m.offsets[3], m.offsets[1]);
}

TEST(MemoryPlanner, ManyRandomLifetimesStayOverlapFree) {
  std::vector<TensorLifetime> t;
  std::uint64_t state = 12345;
  const auto next = [&] { return (state = state * 6364136223846793005ULL + 1442695040888963407ULL) >> 33; };
  for (int i = 0; i < 200; ++i) {
    const std::size_t first = next() % 50;
    t.push_back({next() % 5000, first, first + next() % 10});
  }
  const MemoryPlan m = plan_memory(t);
  expect_overlap_free(t, m);
  std::uint64_t sum = 0;
  for (const auto& l : t) sum += (l.bytes + 255) / 256 * 256;
  EXPECT_LT(m.arena_bytes, sum);  // reuse happened
}

TEST(MemoryPlanner, ZeroByteTensorsTakeNoSpace) {
  const MemoryPlan m = plan_memory({{0, 0, 3}});
  EXPECT_EQ(m.arena_bytes, 0u);
}

TEST(Liveness, SpansFirstToLastLayerTouchingTheTensor) {
  plan::Plan p;
  const auto tensor = [&](const char* name, plan::TensorKind kind) {
    p.tensors.push_back({static_cast<plan::TensorId>(p.tensors.size()), name, DType::kFloat32, {4},
                         plan::TensorLayout::kLinear, kind, {}, {}});
  };
  tensor("x", plan::TensorKind::kInput);
  tensor("a", plan::TensorKind::kActivation);
  tensor("b", plan::TensorKind::kActivation);
  tensor("y", plan::TensorKind::kOutput);
  p.layers.push_back({"l0", "k", {0}, {1}, {}, {}});
  p.layers.push_back({"l1", "k", {1}, {2}, {}, {}});
  p.layers.push_back({"l2", "k", {2, 1}, {3}, {}, {}});
  const auto life = activation_lifetimes(p);
  EXPECT_EQ(life[0].bytes, 0u);  // inputs are not in the arena
  EXPECT_EQ(life[1].first, 0u);
  EXPECT_EQ(life[1].last, 2u);
  EXPECT_EQ(life[2].first, 1u);
  EXPECT_EQ(life[2].bytes, 16u);
  assign_arena(p);
  EXPECT_EQ(p.arena_bytes, 512u);  // a and b alive together in l1..l2
  EXPECT_NE(p.tensors[1].arena.offset, p.tensors[2].arena.offset);
}

}  // namespace
}  // namespace trtutils::builder
