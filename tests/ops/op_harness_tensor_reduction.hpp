#pragma once
// Runs one op's shape rule or CPU reference on a one-node graph, for the
// tensor/reduction op tests.
#include <optional>
#include <string>
#include <vector>

#include "trtutils/ir/graph.hpp"
#include "trtutils/ops/registry.hpp"

namespace trtutils::ops::testing {

/// An omitted optional input.
inline HostTensor absent() { return {}; }

inline std::vector<HostTensor> run_op(const std::string& op, const std::vector<HostTensor>& inputs,
                                      ir::Attributes attributes = {}, std::int64_t opset = 17,
                                      std::size_t outputs = 1) {
  ir::Graph graph;
  std::vector<ir::Value*> in_values;
  std::vector<const HostTensor*> in_tensors;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].empty()) {
      in_values.push_back(nullptr);
      in_tensors.push_back(nullptr);
      continue;
    }
    ir::Value* v = graph.add_value("in" + std::to_string(i));
    v->set_dtype(inputs[i].dtype());
    v->set_shape(ir::from_static(inputs[i].shape()));
    in_values.push_back(v);
    in_tensors.push_back(&inputs[i]);
  }
  std::vector<ir::Value*> out_values;
  for (std::size_t i = 0; i < outputs; ++i) out_values.push_back(graph.add_value("out" + std::to_string(i)));
  ir::Node* node = graph.add_node(op, "node", in_values, out_values, std::move(attributes));
  const OpSchema* schema = OpRegistry::builtin().find(op);
  if (!schema) throw UnsupportedError("no op " + op);
  return schema->run_cpu(CpuContext(*node, opset, in_tensors));
}

/// An input to a shape rule: dtype and (partly known) shape, or constant data.
struct InferInput {
  DType dtype = DType::kUndefined;
  ir::MaybeShape shape;
  std::optional<HostTensor> constant;
  InferInput(DType d, ir::MaybeShape s) : dtype(d), shape(std::move(s)) {}
  InferInput(HostTensor c) : dtype(c.dtype()), shape(ir::from_static(c.shape())), constant(std::move(c)) {}  // NOLINT
};

struct InferResult {
  DType dtype;
  ir::MaybeShape shape;
  std::string text() const { return ir::to_string(shape); }
};

inline std::vector<InferResult> infer_op(const std::string& op, const std::vector<InferInput>& inputs,
                                         ir::Attributes attributes = {}, std::int64_t opset = 17,
                                         std::size_t outputs = 1) {
  ir::Graph graph;
  std::vector<ir::Value*> in_values;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    ir::Value* v = graph.add_value("in" + std::to_string(i));
    if (inputs[i].constant) {
      v->set_constant(*inputs[i].constant);
    } else {
      v->set_dtype(inputs[i].dtype);
      v->set_shape(inputs[i].shape);
    }
    in_values.push_back(v);
  }
  std::vector<ir::Value*> out_values;
  for (std::size_t i = 0; i < outputs; ++i) out_values.push_back(graph.add_value("out" + std::to_string(i)));
  ir::Node* node = graph.add_node(op, "node", in_values, out_values, std::move(attributes));
  const OpSchema* schema = OpRegistry::builtin().find(op);
  if (!schema) throw UnsupportedError("no op " + op);
  InferContext ctx(*node, opset);
  schema->infer(ctx);
  std::vector<InferResult> results;
  for (ir::Value* v : out_values) results.push_back({v->dtype(), v->shape()});
  return results;
}

inline ir::Attributes attrs(std::initializer_list<std::pair<const char*, ir::Attribute>> list) {
  ir::Attributes a;
  for (const auto& [name, value] : list) a.set(name, value);
  return a;
}

template <typename T>
HostTensor tensor(Shape shape, std::vector<T> values) {
  return HostTensor::from_values(std::move(shape), values);
}
inline HostTensor ints(std::vector<std::int64_t> values) {
  const auto n = static_cast<std::int64_t>(values.size());
  return HostTensor::from_values(Shape{n}, values);
}
inline HostTensor iota_f(Shape shape) {
  HostTensor t(std::move(shape), DType::kFloat32);
  auto v = t.values<float>();
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  return t;
}
template <typename T>
std::vector<T> values_of(const HostTensor& t) {
  const auto v = t.values<T>();
  return {v.begin(), v.end()};
}

}  // namespace trtutils::ops::testing
