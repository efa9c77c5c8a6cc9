#pragma once
// What the library knows about one operator: its shape/dtype rule and its
// CPU reference implementation, registered once (see registry.hpp). GPU
// implementations join the same place later.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "trtutils/ir/graph.hpp"

namespace trtutils::ops {

/// Handed to an op's shape rule: the node's input types/shapes/constant data,
/// and where to put the output types/shapes.
class InferContext {
 public:
  InferContext(ir::Node& node, std::int64_t opset) : node_(node), opset_(opset) {}

  const ir::Node& node() const noexcept { return node_; }
  std::int64_t opset() const noexcept { return opset_; }
  const ir::Attributes& attributes() const noexcept { return node_.attributes(); }

  std::size_t input_count() const noexcept { return node_.inputs().size(); }
  /// False for an omitted optional input (empty name in ONNX) or i >= count.
  bool has_input(std::size_t i) const noexcept { return node_.input(i) != nullptr; }
  DType input_dtype(std::size_t i) const;
  const ir::MaybeShape& input_shape(std::size_t i) const;
  /// Constant data of input i, or nullptr when it is not known at build time.
  const HostTensor* input_constant(std::size_t i) const;

  std::size_t output_count() const noexcept { return node_.outputs().size(); }
  void set_output(std::size_t i, DType dtype, ir::MaybeShape shape);
  /// Output i is known at build time (e.g. Shape of a static input): sets its
  /// dtype, shape and data.
  void set_output_constant(std::size_t i, HostTensor value);

  /// Throws ModelError / UnsupportedError prefixed with the node's description.
  [[noreturn]] void fail(const std::string& message) const;
  [[noreturn]] void unsupported(const std::string& message) const;

 private:
  ir::Node& node_;
  std::int64_t opset_;
};

/// Handed to an op's CPU reference: concrete input tensors.
class CpuContext {
 public:
  CpuContext(const ir::Node& node, std::int64_t opset, std::vector<const HostTensor*> inputs)
      : node_(node), opset_(opset), inputs_(std::move(inputs)) {}

  const ir::Node& node() const noexcept { return node_; }
  std::int64_t opset() const noexcept { return opset_; }
  const ir::Attributes& attributes() const noexcept { return node_.attributes(); }
  std::size_t input_count() const noexcept { return inputs_.size(); }
  bool has_input(std::size_t i) const noexcept { return i < inputs_.size() && inputs_[i]; }
  /// Throws ModelError naming the node when input i is absent.
  const HostTensor& input(std::size_t i) const;
  std::size_t output_count() const noexcept { return node_.outputs().size(); }

  [[noreturn]] void fail(const std::string& message) const;
  [[noreturn]] void unsupported(const std::string& message) const;

 private:
  const ir::Node& node_;
  std::int64_t opset_;
  std::vector<const HostTensor*> inputs_;
};

using InferFn = std::function<void(InferContext&)>;
using CpuFn = std::function<std::vector<HostTensor>(const CpuContext&)>;

class LoweringContext;
using GpuLowerFn = std::function<void(LoweringContext&)>;

struct OpSchema {
  std::string op_type;
  std::string domain;  // "" = the default ONNX domain
  InferFn infer;
  CpuFn run_cpu;
  /// How the op runs in the GPU engine (ops/gpu_lowering.hpp); empty until
  /// the op has a GPU implementation.
  GpuLowerFn lower_gpu = {};
};

}  // namespace trtutils::ops
