#pragma once
// Small ONNX models written with the ONNX protobuf API, for CLI tests that
// need more than the single-node backend models: a fusable element-wise chain
// and a model with an op nobody implements.
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace trtutils::testing {

inline void write_model(const onnx::ModelProto& model, const std::filesystem::path& path) {
  std::ofstream out(path, std::ios::binary);
  out << model.SerializeAsString();
}

inline onnx::ModelProto model_with_io(const std::string& name,
                                      const std::vector<std::int64_t>& dims) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("trtutils-cli-test");
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(14);
  model.mutable_graph()->set_name(name);
  for (const char* io : {"x", "y"}) {
    auto* value = std::string(io) == "x" ? model.mutable_graph()->add_input()
                                         : model.mutable_graph()->add_output();
    value->set_name(io);
    auto* type = value->mutable_type()->mutable_tensor_type();
    type->set_elem_type(onnx::TensorProto::FLOAT);
    for (const std::int64_t d : dims) type->mutable_shape()->add_dim()->set_dim_value(d);
  }
  return model;
}

inline void add_node(onnx::ModelProto& model, const std::string& op, const std::string& name,
                     const std::vector<std::string>& inputs, const std::string& output,
                     const std::string& domain = {}) {
  auto* node = model.mutable_graph()->add_node();
  node->set_op_type(op);
  node->set_name(name);
  node->set_domain(domain);
  for (const std::string& input : inputs) node->add_input(input);
  node->add_output(output);
}

/// y = Relu(x + c), x: f32 [2, 8], c: f32 [8] = 0.5 * (i - 4): two connected
/// element-wise nodes that the builder fuses into one kernel.
inline void write_add_relu_model(const std::filesystem::path& path) {
  onnx::ModelProto model = model_with_io("add_relu", {2, 8});
  onnx::TensorProto* c = model.mutable_graph()->add_initializer();
  c->set_name("c");
  c->set_data_type(onnx::TensorProto::FLOAT);
  c->add_dims(8);
  std::vector<float> values;
  for (int i = 0; i < 8; ++i) values.push_back(0.5f * static_cast<float>(i - 4));
  c->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * 4));
  add_node(model, "Add", "add", {"x", "c"}, "sum");
  add_node(model, "Relu", "relu", {"sum"}, "y");
  write_model(model, path);
}

/// The same Relu(x + c) with a dynamic batch: x and y are f32 ["n", 8].
inline void write_dynamic_add_relu_model(const std::filesystem::path& path) {
  write_add_relu_model(path);
  onnx::ModelProto model;
  std::ifstream in(path, std::ios::binary);
  model.ParseFromIstream(&in);
  in.close();
  model.mutable_graph()
      ->mutable_input(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(0)
      ->set_dim_param("n");
  model.mutable_graph()
      ->mutable_output(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(0)
      ->set_dim_param("n");
  write_model(model, path);
}

/// y = com.example.Frobnicate(x): an op no registry knows.
inline void write_unknown_op_model(const std::filesystem::path& path) {
  onnx::ModelProto model = model_with_io("unknown_op", {4});
  auto* opset = model.add_opset_import();
  opset->set_domain("com.example");
  opset->set_version(1);
  add_node(model, "Frobnicate", "frob", {"x"}, "y", "com.example");
  write_model(model, path);
}

}  // namespace trtutils::testing
