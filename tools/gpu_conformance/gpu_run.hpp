#pragma once
// One ONNX backend test through the GPU engine: builder -> plan ->
// TRTEngine::execute, compared with the test's expected outputs.
#include <filesystem>
#include <string>

#include "gpu_report.hpp"
#include "trtutils/plan/plan.hpp"

namespace trtutils::gpu_conformance {

struct GpuRunOptions {
  plan::Precision precision = plan::Precision::kFloat32;
  bool autotune = true;
  /// Empty: no timing cache.
  std::filesystem::path timing_cache;
  /// "sm_90"; empty = the current GPU's.
  std::string target_arch;
  /// Build the engines but neither load nor run them (no GPU needed with
  /// autotune off and a target arch): "passed" then means "built".
  bool build_only = false;
};

struct GpuOutcome {
  GpuStatus status = GpuStatus::kFailed;
  /// Empty when passed; "build: ..." / "load: ..." / "run: ..." / "<set>: output 'y': ...".
  std::string message;
  int engines = 0;
  std::string constant_inputs;
};

/// For each test_data_set_*: reads the inputs (by TensorProto name, else by
/// position among the non-initializer graph inputs, as the CPU runner), builds
/// an engine (inputs whose shape is symbolic get the data set's shape; inputs
/// the builder needs at build time become constant inputs, see
/// build_fixing_inputs) unless the previous engine was built with the same
/// constant values, runs it on the remaining inputs and compares every output
/// (fp32: the CPU runner's compare(); fp16: compare_fp16). Never throws:
/// UnsupportedError while building -> kUnsupported; anything else -> kFailed.
GpuOutcome run_gpu_test(const std::filesystem::path& test_dir, const GpuRunOptions& options);

}  // namespace trtutils::gpu_conformance
