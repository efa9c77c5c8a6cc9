#pragma once
// The in-memory form of an engine plan: what the builder decides once and the
// runtime executes many times (TensorRT's ICudaEngine counterpart, without any
// CUDA). A Plan is plain data; plan_writer.hpp / plan_reader.hpp turn it into
// the versioned .engine file (byte layout: docs/parts/plan-format.md) and
// plan_validation.hpp checks that its parts agree with each other.
//
// Enumerator values below are the codes written to the file: never renumber.
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "trtutils/plan/byte_range.hpp"
#include "trtutils/plan/layer_params.hpp"
#include "trtutils/plan/plan_weights.hpp"
#include "trtutils/tensor/dtype.hpp"
#include "trtutils/version.hpp"

namespace trtutils::plan {

/// The .engine format this library writes and the only one it reads.
inline constexpr std::uint32_t kPlanFormatVersion = 2;

enum class Precision : std::uint8_t { kFloat32 = 0, kFloat16 = 1, kBFloat16 = 2 };
/// "fp32", "fp16", "bf16".
std::string_view precision_name(Precision precision) noexcept;
/// Inverse of precision_name; throws InvalidArgument naming the accepted names.
Precision precision_from_name(std::string_view name);

/// How a tensor's elements are ordered in memory. kLinear is row-major over
/// `dims` as given; kNCHW / kNHWC name the order of a 4-D image tensor.
enum class TensorLayout : std::uint8_t { kLinear = 0, kNCHW = 1, kNHWC = 2 };
/// "linear", "NCHW", "NHWC".
std::string_view layout_name(TensorLayout layout) noexcept;

/// Who provides a tensor's memory: the caller (inputs, outputs), the
/// activation arena of an ExecutionContext, or the engine's weights.
enum class TensorKind : std::uint8_t { kInput = 0, kOutput = 1, kActivation = 2, kConstant = 3 };
/// "input", "output", "activation", "constant".
std::string_view tensor_kind_name(TensorKind kind) noexcept;

struct PlanHeader {
  std::uint32_t format_version = kPlanFormatVersion;
  /// The trtutils version that built the plan.
  std::string library_version{kVersionString};
  /// The GPU architecture the kernels were chosen and compiled for, "sm_90".
  std::string target_arch;
  /// The precision the builder was asked for (layers may run wider).
  Precision precision = Precision::kFloat32;
  /// When the plan was built, seconds since the Unix epoch (UTC).
  std::int64_t build_time_unix_seconds = 0;
  /// The builder's options as it reports them, for `trtutils inspect`.
  std::map<std::string, std::string> builder_options;

  friend bool operator==(const PlanHeader&, const PlanHeader&) = default;
};

/// A dimension whose extent is chosen at execution time.
inline constexpr std::int64_t kDynamicDim = -1;

/// The extents an input accepts (min / opt / max, as in TensorRT's
/// optimisation profiles); `opt` is what the kernels were tuned for.
struct ShapeProfile {
  std::vector<std::int64_t> min;
  std::vector<std::int64_t> opt;
  std::vector<std::int64_t> max;

  friend bool operator==(const ShapeProfile&, const ShapeProfile&) = default;
};

/// An engine input or output as the caller sees it.
struct TensorSpec {
  std::string name;
  DType dtype = DType::kUndefined;
  /// Extents; kDynamicDim (-1) where the caller picks the extent.
  std::vector<std::int64_t> dims;
  /// Required when a dim is dynamic; static dims appear in it unchanged.
  std::optional<ShapeProfile> profile;
  bool is_input = true;

  bool is_dynamic() const noexcept;
  friend bool operator==(const TensorSpec&, const TensorSpec&) = default;
};

using TensorId = std::uint32_t;
/// Marks an omitted optional layer input (ONNX's empty input name).
inline constexpr TensorId kAbsentTensor = 0xffffffffu;

/// Every tensor the runtime handles. Its id is its index in Plan::tensors.
struct TensorDesc {
  TensorId id = 0;
  std::string name;
  DType dtype = DType::kUndefined;
  /// Extents; kDynamicDim where they follow a dynamic input.
  std::vector<std::int64_t> dims;
  TensorLayout layout = TensorLayout::kLinear;
  TensorKind kind = TensorKind::kActivation;
  /// Where the tensor lives in the activation arena (liveness-planned: ranges
  /// of tensors that are never alive together may overlap). Empty for constants.
  ByteRange arena;
  /// Where a constant's data lies in the weights section. Empty otherwise.
  ByteRange weights;

  friend bool operator==(const TensorDesc&, const TensorDesc&) = default;
};

/// One step of execution: a kernel chosen by the builder and its parameters.
struct LayerDesc {
  std::string name;
  /// "<library>.<kernel>", e.g. "cudnn.convolution", "cublaslt.matmul",
  /// "nvrtc.fused_elementwise", "ref.Gather".
  std::string kernel;
  std::vector<TensorId> inputs;
  std::vector<TensorId> outputs;
  LayerParams params;
  Precision precision = Precision::kFloat32;

  friend bool operator==(const LayerDesc&, const LayerDesc&) = default;
};

/// The batch sizes a dynamic-batch plan accepts (axis 0 of its batched
/// inputs and outputs): any b with min <= b <= max. `opt` is the bucket
/// whose tensors and layers are Plan's own.
struct BatchRange {
  std::int64_t min = 1;
  std::int64_t opt = 1;
  std::int64_t max = 1;

  friend bool operator==(const BatchRange&, const BatchRange&) = default;
};

/// One more specialisation of the same graph, to one batch size: its own
/// tensors (constants pointing into the plan's one weights section), layers
/// and memory sizes. See batch_buckets.hpp.
struct BatchBucket {
  std::int64_t batch = 0;
  std::vector<TensorDesc> tensors;
  std::vector<LayerDesc> layers;
  std::uint64_t arena_bytes = 0;
  std::uint64_t workspace_bytes = 0;

  friend bool operator==(const BatchBucket&, const BatchBucket&) = default;
};

struct Plan {
  PlanHeader header;
  /// Engine inputs and outputs, in the order the caller passes them.
  std::vector<TensorSpec> io;
  std::vector<TensorDesc> tensors;
  /// In execution order.
  std::vector<LayerDesc> layers;
  /// Size of one ExecutionContext's activation arena.
  std::uint64_t arena_bytes = 0;
  /// Scratch memory the layers need at most (cuDNN / cuBLASLt workspaces).
  std::uint64_t workspace_bytes = 0;
  PlanWeights weights;
  /// Set for a dynamic-batch plan: `io` then has kDynamicDim at axis 0 of the
  /// batched inputs and outputs (with a profile), and tensors / layers /
  /// arena_bytes / workspace_bytes above are the bucket for batch_range->opt.
  std::optional<BatchRange> batch_range;
  /// The other buckets of a dynamic-batch plan, by ascending batch (never
  /// `opt`). Empty for a static plan.
  std::vector<BatchBucket> batch_buckets;

  /// The tensor with this id; throws InvalidArgument when there is none.
  const TensorDesc& tensor(TensorId id) const;
  /// The tensor called `name`, or nullptr.
  const TensorDesc* find_tensor(std::string_view name) const noexcept;
  /// A constant's bytes inside the weights section.
  std::span<const std::byte> weights_of(const TensorDesc& tensor) const;

  friend bool operator==(const Plan&, const Plan&) = default;
};

}  // namespace trtutils::plan
