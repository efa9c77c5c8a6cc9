#pragma once
// A private registry of tiny ops for the pass and executor tests, so that
// those tests do not depend on the real op families. Each op is the minimum
// its ONNX namesake does on the cases the tests build (f32 data, i64 shapes).
#include <algorithm>
#include <memory>

#include "ops/support.hpp"
#include "trtutils/ops/registry.hpp"

namespace trtutils::test {

/// Counts CPU reference calls per op, to see what was evaluated when.
struct CallCounts {
  int relu = 0;
  int add = 0;
  int shape = 0;
};

inline ops::OpSchema same_as_input_schema(std::string op, ops::CpuFn run) {
  return {std::move(op), "",
          [](ops::InferContext& c) { c.set_output(0, c.input_dtype(0), c.input_shape(0)); },
          std::move(run)};
}

/// Relu, Add, Shape, Gather (axis 0 of a 1-D tensor), Concat (axis 0),
/// Reshape, Identity, Dropout, Constant, RandomUniformLike.
inline ops::OpRegistry tiny_registry(
    std::shared_ptr<CallCounts> counts = std::make_shared<CallCounts>()) {
  using ops::CpuContext;
  using ops::InferContext;
  ops::OpRegistry r;
  r.add(same_as_input_schema("Relu", [counts](const CpuContext& c) {
    ++counts->relu;
    HostTensor out = c.input(0);
    for (float& v : out.values<float>()) v = std::max(v, 0.0f);
    return std::vector<HostTensor>{out};
  }));
  r.add({"Add", "",
         [](InferContext& c) {
           c.set_output(0, c.input_dtype(0),
                        ops::broadcast_shapes(c.input_shape(0), c.input_shape(1)));
         },
         [counts](const CpuContext& c) {
           ++counts->add;
           const HostTensor& a = c.input(0);
           const HostTensor& b = c.input(1);
           const Shape shape = ops::broadcast_shapes(a.shape(), b.shape());
           const auto sa = ops::broadcast_strides(a.shape(), shape);
           const auto sb = ops::broadcast_strides(b.shape(), shape);
           HostTensor out(shape, DType::kFloat32);
           auto o = out.values<float>();
           ops::for_each_index(shape, [&](const std::vector<std::int64_t>& at, std::int64_t i) {
             std::int64_t ia = 0;
             std::int64_t ib = 0;
             for (std::size_t d = 0; d < at.size(); ++d) {
               ia += at[d] * sa[d];
               ib += at[d] * sb[d];
             }
             o[static_cast<std::size_t>(i)] = a.values<float>()[static_cast<std::size_t>(ia)] +
                                              b.values<float>()[static_cast<std::size_t>(ib)];
           });
           return std::vector<HostTensor>{out};
         }});
  r.add({"Shape", "",
         [](InferContext& c) {
           const ir::MaybeShape& in = c.input_shape(0);
           if (ir::is_static(in)) {
             const Shape s = ir::to_static(*in);
             c.set_output_constant(0, HostTensor::from_values<std::int64_t>(
                                          {static_cast<std::int64_t>(s.size())}, s));
           } else {
             c.set_output(0, DType::kInt64,
                          in ? ir::MaybeShape(ir::DimList{static_cast<std::int64_t>(in->size())})
                             : ir::MaybeShape(ir::DimList{ir::Dim()}));
           }
         },
         [counts](const CpuContext& c) {
           ++counts->shape;
           const Shape& s = c.input(0).shape();
           return std::vector<HostTensor>{
               HostTensor::from_values<std::int64_t>({static_cast<std::int64_t>(s.size())}, s)};
         }});
  r.add({"Gather", "", [](InferContext& c) { c.set_output(0, c.input_dtype(0), c.input_shape(1)); },
         [](const CpuContext& c) {
           const auto data = ops::read_ints(c.input(0));
           const auto indices = ops::read_ints(c.input(1));
           std::vector<std::int64_t> picked;
           for (std::int64_t i : indices) picked.push_back(data.at(static_cast<std::size_t>(i)));
           return std::vector<HostTensor>{HostTensor::from_values(c.input(1).shape(), picked)};
         }});
  r.add({"Concat", "",
         [](InferContext& c) {
           ir::Dim total(0);
           for (std::size_t i = 0; i < c.input_count(); ++i) {
             const auto s = ops::static_input_shape(c, i);
             total = s && total.is_static() ? ir::Dim(total.value + (*s)[0]) : ir::Dim();
           }
           c.set_output(0, c.input_dtype(0), ir::DimList{total});
         },
         [](const CpuContext& c) {
           std::vector<std::int64_t> all;
           for (std::size_t i = 0; i < c.input_count(); ++i) {
             const auto part = ops::read_ints(c.input(i));
             all.insert(all.end(), part.begin(), part.end());
           }
           return std::vector<HostTensor>{
               HostTensor::from_values<std::int64_t>({static_cast<std::int64_t>(all.size())}, all)};
         }});
  r.add({"Reshape", "",
         [](InferContext& c) {
           const HostTensor* target = c.input_constant(1);
           if (!target) {
             c.set_output(0, c.input_dtype(0), std::nullopt);
             return;
           }
           ir::DimList dims;
           for (std::int64_t d : ops::read_ints(*target))
             dims.push_back(d < 0 ? ir::Dim() : ir::Dim(d));
           c.set_output(0, c.input_dtype(0), dims);
         },
         [](const CpuContext& c) {
           Shape target = ops::read_ints(c.input(1));
           std::int64_t known = 1;
           for (std::int64_t d : target) known *= d < 0 ? 1 : d;
           for (std::int64_t& d : target) d = d < 0 ? c.input(0).element_count() / known : d;
           return std::vector<HostTensor>{c.input(0).reshaped(target)};
         }});
  r.add(same_as_input_schema(
      "Identity", [](const CpuContext& c) { return std::vector<HostTensor>{c.input(0)}; }));
  r.add({"Dropout", "",
         [](InferContext& c) {
           c.set_output(0, c.input_dtype(0), c.input_shape(0));
           c.set_output(1, DType::kBool, c.input_shape(0));
         },
         [](const CpuContext& c) {
           std::vector<HostTensor> out{c.input(0)};
           if (c.output_count() > 1) {
             HostTensor mask(c.input(0).shape(), DType::kBool);
             for (bool& m : mask.values<bool>()) m = true;
             out.push_back(mask);
           }
           return out;
         }});
  r.add({"Constant", "",
         [](InferContext& c) { c.set_output_constant(0, c.attributes().get_tensor("value")); },
         [](const CpuContext& c) {
           return std::vector<HostTensor>{c.attributes().get_tensor("value")};
         }});
  r.add(same_as_input_schema("RandomUniformLike", [](const CpuContext& c) {
    static float next = 0.25f;
    HostTensor out(c.input(0).shape(), DType::kFloat32);
    for (float& v : out.values<float>()) v = (next += 0.125f);
    return std::vector<HostTensor>{out};
  }));
  return r;
}

inline HostTensor f32(Shape shape, std::vector<float> values) {
  return HostTensor::from_values(std::move(shape), values);
}
inline HostTensor i64(std::vector<std::int64_t> values) {
  return HostTensor::from_values<std::int64_t>({static_cast<std::int64_t>(values.size())}, values);
}
/// A graph input with a declared dtype and shape.
inline ir::Value* add_input(ir::Graph& g, const std::string& name, DType dtype, ir::DimList dims) {
  ir::Value* v = g.add_value(name);
  v->set_dtype(dtype);
  v->set_shape(std::move(dims));
  g.inputs().push_back(v);
  return v;
}
inline ir::Value* add_constant(ir::Graph& g, const std::string& name, HostTensor tensor) {
  ir::Value* v = g.add_value(name);
  v->set_constant(std::move(tensor));
  return v;
}

}  // namespace trtutils::test
