#pragma once
// Small CNN blocks for the layout tests (CPU: layout_test, GPU:
// layout_gpu_test): a ResNet basic block, YOLOv8's C2f, a depthwise block and
// a classifier head, with deterministic weights.
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "trtutils/ir/graph.hpp"
#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils::builder::test_blocks {

using Make = std::function<void(ir::Graph&)>;

inline HostTensor ramp(Shape shape, float scale, float offset) {
  HostTensor t(shape, DType::kFloat32);
  float v = offset;
  for (float& x : t.values<float>()) {
    x = std::sin(v * 1.3f) * scale;
    v += 0.61f;
  }
  return t;
}

class GraphMaker {
 public:
  explicit GraphMaker(ir::Graph& g) : g_(g) {}

  ir::Value* input(const std::string& name, const Shape& shape) {
    ir::Value* v = g_.add_value(name);
    v->set_dtype(DType::kFloat32);
    v->set_shape(ir::from_static(shape));
    g_.inputs().push_back(v);
    return v;
  }
  ir::Value* constant(HostTensor value) {
    ir::Value* v = g_.add_unique_value("c");
    v->set_constant(std::move(value));
    return v;
  }
  ir::Value* ints(std::vector<std::int64_t> values) {
    const auto n = static_cast<std::int64_t>(values.size());
    return constant(HostTensor::from_values<std::int64_t>({n}, values));
  }
  std::vector<ir::Value*> node(const std::string& op, std::vector<ir::Value*> ins,
                               ir::Attributes attributes = {}, std::size_t outputs = 1) {
    std::vector<ir::Value*> outs;
    for (std::size_t i = 0; i < outputs; ++i) outs.push_back(g_.add_unique_value(op + "_out"));
    g_.add_node(op, op + std::to_string(g_.node_count()), std::move(ins), outs, std::move(attributes));
    return outs;
  }
  ir::Value* op(const std::string& op, std::vector<ir::Value*> ins, ir::Attributes attributes = {}) {
    return node(op, std::move(ins), std::move(attributes))[0];
  }
  /// Conv (kernel k, pads k/2 or as given, stride) -> BatchNormalization.
  ir::Value* conv_bn(ir::Value* x, std::int64_t in, std::int64_t out, std::int64_t k,
                     std::int64_t stride = 1, std::int64_t group = 1,
                     std::vector<std::int64_t> pads = {}) {
    ir::Attributes a;
    if (pads.empty()) pads.assign(4, k / 2);
    a.set("pads", pads);
    a.set("strides", std::vector<std::int64_t>{stride, stride});
    a.set("group", group);
    const float seed = 0.1f * static_cast<float>(++convs_);
    ir::Value* y = op("Conv", {x, constant(ramp({out, in / group, k, k}, 0.4f, seed)),
                               constant(ramp({out}, 0.1f, seed + 0.5f))},
                      a);
    ir::Attributes bn;
    bn.set("epsilon", 1e-3f);
    HostTensor var = ramp({out}, 0.3f, seed);
    for (float& v : var.values<float>()) v = std::fabs(v) + 0.5f;
    return op("BatchNormalization", {y, constant(ramp({out}, 1.0f, seed + 0.2f)),
                                     constant(ramp({out}, 0.3f, seed + 0.9f)),
                                     constant(ramp({out}, 0.1f, seed + 1.3f)), constant(var)},
              bn);
  }
  ir::Value* silu(ir::Value* x) { return op("Mul", {x, op("Sigmoid", {x})}); }

 private:
  ir::Graph& g_;
  int convs_ = 0;
};

// Stem conv, then a ResNet basic block: conv-bn-relu, conv-bn, + x, relu;
// a per-channel scale (constant [C,1,1]) at the end.
inline void resnet_block(ir::Graph& g) {
  GraphMaker m(g);
  ir::Value* x = m.op("Relu", {m.conv_bn(m.input("image", {2, 3, 8, 8}), 3, 8, 3)});
  ir::Value* y = m.op("Relu", {m.conv_bn(x, 8, 8, 3)});
  y = m.conv_bn(y, 8, 8, 3);
  y = m.op("Relu", {m.op("Add", {y, x})});
  g.outputs().push_back(m.op("Mul", {y, m.constant(ramp({8, 1, 1}, 1.0f, 0.4f))}));
}

// YOLOv8's C2f: cv1 (1x1, SiLU) -> Split -> bottleneck with shortcut ->
// Concat of all parts -> cv2 (1x1, SiLU), then a nearest 2x upsample and a
// Slice of the channels.
inline void c2f_block(ir::Graph& g) {
  GraphMaker m(g);
  ir::Value* x = m.silu(m.conv_bn(m.input("features", {1, 4, 6, 6}), 4, 8, 1));
  ir::Attributes split;
  split.set("axis", std::int64_t{1});
  const std::vector<ir::Value*> parts = m.node("Split", {x, m.ints({4, 4})}, split, 2);
  ir::Value* b = m.silu(m.conv_bn(parts[1], 4, 4, 3));
  b = m.silu(m.conv_bn(b, 4, 4, 3));
  b = m.op("Add", {parts[1], b});
  ir::Attributes concat;
  concat.set("axis", std::int64_t{1});
  ir::Value* y = m.op("Concat", {parts[0], parts[1], b}, concat);
  y = m.silu(m.conv_bn(y, 12, 8, 1));
  ir::Attributes resize;
  resize.set("mode", std::string("nearest"));
  ir::Value* up = m.op("Resize", {y, nullptr, m.constant(HostTensor::from_values<float>({4}, {1, 1, 2, 2}))},
                       resize);
  g.outputs().push_back(m.op("Slice", {up, m.ints({2}), m.ints({6}), m.ints({1})}));
}

// Depthwise 3x3 stride 2 with asymmetric pads, then a pointwise conv.
inline void depthwise_block(ir::Graph& g) {
  GraphMaker m(g);
  ir::Value* x = m.input("x", {1, 6, 7, 7});
  ir::Value* y = m.op("Relu", {m.conv_bn(x, 6, 6, 3, 2, 6, {0, 0, 1, 1})});
  y = m.conv_bn(y, 6, 4, 1);
  g.outputs().push_back(m.op("Clip", {y, m.constant(HostTensor::from_values<float>({}, {0.0f})),
                                      m.constant(HostTensor::from_values<float>({}, {6.0f}))}));
}

// ConvNeXt's block as torchvision exports it: depthwise 7x7 (bias), to
// channels-last, LayerNormalization over C, MatMul + bias, exact GELU
// (x * 0.5 * (1 + erf(x / sqrt 2))), MatMul + bias, back to channels-first,
// plus the input.
inline void convnext_block(ir::Graph& g) {
  GraphMaker m(g);
  ir::Value* x = m.input("x", {2, 16, 8, 8});
  ir::Attributes dw;
  dw.set("pads", std::vector<std::int64_t>{3, 3, 3, 3});
  dw.set("group", std::int64_t{16});
  ir::Value* y = m.op("Conv", {x, m.constant(ramp({16, 1, 7, 7}, 0.3f, 0.2f)),
                               m.constant(ramp({16}, 0.2f, 0.1f))},
                      dw);
  ir::Attributes to_last;
  to_last.set("perm", std::vector<std::int64_t>{0, 2, 3, 1});
  y = m.op("Transpose", {y}, to_last);
  ir::Attributes norm;
  norm.set("axis", std::int64_t{-1});
  norm.set("epsilon", 1e-6f);
  y = m.op("LayerNormalization",
           {y, m.constant(ramp({16}, 0.5f, 1.0f)), m.constant(ramp({16}, 0.2f, 0.3f))}, norm);
  y = m.op("Add", {m.op("MatMul", {y, m.constant(ramp({16, 64}, 0.3f, 0.1f))}),
                   m.constant(ramp({64}, 0.2f, 0.4f))});
  const auto scalar = [&](float v) { return m.constant(HostTensor::from_values<float>({}, {v})); };
  ir::Value* erf = m.op("Erf", {m.op("Div", {y, scalar(1.4142135f)})});
  y = m.op("Mul", {m.op("Mul", {y, m.op("Add", {erf, scalar(1.0f)})}), scalar(0.5f)});
  y = m.op("Add", {m.op("MatMul", {y, m.constant(ramp({64, 16}, 0.2f, 0.5f))}),
                   m.constant(ramp({16}, 0.1f, 0.6f))});
  ir::Attributes to_first;
  to_first.set("perm", std::vector<std::int64_t>{0, 3, 1, 2});
  g.outputs().push_back(m.op("Add", {m.op("Transpose", {y}, to_first), x}));
}

// Classifier head: conv -> relu -> GlobalAveragePool -> Flatten -> Gemm.
inline void classifier_head(ir::Graph& g) {
  GraphMaker m(g);
  ir::Value* y = m.op("Relu", {m.conv_bn(m.input("image", {2, 3, 6, 6}), 3, 8, 3)});
  y = m.op("Relu", {m.conv_bn(y, 8, 8, 3, 2)});
  y = m.op("Flatten", {m.op("GlobalAveragePool", {y})});
  ir::Attributes gemm;
  gemm.set("transB", std::int64_t{1});
  g.outputs().push_back(m.op("Gemm", {y, m.constant(ramp({5, 8}, 0.5f, 0.3f)),
                                      m.constant(ramp({5}, 0.2f, 0.1f))},
                             gemm));
}

}  // namespace trtutils::builder::test_blocks
