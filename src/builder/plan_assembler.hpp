#pragma once
// The plan under construction: tensors (with the IR value each stands for),
// constants' host data, layers in execution order. Lowerings reach it
// through NodeLoweringContext; the builder's stages finish it.
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <string>
#include <vector>

#include "trtutils/ir/graph.hpp"
#include "trtutils/plan/plan.hpp"

namespace trtutils::builder {

class PlanAssembler {
 public:
  explicit PlanAssembler(plan::Precision precision);

  plan::Precision precision() const noexcept { return precision_; }
  /// The dtype a tensor of IR dtype `dtype` is stored in: f32 becomes f16 /
  /// bf16 in fp16 / bf16 builds; everything else stays.
  DType device_dtype(DType dtype) const noexcept;

  /// Nodes computed in f32 whatever the build precision (BuildOptions::fp32_nodes).
  void set_fp32_nodes(std::set<const ir::Node*> nodes) { fp32_nodes_ = std::move(nodes); }
  bool is_fp32_node(const ir::Node* node) const { return node && fp32_nodes_.count(node) != 0; }
  /// The dtype of the tensor a value's producer writes: its IR dtype when the
  /// producer is an fp32 node, else device_dtype.
  DType value_dtype(const ir::Value& value) const;
  /// The value as a tensor of `dtype`: its own tensor when that has the
  /// dtype, else a converted copy made once (a cast layer after the value is
  /// written) and shared by every later reader wanting that dtype.
  plan::TensorId tensor_as(const ir::Value& value, DType dtype);
  /// Registers `id` as the value's copy in `id`'s dtype (a graph input's
  /// engine tensor stands for its f32 copy, so fp32 nodes read it uncast).
  void set_converted(const ir::Value* value, plan::TensorId id);
  /// Layers added from now on record this precision (fp32 nodes: kFloat32).
  void set_layer_precision(plan::Precision precision) { layer_precision_ = precision; }

  /// A new tensor; `name` is made unique.
  plan::TensorId add_tensor(const std::string& name, DType dtype, const Shape& dims,
                            plan::TensorKind kind);
  /// A constant tensor holding `value` converted to device_dtype(value.dtype());
  /// identical constants (dtype, shape, bytes) share one tensor.
  plan::TensorId add_constant(const std::string& name, const HostTensor& value);
  /// The same, stored in `dtype` (an fp32 node's weights keep f32).
  plan::TensorId add_constant(const std::string& name, const HostTensor& value, DType dtype);

  /// A graph output left unbound by bind_graph_io because its declared shape
  /// is not static (data-dependent): tensor_for makes it the kOutput tensor.
  void defer_graph_output(const ir::Value* value);
  /// The shape a value's tensor is allocated with: a constant's shape, the
  /// upper bound a lowering declared (set_upper_bound), else the static IR
  /// shape (UnsupportedError when it is not static).
  Shape static_shape(const ir::Value& value) const;
  /// A data-dependent output is allocated at `bound` rather than its declared
  /// shape; resizes its tensor when one is already bound (not yet written).
  void set_upper_bound(const ir::Value& value, const Shape& bound);
  /// Zero elements: never needs a layer to write it (nothing to allocate).
  bool is_empty(plan::TensorId id) const;

  /// The tensor standing for an IR value, when bound.
  std::optional<plan::TensorId> tensor_of(const ir::Value* value) const;
  void bind(const ir::Value* value, plan::TensorId id);
  /// The value's tensor: bound, or (for a constant value) its constant, or a
  /// new activation of the value's static shape and device dtype.
  plan::TensorId tensor_for(const ir::Value& value);

  /// Appends a layer (name made unique). Tensors in `inputs` must have been
  /// written (or be inputs/constants, or empty); `outputs` must not have been.
  void add_layer(plan::LayerDesc layer);
  /// An nvrtc.kernel layer's inputs/outputs from its tensor arguments: an
  /// argument already written is read, one not yet written is written here.
  void split_arguments(const std::vector<plan::TensorId>& tensors,
                       std::vector<plan::TensorId>& inputs,
                       std::vector<plan::TensorId>& outputs) const;
  bool written(plan::TensorId id) const;

  /// A generated kernel converting `from` into `to` (same element count).
  /// Nothing for empty tensors (here and in add_copy).
  void add_cast(const std::string& name, plan::TensorId from, plan::TensorId to);
  /// A "copy" layer (same dtype and size).
  void add_copy(const std::string& name, plan::TensorId from, plan::TensorId to);

  plan::Plan& plan() noexcept { return plan_; }
  const plan::Plan& plan() const noexcept { return plan_; }
  /// Host data of constant tensor `id` (device dtype).
  const HostTensor& constant_data(plan::TensorId id) const;

  /// Drops tensors no layer and no IO spec refers to, renumbering ids in
  /// layers and in nvrtc / dynamic-extent parameters.
  void remove_unused_tensors();
  /// Lays the constants into plan.weights (256-byte aligned).
  void pack_weights();

 private:
  std::string unique_tensor_name(const std::string& name);
  plan::Precision precision_;
  plan::Plan plan_;
  std::set<std::string> tensor_names_;
  std::set<std::string> layer_names_;
  std::map<const ir::Value*, plan::TensorId> bound_;
  std::map<const ir::Value*, Shape> upper_bounds_;
  std::set<const ir::Value*> deferred_outputs_;
  std::map<plan::TensorId, HostTensor> constants_;
  std::map<std::string, plan::TensorId> constant_by_content_;
  std::vector<bool> written_;
  std::set<const ir::Node*> fp32_nodes_;
  std::map<std::pair<const ir::Value*, DType>, plan::TensorId> converted_;
  plan::Precision layer_precision_;
};

}  // namespace trtutils::builder
