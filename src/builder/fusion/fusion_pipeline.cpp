// The order of the builder's graph passes. Layout conversion comes after the
// epilogues (so each ConvNHWC carries its bias and activation) and before the
// residual fusion (which must see the residual Add in NHWC, after the
// transposes around it cancelled) and the element-wise chains (which would
// otherwise swallow the Add and the transposes' neighbours).
#include "trtutils/builder/fusion.hpp"

namespace trtutils::builder {

namespace {

int count_transposes(const ir::Graph& graph) {
  int n = 0;
  for (const ir::Node* node : graph.nodes()) n += node->op_type() == "Transpose" && node->domain().empty();
  return n;
}

}  // namespace

BuildReport run_fusion_passes(ir::Graph& graph, bool channels_last, FusedSubgraphs& subgraphs) {
  BuildReport report;
  report.batchnorms_folded = fold_batchnorm_into_conv(graph);
  report.epilogues_fused = fuse_epilogues(graph);
  if (channels_last) {
    const int before = count_transposes(graph);
    report.convolutions_nhwc = convert_convolutions_to_nhwc(graph);
    report.transposes_inserted = count_transposes(graph) - before;
    report.transposes_removed = optimize_transposes(graph);
  }
  report.residuals_fused = fuse_residual_adds(graph);
  report.elementwise_chains = fuse_elementwise_chains(graph, subgraphs);
  report.transposes_left = count_transposes(graph);
  return report;
}

}  // namespace trtutils::builder
