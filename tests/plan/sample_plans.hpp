#pragma once
// Plans for the plan-format tests: a rich one that uses every field and every
// parameter type, and a small one for exhaustive byte-level corruption loops.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <span>
#include <vector>

#include "plan/xxhash64.hpp"
#include "trtutils/plan/batch_buckets.hpp"
#include "trtutils/plan/plan.hpp"

namespace trtutils::plan::testing {

/// `count` bytes 0, 1, 2, ... (mod 251, a prime, so the pattern never lines up with alignments).
inline std::vector<std::byte> pattern_bytes(std::size_t count, unsigned start = 0) {
  std::vector<std::byte> bytes(count);
  for (std::size_t i = 0; i < count; ++i) bytes[i] = static_cast<std::byte>((start + i) % 251);
  return bytes;
}

inline TensorDesc tensor(TensorId id, std::string name, DType dtype, std::vector<std::int64_t> dims,
                         TensorKind kind) {
  TensorDesc t;
  t.id = id;
  t.name = std::move(name);
  t.dtype = dtype;
  t.dims = std::move(dims);
  t.kind = kind;
  return t;
}

/// Every field set to something other than its default; every LayerParam alternative.
inline Plan rich_plan() {
  Plan plan;
  plan.header.target_arch = "sm_90";
  plan.header.precision = Precision::kFloat16;
  plan.header.build_time_unix_seconds = 1700000000;
  plan.header.builder_options = {{"source", "yolo.onnx"}, {"workspace", "1 GiB"}, {"empty", ""}};

  TensorSpec images{"images",
                    DType::kFloat16,
                    {-1, 3, 64, 64},
                    ShapeProfile{{1, 3, 64, 64}, {4, 3, 64, 64}, {8, 3, 64, 64}},
                    true};
  TensorSpec scale{"scale", DType::kFloat32, {1}, std::nullopt, true};
  TensorSpec boxes{"boxes",
                   DType::kFloat32,
                   {-1, 100, 4},
                   ShapeProfile{{1, 100, 4}, {4, 100, 4}, {8, 100, 4}},
                   false};
  plan.io = {images, scale, boxes};

  PlanWeightsBuilder weights;
  plan.tensors = {
      tensor(0, "images", DType::kFloat16, {-1, 3, 64, 64}, TensorKind::kInput),
      tensor(1, "scale", DType::kFloat32, {1}, TensorKind::kInput),
      tensor(2, "conv.weight", DType::kFloat16, {16, 3, 3, 3}, TensorKind::kConstant),
      tensor(3, "conv.bias", DType::kFloat32, {16}, TensorKind::kConstant),
      tensor(4, "gather.indices", DType::kInt64, {3}, TensorKind::kConstant),
      tensor(5, "conv_out", DType::kFloat16, {-1, 16, 32, 32}, TensorKind::kActivation),
      tensor(6, "feat", DType::kFloat32, {8, 100, 4}, TensorKind::kActivation),
      tensor(7, "boxes", DType::kFloat32, {-1, 100, 4}, TensorKind::kOutput),
  };
  plan.tensors[0].layout = TensorLayout::kNCHW;
  plan.tensors[5].layout = TensorLayout::kNHWC;
  plan.tensors[2].weights = weights.append(pattern_bytes(16 * 3 * 3 * 3 * 2, 1));  // 864 bytes
  plan.tensors[3].weights = weights.append(pattern_bytes(16 * 4, 2));
  plan.tensors[4].weights = weights.append(pattern_bytes(3 * 8, 3));
  plan.tensors[5].arena = {0, 8 * 16 * 32 * 32 * 2};
  plan.tensors[6].arena = {8 * 16 * 32 * 32 * 2, 8 * 100 * 4 * 4};
  plan.tensors[7].arena = {4096, 0};
  plan.arena_bytes = 8 * 16 * 32 * 32 * 2 + 8 * 100 * 4 * 4;
  plan.workspace_bytes = std::uint64_t{1} << 30;
  plan.weights = weights.finish();

  LayerDesc conv{"conv", "cudnn.convolution", {0, 2, 3}, {5}, {}, Precision::kFloat16};
  conv.params.set("strides", std::vector<std::int64_t>{2, 2});
  conv.params.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  conv.params.set("group", std::int64_t{1});
  conv.params.set("alpha", 1.0);
  conv.params.set("algo", pattern_bytes(256));
  LayerDesc fused{"head", "nvrtc.fused_elementwise", {5, 1}, {6}, {}, Precision::kFloat32};
  fused.params.set("source", std::string("extern \"C\" __global__ void k() {}\n\t\"quoted\""));
  fused.params.set("cubin", pattern_bytes(1000, 7));
  fused.params.set("scales",
                   std::vector<double>{0.5, -2.25, std::numeric_limits<double>::infinity(),
                                       std::numeric_limits<double>::denorm_min(),
                                       std::numeric_limits<double>::max()});
  fused.params.set("empty_ints", std::vector<std::int64_t>{});
  fused.params.set("empty_bytes", std::vector<std::byte>{});
  LayerDesc gather{"gather", "ref.Gather", {6, 4, kAbsentTensor}, {7}, {}, Precision::kFloat32};
  gather.params.set("axis", std::int64_t{-1});
  gather.params.set("min_int", std::numeric_limits<std::int64_t>::min());
  gather.params.set("label", std::string("gr\xc3\xbc\xc3\x9f"
                                         "e"));  // UTF-8
  plan.layers = {conv, fused, gather};
  return plan;
}

/// x (input f32 [2]) + w (constant f32 [2]) -> y (output f32 [2]) in one layer.
/// The constant comes first, so its fields sit at known offsets in TNSR.
inline Plan small_plan() {
  Plan plan;
  plan.header.target_arch = "sm_86";
  plan.io = {TensorSpec{"x", DType::kFloat32, {2}, std::nullopt, true},
             TensorSpec{"y", DType::kFloat32, {2}, std::nullopt, false}};
  PlanWeightsBuilder weights;
  plan.tensors = {tensor(0, "w", DType::kFloat32, {2}, TensorKind::kConstant),
                  tensor(1, "x", DType::kFloat32, {2}, TensorKind::kInput),
                  tensor(2, "y", DType::kFloat32, {2}, TensorKind::kOutput)};
  plan.tensors[0].weights = weights.append(pattern_bytes(8));
  plan.weights = weights.finish();
  plan.layers = {LayerDesc{"add", "ref.Add", {1, 0}, {2}, {}, Precision::kFloat32}};
  return plan;
}

/// small_plan's shape with a dynamic batch: x, y [b, 2] for b in 1..4 (opt 2),
/// buckets 1, 2, 4 sharing w.
inline Plan batch_plan() {
  std::map<std::int64_t, Plan> plans;
  for (const std::int64_t b : {1, 2, 4}) {
    Plan plan = small_plan();
    plan.io[0].dims = plan.io[1].dims = {b, 2};
    plan.tensors[1].dims = plan.tensors[2].dims = {b, 2};
    plans.emplace(b, std::move(plan));
  }
  return merge_batch_buckets(std::move(plans), {1, 2, 4});
}

inline void put_u32(std::vector<std::byte>& bytes, std::size_t at, std::uint32_t value) {
  std::memcpy(bytes.data() + at, &value, sizeof value);
}
inline void put_u64(std::vector<std::byte>& bytes, std::size_t at, std::uint64_t value) {
  std::memcpy(bytes.data() + at, &value, sizeof value);
}

/// Recomputes the checksum (XXH64 of bytes 32.., stored at offset 24) after a
/// deliberate edit, so that the edit reaches the checks behind the checksum.
inline void reseal(std::vector<std::byte>& bytes) {
  put_u64(bytes, 24, xxhash64(std::span<const std::byte>(bytes).subspan(32)));
}

}  // namespace trtutils::plan::testing
