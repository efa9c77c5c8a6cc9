// Shape (https://onnx.ai/onnx/operators/onnx__Shape.html; `start`/`end`
// since opset 15) and Size. Both are build-time constants whenever the dims
// they report are known.
#include <algorithm>

#include "ops/generator/generator.hpp"

namespace trtutils::ops::generator {

namespace {

// [start, end) of the dims Shape reports: negative values count from the
// back, then both are clamped to [0, rank].
std::pair<std::int64_t, std::int64_t> shape_slice(const ir::Attributes& a, std::int64_t rank) {
  auto clamp = [rank](std::int64_t v) {
    if (v < 0) v += rank;
    return std::clamp<std::int64_t>(v, 0, rank);
  };
  const std::int64_t start = clamp(a.get_int("start", 0));
  const std::int64_t end = clamp(a.get_int("end", rank));
  return {start, std::max(start, end)};
}

OpSchema shape() {
  OpSchema schema;
  schema.op_type = "Shape";
  // Shapes are static in the engine: the dims are an engine constant (the
  // builder normally folds the node before lowering).
  schema.lower_gpu = [](LoweringContext& ctx) {
    const Shape& input = ctx.input(0).shape;
    const auto [start, end] =
        shape_slice(ctx.node().attributes(), static_cast<std::int64_t>(input.size()));
    const std::vector<std::int64_t> dims(input.begin() + start, input.begin() + end);
    emit_constant_copy(
        ctx, ctx.output(0),
        HostTensor::from_values<std::int64_t>({static_cast<std::int64_t>(dims.size())}, dims));
  };
  schema.infer = [](InferContext& ctx) {
    const ir::MaybeShape& input = ctx.input_shape(0);
    if (!input) {
      ctx.set_output(0, DType::kInt64, ir::DimList{ir::Dim()});
      return;
    }
    const auto [start, end] =
        shape_slice(ctx.attributes(), static_cast<std::int64_t>(input->size()));
    std::vector<std::int64_t> dims;
    for (std::int64_t d = start; d < end; ++d) {
      const ir::Dim& dim = (*input)[static_cast<std::size_t>(d)];
      if (!dim.is_static()) {
        ctx.set_output(0, DType::kInt64, ir::DimList{end - start});
        return;
      }
      dims.push_back(dim.value);
    }
    ctx.set_output_constant(
        0, HostTensor::from_values<std::int64_t>({static_cast<std::int64_t>(dims.size())}, dims));
  };
  schema.run_cpu = [](const CpuContext& ctx) {
    const Shape& input = ctx.input(0).shape();
    const auto [start, end] =
        shape_slice(ctx.attributes(), static_cast<std::int64_t>(input.size()));
    const std::vector<std::int64_t> dims(input.begin() + start, input.begin() + end);
    std::vector<HostTensor> outputs;
    outputs.push_back(
        HostTensor::from_values<std::int64_t>({static_cast<std::int64_t>(dims.size())}, dims));
    return outputs;
  };
  return schema;
}

OpSchema size() {
  OpSchema schema;
  schema.op_type = "Size";
  schema.lower_gpu = [](LoweringContext& ctx) {
    emit_constant_copy(ctx, ctx.output(0),
                       HostTensor::from_values<std::int64_t>({}, {ctx.input(0).element_count()}));
  };
  schema.infer = [](InferContext& ctx) {
    if (const std::optional<Shape> input = static_input_shape(ctx, 0)) {
      ctx.set_output_constant(0,
                              HostTensor::from_values<std::int64_t>({}, {element_count(*input)}));
    } else {
      ctx.set_output(0, DType::kInt64, ir::DimList{});
    }
  };
  schema.run_cpu = [](const CpuContext& ctx) {
    std::vector<HostTensor> outputs;
    outputs.push_back(HostTensor::from_values<std::int64_t>({}, {ctx.input(0).element_count()}));
    return outputs;
  };
  return schema;
}

}  // namespace

void register_shape(OpRegistry& registry) {
  registry.add(shape());
  registry.add(size());
}

}  // namespace trtutils::ops::generator
