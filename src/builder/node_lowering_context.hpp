#pragma once
// The builder's LoweringContext for one node: hands the lowering the node's
// tensors (device dtypes, static shapes), and turns what it emits into plan
// layers and tensors in the PlanAssembler.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "builder/plan_assembler.hpp"
#include "trtutils/ops/gpu_lowering.hpp"

namespace trtutils::builder {

class NodeLoweringContext final : public ops::LoweringContext {
 public:
  /// `dynamic_values`: values with a data-dependent extent so far (read to
  /// refuse consumers, extended by set_dynamic_extent).
  NodeLoweringContext(const ir::Node& node, std::int64_t opset, PlanAssembler& assembler,
                      std::set<const ir::Value*>& dynamic_values);

  const ir::Node& node() const override { return node_; }
  std::int64_t opset() const override { return opset_; }
  /// kFloat32 for a node kept in fp32 (BuildOptions::fp32_nodes), else the build's.
  plan::Precision precision() const override {
    return fp32_ ? plan::Precision::kFloat32 : assembler_.precision();
  }

  std::size_t input_count() const override { return node_.inputs().size(); }
  bool has_input(std::size_t i) const override { return node_.input(i) != nullptr; }
  ops::GpuTensor input(std::size_t i) const override;
  const HostTensor* input_constant(std::size_t i) const override;
  std::size_t output_count() const override { return node_.outputs().size(); }
  ops::GpuTensor output(std::size_t i) const override;

  ops::GpuTensor add_scratch(DType dtype, Shape shape) override;
  ops::GpuTensor add_constant(HostTensor value) override;

  void emit_kernel(const std::string& layer_name, ops::KernelLaunch launch) override;
  void emit_layer(const std::string& layer_name, const std::string& kernel,
                  std::vector<plan::TensorId> inputs, std::vector<plan::TensorId> outputs,
                  plan::LayerParams params) override;
  void alias_output(std::size_t output, std::size_t input) override;
  void set_output_upper_bound(std::size_t output, Shape upper_bound) override;
  void set_dynamic_extent(std::size_t output, const ops::GpuTensor& count,
                          std::size_t axis = 0) override;

  [[noreturn]] void fail(const std::string& message) const override;
  [[noreturn]] void unsupported(const std::string& message) const override;

  /// After the lowering returned: checks every present output was written or
  /// aliased (an empty output needs neither), and records dynamic extents on
  /// the node's last layer, indexed by that layer's outputs.
  void finish();

 private:
  std::string layer_name(const std::string& name) const;
  const ir::Node& node_;
  std::int64_t opset_;
  PlanAssembler& assembler_;
  std::set<const ir::Value*>& dynamic_values_;
  std::size_t first_layer_;
  bool fp32_;
  std::size_t scratch_count_ = 0;
  struct DynamicExtent {
    plan::TensorId count;
    std::size_t axis;
  };
  std::map<std::size_t, DynamicExtent> dynamic_extents_;
};

}  // namespace trtutils::builder
