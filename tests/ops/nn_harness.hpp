#pragma once
// Runs one nn-family op on a one-node graph for the nn op tests: the CPU
// reference (after checking that the shape rule predicts its outputs) and the
// shape rule alone on partly symbolic shapes.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "trtutils/ir/graph.hpp"
#include "trtutils/ops/registry.hpp"

namespace trtutils::ops::nn_testing {

template <typename T>
HostTensor tensor(Shape shape, std::vector<T> values) {
  return HostTensor::from_values(std::move(shape), values);
}
inline HostTensor floats(Shape shape, std::vector<float> values) {
  return tensor(std::move(shape), std::move(values));
}
/// 0, 1, 2, ... as f32.
inline HostTensor iota(Shape shape) {
  std::vector<float> v(static_cast<std::size_t>(element_count(shape)));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  return floats(std::move(shape), v);
}

struct NodeSpec {
  NodeSpec(std::string op_type, std::vector<HostTensor> input_tensors, ir::Attributes attrs = {},
           std::int64_t opset_version = 17, std::size_t output_count = 1)
      : op(std::move(op_type)),
        inputs(std::move(input_tensors)),
        attributes(std::move(attrs)),
        opset(opset_version),
        outputs(output_count) {}
  std::string op;
  std::vector<HostTensor> inputs;  // empty HostTensor = omitted optional input
  ir::Attributes attributes;
  std::int64_t opset = 17;
  std::size_t outputs = 1;
};

inline const OpSchema& schema_of(const std::string& op) {
  const OpSchema* schema = OpRegistry::builtin().find(op);
  if (!schema) throw UnsupportedError("op " + op + " is not registered");
  return *schema;
}

/// Runs the shape rule on the inputs' shapes, then the CPU reference, and
/// checks they agree on every output's dtype and shape.
inline std::vector<HostTensor> run(const NodeSpec& spec) {
  ir::Graph graph;
  std::vector<ir::Value*> in_values;
  std::vector<const HostTensor*> in_tensors;
  for (std::size_t i = 0; i < spec.inputs.size(); ++i) {
    if (spec.inputs[i].empty()) {
      in_values.push_back(nullptr);
      in_tensors.push_back(nullptr);
      continue;
    }
    ir::Value* v = graph.add_value("in" + std::to_string(i));
    v->set_dtype(spec.inputs[i].dtype());
    v->set_shape(ir::from_static(spec.inputs[i].shape()));
    in_values.push_back(v);
    in_tensors.push_back(&spec.inputs[i]);
  }
  std::vector<ir::Value*> out_values;
  for (std::size_t i = 0; i < spec.outputs; ++i) {
    out_values.push_back(graph.add_value("out" + std::to_string(i)));
  }
  ir::Node* node = graph.add_node(spec.op, "node", in_values, out_values, spec.attributes);
  const OpSchema& schema = schema_of(spec.op);
  InferContext infer(*node, spec.opset);
  schema.infer(infer);
  std::vector<HostTensor> results = schema.run_cpu(CpuContext(*node, spec.opset, in_tensors));
  EXPECT_EQ(results.size(), spec.outputs);
  for (std::size_t i = 0; i < results.size() && i < out_values.size(); ++i) {
    EXPECT_EQ(out_values[i]->dtype(), results[i].dtype()) << "output " << i;
    EXPECT_EQ(ir::to_string(out_values[i]->shape()), shape_to_string(results[i].shape()))
        << "output " << i;
  }
  return results;
}

/// The shape rule alone; returns each output's shape as text ("[N, 8, ?, 16]").
inline std::vector<std::string> infer(const std::string& op,
                                      const std::vector<ir::MaybeShape>& shapes,
                                      ir::Attributes attributes = {}, std::int64_t opset = 17,
                                      std::size_t outputs = 1) {
  ir::Graph graph;
  std::vector<ir::Value*> in_values;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    ir::Value* v = graph.add_value("in" + std::to_string(i));
    v->set_dtype(DType::kFloat32);
    v->set_shape(shapes[i]);
    in_values.push_back(v);
  }
  std::vector<ir::Value*> out_values;
  for (std::size_t i = 0; i < outputs; ++i)
    out_values.push_back(graph.add_value("out" + std::to_string(i)));
  ir::Node* node = graph.add_node(op, "node", in_values, out_values, std::move(attributes));
  InferContext ctx(*node, opset);
  schema_of(op).infer(ctx);
  std::vector<std::string> texts;
  for (ir::Value* v : out_values) texts.push_back(ir::to_string(v->shape()));
  return texts;
}

inline ir::Dim sym(const std::string& name) { return ir::Dim::symbolic(name); }

inline std::vector<double> values_of(const HostTensor& t) {
  std::vector<double> v;
  for (std::int64_t i = 0; i < t.element_count(); ++i) v.push_back(element_as_double(t.view(), i));
  return v;
}

/// Element-wise comparison with an absolute tolerance.
inline void expect_values(const HostTensor& actual, Shape shape,
                          const std::vector<double>& expected, double tolerance = 1e-5) {
  ASSERT_EQ(actual.shape(), shape);
  const std::vector<double> got = values_of(actual);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], expected[i], tolerance) << "element " << i;
  }
}

inline ir::Attributes attrs(std::initializer_list<std::pair<std::string, ir::Attribute>> list) {
  ir::Attributes a;
  for (const auto& [name, value] : list) a.set(name, value);
  return a;
}
using Ints = std::vector<std::int64_t>;

}  // namespace trtutils::ops::nn_testing
