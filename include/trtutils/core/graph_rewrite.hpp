#pragma once
// Rewrites of a recorded graph that keep what it computes and change what its
// launch costs.
//
// Memset nodes to kernel nodes. Why: on an H100 (driver 580) a straight line of kernel nodes
// launches in a few microseconds whatever its length, while each memset node
// in it adds about 2-3 us to cudaGraphLaunch (bench/results: resnet50 at
// batch 32, 8 memset nodes, 15.5 us; vit_b_16, 26 memset nodes, 77 us).
// cuBLASLt and cuDNN record those memsets themselves (zeroing split-K or
// semaphore workspace), so they cannot be avoided at the call site.
#include <cstddef>

#include "trtutils/core/cuda_graph.hpp"

namespace trtutils::core {

/// Replaces every memset node of `graph` (1-, 2- or 4-byte elements, 1-D or
/// pitched 2-D) with a kernel node writing the same value to the same bytes,
/// linked to the same dependencies and dependents with the same edge types.
/// Returns how many it replaced (0 for an empty graph or one without
/// memsets, which is left untouched). The fill kernel is compiled once per
/// architecture and process and stays loaded for the process's lifetime,
/// since the rewritten graph refers to it.
std::size_t replace_memset_nodes(CudaGraph& graph);

/// Turns every programmatic-dependent-launch edge (a kernel may start while
/// the one before it finishes) into a full dependency. Always safe: a kernel
/// waiting in griddepcontrol.wait finds its predecessor already complete.
/// What it trades: graphs with programmatic edges cost more host time per
/// cudaGraphLaunch, while the overlap they allow saves GPU time. Returns how
/// many edges it changed.
std::size_t make_programmatic_edges_full(CudaGraph& graph);

/// A deep copy of `graph` (cudaGraphClone); an empty graph copies as empty.
CudaGraph clone_graph(const CudaGraph& graph);

}  // namespace trtutils::core
