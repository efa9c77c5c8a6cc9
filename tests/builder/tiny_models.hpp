#pragma once
// Deterministic test data and a tiny CNN shared by the builder tests
// (dynamic_batch_test, dynamic_batch_gpu_test, engine_gpu_test), so that the
// static and the dynamic-batch engine tests build the very same model.
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "trtutils/ir/graph.hpp"
#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils::builder::test_models {

/// f32 values sin(offset + 0.37 i) * scale: of both signs, no plateaus.
inline HostTensor ramp(Shape shape, float scale, float offset) {
  HostTensor t(shape, DType::kFloat32);
  float v = offset;
  for (float& x : t.values<float>()) {
    x = std::sin(v) * scale;
    v += 0.37f;
  }
  return t;
}

/// Conv (3 -> 4, 3x3, pads 1) -> Relu -> GlobalAveragePool -> Flatten -> Gemm
/// (4 -> 5) on input "image" [batch, 3, 8, 8], output "Gemm_out": one layer
/// each for cuDNN, NVRTC and cuBLASLt.
inline ir::Graph conv_relu_gemm(ir::Dim batch) {
  ir::Graph g;
  g.opset_imports[""] = 17;
  ir::Value* x = g.add_value("image");
  x->set_dtype(DType::kFloat32);
  x->set_shape(ir::DimList{std::move(batch), 3, 8, 8});
  g.inputs().push_back(x);
  const auto constant = [&](const char* name, HostTensor t) {
    ir::Value* v = g.add_value(name);
    v->set_constant(std::move(t));
    return v;
  };
  const auto node = [&](const char* op, std::vector<ir::Value*> ins, ir::Attributes a = {}) {
    ir::Value* out = g.add_value(std::string(op) + "_out");
    g.add_node(op, op, std::move(ins), {out}, std::move(a));
    return out;
  };
  ir::Attributes conv;
  conv.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  ir::Value* y =
      node("Conv",
           {x, constant("w", ramp({4, 3, 3, 3}, 0.4f, 0.1f)), constant("b", ramp({4}, 0.1f, 0.7f))},
           conv);
  y = node("Relu", {y});
  y = node("GlobalAveragePool", {y});
  y = node("Flatten", {y});
  ir::Attributes gemm;
  gemm.set("transB", std::int64_t{1});
  g.outputs().push_back(
      node("Gemm",
           {y, constant("fc", ramp({5, 4}, 0.6f, 0.3f)), constant("fc_b", ramp({5}, 0.2f, 1.1f))},
           gemm));
  return g;
}

}  // namespace trtutils::builder::test_models
