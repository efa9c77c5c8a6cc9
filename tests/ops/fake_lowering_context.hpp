#pragma once
// A LoweringContext for tests: lowers one node without the builder and
// records everything the lowering emits (kernels, library layers, aliases,
// scratch tensors, constants, dynamic extents) in order. CUDA-free.
//
//   ir::Node* node = ...;  // values with dtype and static shape set
//   testing::FakeLoweringContext ctx(*node, 17, plan::Precision::kFloat16);
//   schema.lower_gpu(ctx);
//   ctx.layers()[0].launch->source ...
//
// Tensor ids are handed out in order: present inputs, present outputs, then
// scratch tensors and constants as created (absent ones stay kAbsentTensor). Storage
// dtypes follow the engine contract: in fp16/bf16 builds f32 tensors are
// stored as f16/bf16 unless listed in `keep_dtype` (graph inputs/outputs).
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "trtutils/core/error.hpp"
#include "trtutils/ops/gpu_lowering.hpp"

namespace trtutils::testing {

/// One emitted layer, in emission order.
struct EmittedLayer {
  std::string name;
  std::string kernel;  // plan::layer_kinds::kNvrtcKernel for emit_kernel
  std::optional<ops::KernelLaunch> launch;  // set for nvrtc kernels
  std::vector<plan::TensorId> inputs;       // kernels: every tensor argument
  std::vector<plan::TensorId> outputs;
  plan::LayerParams params;
};

class FakeLoweringContext : public ops::LoweringContext {
 public:
  FakeLoweringContext(const ir::Node& node, std::int64_t opset,
                      plan::Precision precision = plan::Precision::kFloat32,
                      std::set<const ir::Value*> keep_dtype = {})
      : node_(node), opset_(opset), precision_(precision), keep_dtype_(std::move(keep_dtype)) {
    for (const ir::Value* v : node.inputs()) inputs_.push_back(make_tensor(v));
    for (const ir::Value* v : node.outputs()) outputs_.push_back(make_tensor(v));
  }

  /// The dtype a tensor of IR dtype `dtype` is stored in under `precision`.
  static DType storage_dtype(DType dtype, plan::Precision precision) {
    if (dtype != DType::kFloat32) return dtype;
    if (precision == plan::Precision::kFloat16) return DType::kFloat16;
    if (precision == plan::Precision::kBFloat16) return DType::kBFloat16;
    return dtype;
  }

  // --- LoweringContext ------------------------------------------------------
  const ir::Node& node() const override { return node_; }
  std::int64_t opset() const override { return opset_; }
  plan::Precision precision() const override { return precision_; }
  std::size_t input_count() const override { return inputs_.size(); }
  bool has_input(std::size_t i) const override {
    return i < inputs_.size() && inputs_[i].present();
  }
  ops::GpuTensor input(std::size_t i) const override {
    TRTUTILS_CHECK(i < inputs_.size(), "input ", i, " of ", inputs_.size());
    return inputs_[i];
  }
  const HostTensor* input_constant(std::size_t i) const override {
    const ir::Value* v = node_.input(i);
    return v && v->is_constant() ? &v->constant() : nullptr;
  }
  std::size_t output_count() const override { return outputs_.size(); }
  ops::GpuTensor output(std::size_t i) const override {
    TRTUTILS_CHECK(i < outputs_.size(), "output ", i, " of ", outputs_.size());
    return outputs_[i];
  }
  ops::GpuTensor add_scratch(DType dtype, Shape shape) override {
    ops::GpuTensor t{next_id_++, dtype, std::move(shape)};
    scratch_.push_back(t);
    return t;
  }
  ops::GpuTensor add_constant(HostTensor value) override {
    ops::GpuTensor t{next_id_++, value.dtype(), value.shape()};
    constants_.emplace_back(t, std::move(value));
    return t;
  }
  void emit_kernel(const std::string& layer_name, ops::KernelLaunch launch) override {
    EmittedLayer layer;
    layer.name = layer_name;
    layer.kernel = plan::layer_kinds::kNvrtcKernel;
    for (const ops::KernelArgument& a : launch.arguments) {
      if (a.kind == ops::KernelArgument::Kind::kTensor) layer.inputs.push_back(a.tensor);
    }
    layer.launch = std::move(launch);
    layers_.push_back(std::move(layer));
  }
  void emit_layer(const std::string& layer_name, const std::string& kernel,
                  std::vector<plan::TensorId> inputs, std::vector<plan::TensorId> outputs,
                  plan::LayerParams params) override {
    layers_.push_back(
        EmittedLayer{layer_name, kernel, std::nullopt, std::move(inputs), std::move(outputs),
                     std::move(params)});
  }
  void alias_output(std::size_t output, std::size_t input) override {
    aliases_.emplace_back(output, input);
  }
  void set_dynamic_extent(std::size_t output, const ops::GpuTensor& count,
                          std::size_t axis = 0) override {
    dynamic_extent_axes_[output] = axis;
    dynamic_extents_[output] = count;
  }
  [[noreturn]] void fail(const std::string& message) const override {
    throw ModelError(node_.describe() + ": " + message);
  }
  [[noreturn]] void unsupported(const std::string& message) const override {
    throw UnsupportedError(node_.describe() + ": " + message);
  }

  // --- What was recorded ----------------------------------------------------
  const std::vector<EmittedLayer>& layers() const noexcept { return layers_; }
  /// The nvrtc launches alone, in order.
  std::vector<ops::KernelLaunch> launches() const {
    std::vector<ops::KernelLaunch> out;
    for (const EmittedLayer& l : layers_) {
      if (l.launch) out.push_back(*l.launch);
    }
    return out;
  }
  const std::vector<std::pair<std::size_t, std::size_t>>& aliases() const noexcept {
    return aliases_;
  }
  const std::vector<ops::GpuTensor>& scratch() const noexcept { return scratch_; }
  const std::vector<std::pair<ops::GpuTensor, HostTensor>>& constants() const noexcept {
    return constants_;
  }
  const std::map<std::size_t, ops::GpuTensor>& dynamic_extents() const noexcept {
    return dynamic_extents_;
  }
  const std::map<std::size_t, std::size_t>& dynamic_extent_axes() const noexcept {
    return dynamic_extent_axes_;
  }
  const std::vector<ops::GpuTensor>& inputs() const noexcept { return inputs_; }
  const std::vector<ops::GpuTensor>& outputs() const noexcept { return outputs_; }

 private:
  ops::GpuTensor make_tensor(const ir::Value* v) {
    if (!v) return {};
    TRTUTILS_CHECK(ir::is_static(v->shape()), "FakeLoweringContext: value '",
                   v->name(), "' needs a static shape (run the shape rule first)");
    const DType dtype =
        keep_dtype_.count(v) ? v->dtype() : storage_dtype(v->dtype(), precision_);
    return ops::GpuTensor{next_id_++, dtype, ir::to_static(*v->shape())};
  }

  const ir::Node& node_;
  std::int64_t opset_;
  plan::Precision precision_;
  std::set<const ir::Value*> keep_dtype_;
  plan::TensorId next_id_ = 0;
  std::vector<ops::GpuTensor> inputs_;
  std::vector<ops::GpuTensor> outputs_;
  std::vector<ops::GpuTensor> scratch_;
  std::vector<std::pair<ops::GpuTensor, HostTensor>> constants_;
  std::vector<EmittedLayer> layers_;
  std::vector<std::pair<std::size_t, std::size_t>> aliases_;
  std::map<std::size_t, ops::GpuTensor> dynamic_extents_;
  std::map<std::size_t, std::size_t> dynamic_extent_axes_;
};

}  // namespace trtutils::testing
