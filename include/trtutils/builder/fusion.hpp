#pragma once
// Fusion passes the builder runs on the IR before lowering (shapes inferred,
// constants folded). Each returns how many rewrites it made; the rewritten
// graph computes the same as before (the reference registry below runs it on
// the CPU). Attribute contract: fusion_attributes.hpp.
#include <map>
#include <memory>
#include <string>

#include "trtutils/builder/build_report.hpp"
#include "trtutils/builder/fusion_attributes.hpp"
#include "trtutils/ir/graph.hpp"
#include "trtutils/ops/registry.hpp"

namespace trtutils::builder {

/// Conv -> BatchNormalization (inference form, constant weights and
/// statistics, the conv output read by nothing else) becomes one Conv with
/// rewritten weights and bias.
int fold_batchnorm_into_conv(ir::Graph& graph);

/// Conv / Gemm / MatMul followed by a constant bias Add and/or an activation
/// (Relu, Sigmoid, Tanh, constant Clip, LeakyRelu, HardSwish, the SiLU
/// pattern x * Sigmoid(x), the exact GELU pattern with Erf) absorb them:
/// the bias into the op's own bias input (MatMul: input 2 + trtutils.bias),
/// the activation into trtutils.activation. Intermediate values must have one
/// consumer and not be graph outputs.
int fuse_epilogues(ir::Graph& graph);

/// Every 2-D Conv with static shapes, a float dtype and constant weights
/// becomes Transpose(to NHWC) -> trtutils.ConvNHWC (weights re-laid out
/// KRSC, attributes kept) -> Transpose(to NCHW). Returns how many.
int convert_convolutions_to_nhwc(ir::Graph& graph);

/// Cancels inverse Transpose pairs and moves Transposes through
/// layout-agnostic ops (element-wise ops with transposed, constant or
/// all-ones operands; Concat, Split, Slice; Resize nearest; GlobalAverage/
/// MaxPool become ReduceMean/Max) so that they meet and cancel; a Transpose
/// that only moves extent-1 axes becomes a Reshape. Returns how many
/// Transposes fewer the graph has.
int optimize_transposes(ir::Graph& graph);

/// Add(conv_out, z) where conv_out (of a Conv or ConvNHWC without an
/// activation) is read only by the Add, z of the same shape and dtype:
/// z becomes the convolution's input 3 (Conv: trtutils.residual = 1) and a
/// following single activation node its trtutils.activation.
int fuse_residual_adds(ir::Graph& graph);

/// The element-wise sub-graph each "trtutils.FusedElementwise" node stands
/// for, by node name. Sub-graph inputs are the fused node's inputs in order
/// (named "in0", "in1", ...), its single output the node's output.
struct FusedSubgraphs {
  std::map<std::string, std::shared_ptr<const ir::Graph>> by_node;
};

/// Groups of two or more connected element-wise nodes (ops with a GPU
/// expression, ops/elementwise/gpu_expressions.hpp) with static shapes, whose
/// internal values are read only inside the group and are not graph outputs,
/// become one FusedElementwise node each (one generated kernel).
int fuse_elementwise_chains(ir::Graph& graph, FusedSubgraphs& subgraphs);

/// The builder's pass sequence: BatchNorm folding, epilogues, (channels_last:
/// NHWC conversion and transpose optimisation), residual adds, element-wise
/// chains. Returns the counts (transposes_left counts the final graph).
BuildReport run_fusion_passes(ir::Graph& graph, bool channels_last, FusedSubgraphs& subgraphs);

/// CPU reference of the fused epilogue on an op's result: adds the MatMul
/// bias (when `bias` is given) and the residual (when `residual` is given),
/// then applies trtutils.activation.
void apply_fused_epilogue(const ir::Attributes& attributes, HostTensor& output,
                          const HostTensor* bias = nullptr, const HostTensor* residual = nullptr);

/// `base` with Conv / ConvTranspose / Gemm / MatMul honouring the fusion
/// attributes and with trtutils.FusedElementwise running its sub-graph: the
/// CPU oracle for fused graphs.
ops::OpRegistry fused_reference_registry(const FusedSubgraphs& subgraphs,
                                         const ops::OpRegistry& base = ops::OpRegistry::builtin());

}  // namespace trtutils::builder
