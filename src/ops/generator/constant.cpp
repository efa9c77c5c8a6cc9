// Constant (https://onnx.ai/onnx/operators/onnx__Constant.html) and
// ConstantOfShape (https://onnx.ai/onnx/operators/onnx__ConstantOfShape.html).
#include <cstring>

#include "ops/elementwise/gpu_elementwise.hpp"
#include "ops/generator/generator.hpp"

namespace trtutils::ops::generator {

namespace {

// Exactly one of value / value_float(s) / value_int(s) holds the constant;
// strings and sparse tensors have no trtutils representation.
template <typename Ctx>
HostTensor constant_value(const Ctx& ctx) {
  const ir::Attributes& a = ctx.attributes();
  for (const char* name : {"sparse_value", "value_string", "value_strings"}) {
    if (a.has(name)) ctx.unsupported(detail::concat("attribute '", name, "' is not supported"));
  }
  if (a.has("value")) return a.get_tensor("value");
  if (a.has("value_float")) return HostTensor::from_values<float>({}, {a.get_float("value_float")});
  if (a.has("value_int")) {
    return HostTensor::from_values<std::int64_t>({}, {a.get_int("value_int")});
  }
  if (a.has("value_floats")) {
    const std::vector<float> values = a.get_floats("value_floats");
    return HostTensor::from_values<float>({static_cast<std::int64_t>(values.size())}, values);
  }
  if (a.has("value_ints")) {
    const std::vector<std::int64_t> values = a.get_ints("value_ints");
    return HostTensor::from_values<std::int64_t>({static_cast<std::int64_t>(values.size())},
                                                 values);
  }
  ctx.fail("needs one of the attributes value, value_float(s), value_int(s)");
}

OpSchema constant() {
  OpSchema schema;
  schema.op_type = "Constant";
  schema.infer = [](InferContext& ctx) { ctx.set_output_constant(0, constant_value(ctx)); };
  // The builder folds Constant nodes; one that reaches lowering is copied
  // from an engine constant.
  schema.lower_gpu = [](LoweringContext& ctx) {
    emit_constant_copy(ctx, ctx.output(0), constant_value(LoweringView{ctx}));
  };
  schema.run_cpu = [](const CpuContext& ctx) {
    std::vector<HostTensor> outputs;
    outputs.push_back(constant_value(ctx));
    return outputs;
  };
  return schema;
}

// The fill value: a one-element tensor attribute, f32 0 by default.
template <typename Ctx>
HostTensor fill_value(const Ctx& ctx) {
  if (!ctx.attributes().has("value")) return HostTensor::from_values<float>({1}, {0.0f});
  const HostTensor& value = ctx.attributes().get_tensor("value");
  if (value.element_count() != 1) ctx.fail("attribute 'value' must hold exactly one element");
  return value;
}

OpSchema constant_of_shape() {
  OpSchema schema;
  schema.op_type = "ConstantOfShape";
  schema.lower_gpu = [](LoweringContext& ctx) {
    const HostTensor value = fill_value(LoweringView{ctx});
    const DType dtype = value.dtype();
    const std::string expression =
        is_floating_point(dtype) ? gpu::literal(element_as_double(value.view(), 0), dtype)
                                 : gpu::integer_literal(read_ints(value.cast(DType::kInt64))[0], dtype);
    emit_fill(ctx, ctx.output(0), dtype, expression, "");
  };
  schema.infer = [](InferContext& ctx) {
    const DType dtype = fill_value(ctx).dtype();
    if (const HostTensor* shape = ctx.input_constant(0)) {
      const std::vector<std::int64_t> dims = read_ints(*shape);
      for (const std::int64_t d : dims) {
        if (d < 0) ctx.fail(detail::concat("negative dimension ", d, " in the shape input"));
      }
      ctx.set_output(0, dtype, ir::from_static(dims));
      return;
    }
    const ir::MaybeShape& input = ctx.input_shape(0);
    if (input && input->size() == 1 && (*input)[0].is_static()) {
      ctx.set_output(0, dtype, ir::DimList(static_cast<std::size_t>((*input)[0].value)));
    } else {
      ctx.set_output(0, dtype, std::nullopt);
    }
  };
  schema.run_cpu = [](const CpuContext& ctx) {
    const HostTensor value = fill_value(ctx);
    const Shape shape = read_ints(ctx.input(0));
    for (const std::int64_t d : shape) {
      if (d < 0) ctx.fail(detail::concat("negative dimension ", d, " in the shape input"));
    }
    HostTensor out(shape, value.dtype());
    const std::size_t size = dtype_size(value.dtype());
    auto* dst = static_cast<std::byte*>(out.data());
    for (std::int64_t i = 0; i < out.element_count(); ++i) {
      std::memcpy(dst + static_cast<std::size_t>(i) * size, value.data(), size);
    }
    std::vector<HostTensor> outputs;
    outputs.push_back(std::move(out));
    return outputs;
  };
  return schema;
}

}  // namespace

void register_constant(OpRegistry& registry) {
  registry.add(constant());
  registry.add(constant_of_shape());
}

}  // namespace trtutils::ops::generator
