#pragma once
// The two build paths: one static plan (builder.cpp), and a dynamic batch
// built as one static plan per batch bucket, merged (batch_build.cpp).
#include <set>
#include <string>

#include "trtutils/builder/build_options.hpp"
#include "trtutils/builder/build_report.hpp"
#include "trtutils/ir/graph.hpp"
#include "trtutils/ops/registry.hpp"
#include "trtutils/plan/plan.hpp"

namespace trtutils::builder {

/// The whole pipeline for one batch size (options.batch->opt when given).
/// `report` (may be null) receives the fusion counts.
plan::Plan build_for_one_batch(ir::Graph graph, const BuildOptions& options,
                               const ops::OpRegistry& registry, BuildReport* report);

/// Graph inputs whose axis 0 is not static and that constant_inputs does not
/// fix: the inputs a batch profile applies to.
std::set<std::string> batched_graph_inputs(const ir::Graph& graph, const BuildOptions& options);

}  // namespace trtutils::builder
