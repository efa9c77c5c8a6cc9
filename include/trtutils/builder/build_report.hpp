#pragma once
// What the builder's graph passes did to a model (for `trtutils build`'s
// summary and for tests): counted by the passes themselves as they run.
namespace trtutils::builder {

struct BuildReport {
  int batchnorms_folded = 0;      ///< BatchNormalization folded into a Conv
  int epilogues_fused = 0;        ///< bias / activation absorbed by Conv, Gemm, MatMul
  int residuals_fused = 0;        ///< Add (+ activation) absorbed as a convolution's z
  int elementwise_chains = 0;     ///< groups of element-wise nodes made one kernel
  int convolutions_nhwc = 0;      ///< convolutions run channels-last
  int transposes_inserted = 0;    ///< layout conversions placed around them
  int transposes_removed = 0;     ///< conversions cancelled or turned into reshapes
  int transposes_left = 0;        ///< Transpose nodes in the graph that was lowered

  /// Rewrites that merged nodes (folds, epilogues, residuals, chains).
  int fusions() const noexcept {
    return batchnorms_folded + epilogues_fused + residuals_fused + elementwise_chains;
  }
};

}  // namespace trtutils::builder
