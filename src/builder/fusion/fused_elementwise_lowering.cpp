// GPU lowering of trtutils.FusedElementwise: one grid-stride kernel that
// loads each input element (broadcast by static strides), evaluates the
// sub-graph's nodes as locals in compute types (expressions from
// ops/elementwise/gpu_expressions.hpp) and stores the result once.
#include <sstream>

#include "ops/elementwise/gpu_expressions.hpp"
#include "ops/gpu_codegen.hpp"
#include "trtutils/builder/fusion.hpp"
#include "trtutils/ops/gpu_lowering.hpp"

namespace trtutils::builder {

namespace g = ops::gpu;

namespace {

/// Element offset of input `shape` broadcast into `out` at the coordinates
/// c0..c{rank-1} of the output (numpy broadcasting, right-aligned).
std::string broadcast_offset(const Shape& shape, const Shape& out) {
  if (shape == out) return "i";
  std::string expr = "0LL";
  std::int64_t stride = 1;
  const std::size_t offset = out.size() - shape.size();
  for (std::size_t d = shape.size(); d-- > 0;) {
    if (shape[d] != 1) expr += detail::concat(" + c", d + offset, " * ", stride, "LL");
    stride *= shape[d];
  }
  return expr;
}

}  // namespace

void lower_fused_elementwise(ops::LoweringContext& ctx, const ir::Graph& subgraph) {
  const ops::GpuTensor y = ctx.output(0);
  const Shape& out = y.shape;
  std::ostringstream body;
  bool needs_coordinates = false;
  std::map<const ir::Value*, std::string> names;
  std::vector<ops::KernelArgument> args;
  std::string params;
  for (std::size_t k = 0; k < ctx.input_count(); ++k) {
    const ops::GpuTensor in = ctx.input(k);
    const ir::Value* value = subgraph.inputs().at(k);
    if (in.shape.size() > out.size()) ctx.fail("an input has a higher rank than the output");
    needs_coordinates = needs_coordinates || broadcast_offset(in.shape, out) != "i";
    const std::string name = detail::concat("a", k);
    params += detail::concat("const ", g::cuda_type(in.dtype), "* __restrict__ x", k, ", ");
    names[value] = name;
    args.push_back(ops::KernelArgument::pointer_to(in));
  }
  for (std::size_t k = 0; k < ctx.input_count(); ++k) {
    const ops::GpuTensor in = ctx.input(k);
    const ir::Value* value = subgraph.inputs().at(k);
    // Stored as in.dtype (f16 for an f32 value in fp16 builds); computed as
    // the IR dtype's compute type.
    std::string load = g::load_expr(in.dtype, detail::concat("x", k, "[", broadcast_offset(in.shape, out), "]"));
    if (g::cuda_compute_type(in.dtype) != g::cuda_compute_type(value->dtype())) {
      load = detail::concat("(", g::cuda_compute_type(value->dtype()), ")(", load, ")");
    }
    body << "    const " << g::cuda_compute_type(value->dtype()) << " a" << k << " = " << load << ";\n";
  }
  std::size_t step = 0;
  for (const ir::Node* node : subgraph.nodes()) {
    const g::ElementwiseExpression* expression = g::find_elementwise_expression(node->op_type());
    if (!expression) ctx.unsupported(detail::concat("fused op ", node->op_type(), " has no GPU expression"));
    g::ElementwiseExpressionArgs a{*node, {}, {}, node->output(0)->dtype()};
    for (const ir::Value* in : node->inputs()) {
      a.inputs.push_back(in ? names.at(in) : std::string());
      a.input_dtypes.push_back(in ? in->dtype() : DType::kUndefined);
    }
    const std::optional<std::string> text = (*expression)(a);
    if (!text) ctx.unsupported(detail::concat("fused ", node->describe(), " cannot be expressed on the GPU"));
    const std::string name = detail::concat("v", step++);
    body << "    const " << g::cuda_compute_type(a.output_dtype) << " " << name << " = " << *text << ";\n";
    names[node->output(0)] = name;
  }
  const ir::Value* result = subgraph.outputs().at(0);
  std::string value = names.at(result);
  if (g::cuda_compute_type(y.dtype) != g::cuda_compute_type(result->dtype())) {
    value = detail::concat("(", g::cuda_compute_type(y.dtype), ")(", value, ")");
  }
  body << "    y[i] = " << g::store_expr(y.dtype, value) << ";\n";

  std::string coordinates;
  if (needs_coordinates) {
    coordinates = "    long long rest = i;\n";
    for (std::size_t d = out.size(); d-- > 0;) {
      coordinates += detail::concat("    const long long c", d, " = rest % ", out[d], "LL; rest /= ",
                                    out[d], "LL;\n");
    }
    coordinates += "    (void)rest;\n";
  }
  const std::string entry = g::identifier("trt_fused_" + ctx.node().name());
  ops::KernelLaunch launch;
  launch.entry = entry;
  launch.source = detail::concat(g::kernel_preamble(), g::elementwise_device_functions(),
                                 "extern \"C\" __global__ void ", entry, "(", params,
                                 g::cuda_type(y.dtype), "* __restrict__ y, long long n) {\n",
                                 "  for (long long i = trt_tid(); i < n; i += trt_stride()) {\n",
                                 coordinates, body.str(), "  }\n}\n");
  args.push_back(ops::KernelArgument::pointer_to(y));
  args.push_back(ops::KernelArgument::scalar<long long>(y.element_count()));
  launch.arguments = std::move(args);
  g::set_linear_launch(launch, y.element_count());
  ctx.emit_kernel("fused_elementwise", std::move(launch));
}

}  // namespace trtutils::builder
