#pragma once
// Running one node's CPU reference, shared by the reference executor and the
// constant-folding passes: the opset a node sees, exception messages that
// name the node, and the check that an op returned what its node declares.
#include <cstdint>
#include <vector>

#include "trtutils/ir/graph.hpp"
#include "trtutils/ops/op_schema.hpp"

namespace trtutils::ops {

/// The opset version of the node's domain in the graph ("" and "ai.onnx" are
/// the default domain); 0 when the graph does not import the domain.
std::int64_t opset_for(const ir::Graph& graph, const ir::Node& node);

/// Calls `body`; a trtutils::Error (or any std::exception) escaping it is
/// rethrown as the same trtutils type with the node's description in front,
/// unless the message already names the node. std::bad_alloc passes through.
template <typename Body>
decltype(auto) with_node_context(const ir::Node& node, Body&& body);

/// Runs `schema.run_cpu` on `inputs` (nullptr = omitted optional input) and
/// checks the result: between (last present output + 1) and the node's output
/// count tensors, and a non-empty tensor for every present output. Throws
/// ModelError naming the node otherwise.
std::vector<HostTensor> evaluate_node(const OpSchema& schema, const ir::Node& node,
                                      std::int64_t opset, std::vector<const HostTensor*> inputs);

/// Symbolic or unknown dims match any size; an unknown rank matches any rank.
bool shape_matches(const ir::MaybeShape& declared, const Shape& actual);

/// Throws ModelError naming the node when `tensor` (computed by the CPU
/// reference for output `index`) disagrees with the dtype/shape the value
/// carries (from the shape rule or the model's declaration).
void check_output_agrees(const ir::Node& node, std::size_t index, const HostTensor& tensor);

namespace evaluation_detail {
[[noreturn]] void rethrow_with_node(const ir::Node& node);
}  // namespace evaluation_detail

template <typename Body>
decltype(auto) with_node_context(const ir::Node& node, Body&& body) {
  try {
    return body();
  } catch (...) {
    evaluation_detail::rethrow_with_node(node);
  }
}

}  // namespace trtutils::ops
