#pragma once
// The CPU reference executor: runs a graph node by node with each op's plain
// CPU implementation. The oracle for GPU tests, the engine behind
// `trtutils compare`, and what runs where there is no GPU. Not optimised.
#include <map>
#include <string>

#include "trtutils/ir/graph.hpp"
#include "trtutils/ops/registry.hpp"

namespace trtutils::ops {

using TensorMap = std::map<std::string, HostTensor>;

class ReferenceExecutor {
 public:
  /// The graph must outlive the executor. Throws UnsupportedError listing
  /// every node whose op is not in the registry.
  explicit ReferenceExecutor(const ir::Graph& graph,
                             const OpRegistry& registry = OpRegistry::builtin());

  /// Runs the graph. `inputs` must hold every non-constant graph input with
  /// the declared dtype and a shape compatible with the declared one (symbolic
  /// dims match anything); otherwise InvalidArgument says which and why.
  /// Returns the graph outputs by name.
  TensorMap run(const TensorMap& inputs) const;

 private:
  const ir::Graph& graph_;
  const OpRegistry& registry_;
};

}  // namespace trtutils::ops
