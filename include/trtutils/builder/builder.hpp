#pragma once
// The engine builder: ONNX model or IR graph -> plan::Plan (write it with
// plan::write_plan, run it with the runtime). TensorRT's IBuilder counterpart.
//
//   builder::BuildOptions options;                  // fp32, autotuned on this GPU
//   plan::Plan plan = builder::build("model.onnx", options);
//   plan::write_plan("model.engine", plan);
//
// Stages: apply constant inputs and the batch size -> passes::simplify ->
// fusion passes -> precision assignment (boundary casts) -> each node's
// OpSchema::lower_gpu -> unused tensors dropped -> NVRTC kernels compiled to
// cubins (disk-cached) -> cuDNN / cuBLASLt layers autotuned (timing cache)
// -> weights packed -> activation arena planned -> header, IO specs ->
// plan::validate_plan. See docs/parts/builder.md.
#include <filesystem>
#include <string>
#include <vector>

#include "trtutils/builder/build_options.hpp"
#include "trtutils/builder/build_report.hpp"
#include "trtutils/core/error.hpp"
#include "trtutils/ir/graph.hpp"
#include "trtutils/ops/registry.hpp"
#include "trtutils/plan/plan.hpp"

namespace trtutils::builder {

/// Thrown when shapes (or a lowering) need the values of graph inputs that
/// are not known at build time; `inputs` names them. Fix them with
/// BuildOptions::constant_inputs and build again.
class BuildTimeInputsError : public UnsupportedError {
 public:
  BuildTimeInputsError(const std::string& message, std::vector<std::string> inputs)
      : UnsupportedError(message), inputs_(std::move(inputs)) {}
  const std::vector<std::string>& inputs() const noexcept { return inputs_; }

 private:
  std::vector<std::string> inputs_;
};

/// Builds a plan from a graph (consumed: the passes rewrite it).
/// Errors: InvalidArgument (options), ModelError (the graph), UnsupportedError
/// listing every node without a GPU lowering (or whose lowering refused) at
/// once, BuildTimeInputsError, NvrtcError (with the node's name and the log).
plan::Plan build(ir::Graph graph, const BuildOptions& options = {},
                 const ops::OpRegistry& registry = ops::OpRegistry::builtin());
/// The same; `*report` (when not null) gets what the graph passes did.
plan::Plan build(ir::Graph graph, const BuildOptions& options, const ops::OpRegistry& registry,
                 BuildReport* report);

/// Imports the ONNX file, then builds (`*report` as above).
plan::Plan build(const std::filesystem::path& onnx_path, const BuildOptions& options = {},
                 BuildReport* report = nullptr);

}  // namespace trtutils::builder
