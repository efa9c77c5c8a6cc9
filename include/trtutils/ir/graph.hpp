#pragma once
// The graph IR: Values (typed, shaped edges, optionally constant) produced and
// consumed by Nodes, owned by a Graph. Knows nothing of CUDA or protobuf.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "trtutils/ir/attribute.hpp"
#include "trtutils/ir/dim.hpp"
#include "trtutils/tensor/dtype.hpp"
#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils::ir {

class Node;

class Value {
 public:
  explicit Value(std::string name) : name_(std::move(name)) {}

  const std::string& name() const noexcept { return name_; }
  DType dtype() const noexcept { return dtype_; }
  const MaybeShape& shape() const noexcept { return shape_; }
  void set_dtype(DType dtype) noexcept { dtype_ = dtype; }
  void set_shape(MaybeShape shape) { shape_ = std::move(shape); }

  /// Constant data (an initializer, a Constant node's output after folding,
  /// or anything constant folding computed). Setting it also sets dtype/shape.
  bool is_constant() const noexcept { return constant_.has_value(); }
  const HostTensor& constant() const;
  void set_constant(HostTensor tensor);
  void clear_constant() { constant_.reset(); }

  /// The node that computes this value; null for graph inputs and initializers.
  Node* producer() const noexcept { return producer_; }
  /// Nodes reading this value (a node appears once per input slot using it).
  const std::vector<Node*>& consumers() const noexcept { return consumers_; }

 private:
  friend class Graph;
  std::string name_;
  DType dtype_ = DType::kUndefined;
  MaybeShape shape_;
  std::optional<HostTensor> constant_;
  Node* producer_ = nullptr;
  std::vector<Node*> consumers_;
};

class Node {
 public:
  const std::string& name() const noexcept { return name_; }
  const std::string& op_type() const noexcept { return op_type_; }
  const std::string& domain() const noexcept { return domain_; }
  /// Inputs in ONNX order; an omitted optional input is nullptr.
  const std::vector<Value*>& inputs() const noexcept { return inputs_; }
  const std::vector<Value*>& outputs() const noexcept { return outputs_; }
  Value* input(std::size_t i) const noexcept { return i < inputs_.size() ? inputs_[i] : nullptr; }
  Value* output(std::size_t i) const noexcept { return i < outputs_.size() ? outputs_[i] : nullptr; }
  Attributes& attributes() noexcept { return attributes_; }
  const Attributes& attributes() const noexcept { return attributes_; }
  /// "Conv 'conv1'" — for error messages.
  std::string describe() const;

 private:
  friend class Graph;
  std::string name_;
  std::string op_type_;
  std::string domain_;
  std::vector<Value*> inputs_;
  std::vector<Value*> outputs_;
  Attributes attributes_;
};

class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  Graph(Graph&&) noexcept = default;
  Graph& operator=(Graph&&) noexcept = default;

  std::string name;
  /// domain ("" = ai.onnx) -> opset version.
  std::map<std::string, std::int64_t> opset_imports;
  std::int64_t opset() const;  // the default domain's version (0 if none)

  /// Creates a value; throws ModelError if the name is taken (names are SSA).
  Value* add_value(const std::string& name);
  Value* find_value(const std::string& name) const;
  /// A value with a fresh name derived from `hint`.
  Value* add_unique_value(const std::string& hint);

  Node* add_node(std::string op_type, std::string name, std::vector<Value*> inputs,
                 std::vector<Value*> outputs, Attributes attributes = {},
                 std::string domain = {});
  /// Removes a node; its outputs stay (producer cleared) unless unused.
  void remove_node(Node* node);
  void set_node_input(Node* node, std::size_t slot, Value* value);
  /// Every use of `from` (node inputs and graph outputs) now reads `to`.
  void replace_all_uses(Value* from, Value* to);
  /// Drops values no node, graph input or output refers to.
  void remove_unused_values();

  std::vector<Value*>& inputs() noexcept { return inputs_; }
  const std::vector<Value*>& inputs() const noexcept { return inputs_; }
  std::vector<Value*>& outputs() noexcept { return outputs_; }
  const std::vector<Value*>& outputs() const noexcept { return outputs_; }

  /// Nodes in their current order (topological after topological_sort()).
  std::vector<Node*> nodes() const;
  std::vector<Value*> values() const;
  std::size_t node_count() const noexcept { return nodes_.size(); }

  /// Orders nodes so producers come before consumers; throws ModelError
  /// naming the nodes on a cycle.
  void topological_sort();
  /// Checks SSA, that every input has a producer, is a graph input or a
  /// constant, and that the order is topological. Throws ModelError listing
  /// every problem found.
  void validate() const;
  /// Readable listing of inputs, outputs and nodes with dtypes and shapes.
  std::string dump() const;

 private:
  std::vector<std::unique_ptr<Value>> values_;
  std::map<std::string, Value*> values_by_name_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<Value*> inputs_;
  std::vector<Value*> outputs_;
  std::int64_t unique_counter_ = 0;
};

}  // namespace trtutils::ir
