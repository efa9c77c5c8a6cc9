#include "ops/generator/gpu_generator.hpp"

#include "ops/elementwise/gpu_elementwise.hpp"
#include "ops/gpu_codegen.hpp"

namespace trtutils::ops::generator {

void emit_constant_copy(LoweringContext& ctx, const GpuTensor& out, const HostTensor& value) {
  if (value.shape() != out.shape) {
    ctx.fail(detail::concat("the value known at build time has shape ",
                            shape_to_string(value.shape()), ", the output ",
                            shape_to_string(out.shape)));
  }
  const GpuTensor constant = ctx.add_constant(value.dtype() == out.dtype ? value : value.cast(out.dtype));
  ctx.emit_layer(ctx.node().name(), plan::layer_kinds::kCopy, {constant.id}, {out.id}, {});
}

void emit_fill(LoweringContext& ctx, const GpuTensor& out, DType value_dtype,
               const std::string& expression, const std::string& layer_suffix) {
  KernelLaunch launch;
  launch.entry = gpu::identifier("fill_" + ctx.node().name() + layer_suffix);
  launch.source = gpu::kernel_preamble() + "extern \"C\" __global__ void " + launch.entry + "(" +
                  gpu::cuda_type(out.dtype) + "* out) {\n  const long long n = " +
                  std::to_string(out.element_count()) +
                  "LL;\n  for (long long i = trt_tid(); i < n; i += trt_stride()) {\n    const " +
                  gpu::cuda_compute_type(value_dtype) + " v = " + expression + ";\n    out[i] = " +
                  gpu::store_expr(out.dtype, "v") + ";\n  }\n}\n";
  launch.arguments.push_back(KernelArgument::pointer_to(out));
  gpu::set_linear_launch(launch, out.element_count());
  ctx.emit_kernel(ctx.node().name() + layer_suffix, std::move(launch));
}

void alias_or_convert(LoweringContext& ctx, std::size_t output, std::size_t input) {
  const GpuTensor in = ctx.input(input);
  const GpuTensor out = ctx.output(output);
  if (in.dtype == out.dtype) {
    ctx.alias_output(output, input);
    return;
  }
  gpu::ElementwiseProgram program;
  program.inputs.push_back(in);
  program.outputs.emplace_back(0, out);
  ctx.emit_kernel(ctx.node().name(),
                  gpu::generate_elementwise_kernel(
                      program, gpu::identifier("convert_" + ctx.node().name())));
}

}  // namespace trtutils::ops::generator
