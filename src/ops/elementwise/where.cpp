// Where (https://onnx.ai/onnx/operators/onnx__Where.html): out = cond ? X : Y
// with all three broadcast together. Elements are copied, so every type works
// without conversion.
#include "ops/elementwise/elementwise.hpp"

namespace trtutils::ops::elementwise {

namespace {

OpSchema where() {
  OpSchema schema;
  schema.op_type = "Where";
  schema.lower_gpu = gpu::lower_elementwise;
  schema.infer = [](InferContext& ctx) {
    if (ctx.input_count() != 3) ctx.fail("needs three inputs (condition, X, Y)");
    check_input_type(ctx, 0, Types::kBool);
    if (known_and_different(ctx.input_dtype(1), ctx.input_dtype(2)))
      ctx.fail("X and Y have different element types");
    ir::MaybeShape shape;
    try {
      shape = broadcast_shapes(broadcast_shapes(ctx.input_shape(0), ctx.input_shape(1)),
                               ctx.input_shape(2));
    } catch (const InvalidArgument& e) {
      ctx.fail(e.what());
    }
    ctx.set_output(0, ctx.input_dtype(1), std::move(shape));
  };
  schema.run_cpu = [](const CpuContext& ctx) {
    const HostTensor& condition = ctx.input(0);
    const HostTensor& x = ctx.input(1);
    const HostTensor& y = ctx.input(2);
    if (condition.dtype() != DType::kBool) ctx.fail("condition must be bool");
    if (x.dtype() != y.dtype()) ctx.fail("X and Y have different element types");
    std::vector<HostTensor> outputs;
    outputs.push_back(visit_dtype(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      return broadcast_map<T, bool, T, T>([](bool c, T a, T b) { return c ? a : b; },
                                          {&condition, &x, &y});
    }));
    return outputs;
  };
  return schema;
}

}  // namespace

void register_where(OpRegistry& registry) { registry.add(where()); }

}  // namespace trtutils::ops::elementwise
