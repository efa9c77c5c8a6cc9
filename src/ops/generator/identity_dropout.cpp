// Identity and Dropout (https://onnx.ai/onnx/operators/onnx__Dropout.html).
// This library does inference: Dropout copies its input and reports an
// all-true mask. Training mode (opset >= 12 `training_mode` input true) is
// only accepted when the ratio is 0, where it changes nothing.
#include "ops/elementwise/gpu_elementwise.hpp"
#include "ops/generator/generator.hpp"

namespace trtutils::ops::generator {

namespace {

OpSchema identity() {
  OpSchema schema;
  schema.op_type = "Identity";
  schema.lower_gpu = [](LoweringContext& ctx) { alias_or_convert(ctx, 0, 0); };
  schema.infer = [](InferContext& ctx) {
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
  };
  schema.run_cpu = [](const CpuContext& ctx) {
    std::vector<HostTensor> outputs;
    outputs.push_back(ctx.input(0));
    return outputs;
  };
  return schema;
}

// Before opset 10 the mask has the data's type, from 10 on it is bool.
DType mask_dtype(std::int64_t opset, DType data) { return opset < 10 ? data : DType::kBool; }

// The dropout ratio (input 1 from opset 12, attribute before), 0.5 by default.
double ratio_of(const CpuContext& ctx) {
  if (ctx.opset() >= 12) {
    return ctx.has_input(1) ? read_doubles(ctx.input(1)).at(0) : 0.5;
  }
  return ctx.attributes().get_float("ratio", 0.5f);
}

OpSchema dropout() {
  OpSchema schema;
  schema.op_type = "Dropout";
  schema.lower_gpu = [](LoweringContext& ctx) {
    // Inference only: training mode must be known off (or the ratio zero).
    if (ctx.has_input(2)) {
      const HostTensor* training = ctx.input_constant(2);
      const HostTensor* ratio = ctx.has_input(1) ? ctx.input_constant(1) : nullptr;
      if (!training) ctx.unsupported("input 'training_mode' must be known at build time");
      const bool zero_ratio = ratio && read_doubles(*ratio).at(0) == 0.0;
      if (read_doubles(*training).at(0) != 0.0 && !zero_ratio) {
        ctx.unsupported("training mode (random dropout) is not supported");
      }
    }
    alias_or_convert(ctx, 0, 0);
    if (ctx.output_count() > 1 && ctx.output(1).present()) {
      const DType mask = mask_dtype(ctx.opset(), ctx.node().input(0)->dtype());
      emit_fill(ctx, ctx.output(1), mask, gpu::literal(1.0, mask), "_mask");
    }
  };
  schema.infer = [](InferContext& ctx) {
    if (const HostTensor* training = ctx.input_constant(2)) {
      const HostTensor* ratio = ctx.input_constant(1);
      const bool zero_ratio = ratio && read_doubles(*ratio).at(0) == 0.0;
      if (read_doubles(*training).at(0) != 0.0 && !zero_ratio) {
        ctx.unsupported("training mode (random dropout) is not supported");
      }
    }
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    ctx.set_output(1, mask_dtype(ctx.opset(), ctx.input_dtype(0)), ctx.input_shape(0));
  };
  schema.run_cpu = [](const CpuContext& ctx) {
    const HostTensor& data = ctx.input(0);
    const bool training = ctx.has_input(2) && read_doubles(ctx.input(2)).at(0) != 0.0;
    if (training && ratio_of(ctx) != 0.0) {
      ctx.unsupported("training mode (random dropout) is not supported");
    }
    std::vector<HostTensor> outputs;
    outputs.push_back(data);
    if (ctx.output_count() > 1) {
      HostTensor mask;  // stays empty when the mask output is omitted
      if (ctx.node().output(1)) {
        mask = HostTensor(data.shape(), DType::kBool);
        for (bool& keep : mask.values<bool>()) keep = true;
        mask = mask.cast(mask_dtype(ctx.opset(), data.dtype()));
      }
      outputs.push_back(std::move(mask));
    }
    return outputs;
  };
  return schema;
}

}  // namespace

void register_identity_dropout(OpRegistry& registry) {
  registry.add(identity());
  registry.add(dropout());
}

}  // namespace trtutils::ops::generator
