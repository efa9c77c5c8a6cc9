#pragma once
// What the builder is asked to do (TensorRT's IBuilderConfig counterpart).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trtutils/plan/plan.hpp"
#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils::builder {

/// Called as the build advances: stage name ("simplify", "fuse", "lower",
/// "compile kernels", "autotune", "plan memory", "pack weights", "validate")
/// and the overall fraction done, 0..1 (non-decreasing; 1 at the end).
using ProgressCallback = std::function<void(std::string_view stage, double fraction)>;

/// A dynamic batch dimension (axis 0 of every input whose axis 0 is not
/// static). min = opt = max: a static engine of that batch. min < max: the
/// engine accepts any batch in [min, max]; the builder builds the graph once
/// per bucket (batch_buckets()) into one plan sharing one weights section,
/// and the runtime runs a batch between buckets padded to the next larger
/// bucket (see plan/batch_buckets.hpp). That needs samples that do not
/// influence each other: the build refuses a model whose nodes work across
/// axis 0 (UnsupportedError naming the node). Build time grows with the
/// number of buckets.
struct BatchProfile {
  std::int64_t min = 1;
  std::int64_t opt = 1;
  std::int64_t max = 1;
  /// Batch sizes to specialise for, besides min, opt and max (each in
  /// [min, max]); empty = the powers of two between min and max.
  std::vector<std::int64_t> buckets{};
};

/// How convolution activations are laid out in memory. kAuto: channels-last
/// (NHWC, what tensor cores read) for fp16/bf16 builds, NCHW for fp32.
/// Layout conversions (Transposes) are only left at boundaries: graph IO and
/// ops that are not layout-agnostic (Reshape, MatMul, pooling windows...).
enum class ConvolutionLayout : std::uint8_t { kAuto, kNCHW, kNHWC };

/// Most buckets one plan holds (min, opt and max included).
inline constexpr std::size_t kMaxBatchBuckets = 8;

/// The batch sizes a profile is built for, ascending: min, opt, max and
/// profile.buckets, or (none given) the powers of two strictly between min
/// and max, thinned evenly to kMaxBatchBuckets in all. InvalidArgument for a
/// bucket outside [min, max] or more than kMaxBatchBuckets explicit ones.
std::vector<std::int64_t> batch_buckets(const BatchProfile& profile);

struct BuildOptions {
  plan::Precision precision = plan::Precision::kFloat32;
  /// Most scratch memory a cuDNN / cuBLASLt algorithm may use.
  std::uint64_t max_workspace_bytes = 256ull << 20;
  /// "sm_90"; empty = the current device's. Required when there is no GPU.
  std::string target_arch;
  /// Time cuDNN / cuBLASLt candidates on the GPU (needs a GPU of target_arch).
  /// Off: convolutions use IMPLICIT_GEMM (no workspace) and matmuls store an
  /// empty algorithm (the runtime takes cuBLASLt's first heuristic choice).
  bool autotune = true;
  /// Let autotuning consider cuDNN engines that compile their kernel when
  /// the execution plan is made: the fused conv + bias (+ residual) + ReLU
  /// graphs and some depthwise kernels, often the fastest on sm_80+. The
  /// price is paid at every engine load (each context compiles them; about
  /// 1-4 s for a ResNet-50 on an H100). Off: only precompiled engines.
  bool cudnn_runtime_fusion = true;
  /// Batch size for inputs with a dynamic axis 0; nullopt = such inputs are
  /// an error (unless fixed by constant_inputs).
  std::optional<BatchProfile> batch;
  /// Graph inputs whose values are fixed at build time (shape-deciding
  /// inputs: a Reshape's target shape, Resize's scales, ...). They stop
  /// being engine inputs.
  std::map<std::string, HostTensor> constant_inputs;
  /// Autotuning results reused across builds; empty = no cache file. Read
  /// when present, written back after the build.
  std::filesystem::path timing_cache;
  /// Disk cache of NVRTC compilations; empty = core::KernelCache's default.
  std::filesystem::path kernel_cache_dir;
  /// Run the fusion passes (BatchNorm folding, epilogues, residual adds,
  /// element-wise chains).
  bool fuse = true;
  /// Nodes kept in fp32 in an fp16 / bf16 build (TensorRT's per-layer
  /// precision): ECMAScript regular expressions searched in each node's name
  /// after fusion (a fused element-wise node is named "fused" + "_<name>" of
  /// each node it holds). Their weights, activations and arithmetic stay
  /// f32; casts are inserted where they meet the rest. For models whose
  /// first layers amplify rounding (measured: bench/models/fp16_sensitivity.py),
  /// e.g. "^/(conv1|relu|maxpool|layer1)/" for torchvision's resnet50.
  std::vector<std::string> fp32_nodes;
  /// Layout of 2-D convolutions (the layout pass runs with `fuse` only).
  ConvolutionLayout layout = ConvolutionLayout::kAuto;
  ProgressCallback progress;
};

/// Throws InvalidArgument naming the first bad option: workspace of 0 when
/// autotuning, a target arch not of the form "sm_<digits>", a batch profile
/// that is not 1 <= min <= opt <= max or lists buckets outside it (or too
/// many), an empty constant input.
void validate_options(const BuildOptions& options);

/// Whether 2-D convolutions run channels-last: layout kNHWC, or kAuto with an
/// fp16/bf16 precision (and `fuse` on).
bool uses_channels_last(const BuildOptions& options);

/// "auto", "nchw", "nhwc" (and back; InvalidArgument for anything else).
const char* layout_name(ConvolutionLayout layout);
ConvolutionLayout layout_from_name(const std::string& name);

/// The options as "name" -> "value" text for PlanHeader::builder_options.
std::map<std::string, std::string> describe_options(const BuildOptions& options);

}  // namespace trtutils::builder
