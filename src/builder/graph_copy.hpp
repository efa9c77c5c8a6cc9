#pragma once
// A deep copy of an IR graph (Graph is move-only: the passes rewrite it in
// place), for building the same model several times, once per batch bucket.
#include "trtutils/ir/graph.hpp"

namespace trtutils::builder {

/// Same values (names, dtypes, shapes, constants), nodes in the same order
/// with their attributes, inputs, outputs, name and opset imports.
ir::Graph copy_graph(const ir::Graph& graph);

}  // namespace trtutils::builder
