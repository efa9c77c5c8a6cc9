#pragma once
// Fusion passes the builder runs on the IR before lowering (shapes inferred,
// constants folded). Each returns how many rewrites it made; the rewritten
// graph computes the same as before (the reference registry below runs it on
// the CPU). Attribute contract: fusion_attributes.hpp.
#include <map>
#include <memory>
#include <string>

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

/// CPU reference of the fused epilogue on an op's result: adds the MatMul
/// bias (when `bias` is given) then applies trtutils.activation.
void apply_fused_epilogue(const ir::Attributes& attributes, HostTensor& output,
                          const HostTensor* bias = nullptr);

/// `base` with Conv / ConvTranspose / Gemm / MatMul honouring the fusion
/// attributes and with trtutils.FusedElementwise running its sub-graph: the
/// CPU oracle for fused graphs.
ops::OpRegistry fused_reference_registry(const FusedSubgraphs& subgraphs,
                                         const ops::OpRegistry& base = ops::OpRegistry::builtin());

}  // namespace trtutils::builder
