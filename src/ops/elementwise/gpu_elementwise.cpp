// The element-wise kernel generator (gpu_elementwise.hpp) and the lowering of
// every element-wise op through it.
#include "ops/elementwise/gpu_elementwise.hpp"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <limits>

#include "ops/gpu_codegen.hpp"
#include "ops/support.hpp"

namespace trtutils::ops::gpu {

namespace {

std::vector<std::int64_t> row_major_strides(const std::vector<std::int64_t>& sizes) {
  std::vector<std::int64_t> strides(sizes.size(), 1);
  for (std::size_t d = sizes.size(); d-- > 1;) strides[d - 1] = strides[d] * sizes[d];
  return strides;
}

std::string str(std::int64_t v) { return std::to_string(v) + "LL"; }

// The compute-type value of every program value, and how to store it.
struct ValueInfo {
  DType dtype;  // storage dtype for inputs, IR output dtype for steps
  std::string name;
};

// Per-element statements: loads (through `load(k)`, the element of input k),
// the steps, and the stores (through `store(k, value)`).
std::string element_body(const ElementwiseProgram& program,
                         const std::function<std::string(std::size_t)>& load,
                         const std::function<std::string(std::size_t, const std::string&)>& store,
                         const std::string& indent) {
  std::vector<ValueInfo> values;
  std::string s;
  for (std::size_t k = 0; k < program.inputs.size(); ++k) {
    const DType dtype = program.inputs[k].dtype;
    const std::string name = "v" + std::to_string(values.size());
    s += indent + "const " + cuda_compute_type(dtype) + " " + name + " = " +
         load_expr(dtype, load(k)) + ";\n";
    values.push_back({dtype, name});
  }
  for (const ElementwiseStep& step : program.steps) {
    TRTUTILS_CHECK(step.node != nullptr, "element-wise step without a node");
    const ElementwiseExpression* expression = find_elementwise_expression(step.node->op_type());
    if (!expression || !step.node->domain().empty()) {
      throw UnsupportedError(detail::concat(step.node->describe(),
                                            ": no element-wise GPU expression for this op"));
    }
    ElementwiseExpressionArgs args{*step.node, {}, step.input_dtypes, step.output_dtype};
    for (const std::size_t operand : step.operands) {
      TRTUTILS_CHECK(operand == kNoValue || operand < values.size(), step.node->describe(),
                     ": operand value ", operand, " is not computed before this step");
      args.inputs.push_back(operand == kNoValue ? std::string() : values[operand].name);
    }
    const std::optional<std::string> text = (*expression)(args);
    if (!text) {
      std::string types;
      for (const DType d : step.input_dtypes) types += std::string(types.empty() ? "" : ", ") +
                                                        std::string(dtype_name(d));
      throw ModelError(detail::concat(step.node->describe(), ": element types (", types, ") -> ",
                                      dtype_name(step.output_dtype), " are not allowed"));
    }
    const std::string name = "v" + std::to_string(values.size());
    s += indent + "const " + cuda_compute_type(step.output_dtype) + " " + name + " = " + *text +
         ";\n";
    values.push_back({step.output_dtype, name});
  }
  for (std::size_t k = 0; k < program.outputs.size(); ++k) {
    const auto& [value, tensor] = program.outputs[k];
    TRTUTILS_CHECK(value < values.size(), "output ", k, " names value ", value, " of ",
                   values.size());
    s += indent + store(k, store_expr(tensor.dtype, values[value].name)) + ";\n";
  }
  return s;
}

}  // namespace

CollapsedIteration collapse_iteration(const std::vector<Shape>& inputs, const Shape& output) {
  std::vector<std::vector<std::int64_t>> full;
  for (const Shape& input : inputs) {
    TRTUTILS_CHECK(input.size() <= output.size(), "input shape ", shape_to_string(input),
                   " has a higher rank than the output ", shape_to_string(output));
    const std::size_t offset = output.size() - input.size();
    for (std::size_t d = 0; d < input.size(); ++d) {
      TRTUTILS_CHECK(input[d] == output[offset + d] || input[d] == 1, "input shape ",
                     shape_to_string(input), " does not broadcast to ", shape_to_string(output));
    }
    full.push_back(broadcast_strides(input, output));
  }
  CollapsedIteration it;
  it.strides.assign(inputs.size(), {});
  for (std::size_t d = 0; d < output.size(); ++d) {
    if (output[d] == 1) continue;
    bool merge = !it.sizes.empty();
    for (std::size_t k = 0; k < inputs.size() && merge; ++k) {
      merge = it.strides[k].back() == full[k][d] * output[d];
    }
    if (merge) {
      it.sizes.back() *= output[d];
      for (std::size_t k = 0; k < inputs.size(); ++k) it.strides[k].back() = full[k][d];
    } else {
      it.sizes.push_back(output[d]);
      for (std::size_t k = 0; k < inputs.size(); ++k) it.strides[k].push_back(full[k][d]);
    }
  }
  const std::vector<std::int64_t> contiguous = row_major_strides(it.sizes);
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    it.linear.push_back(it.strides[k] == contiguous);
  }
  return it;
}

std::string literal(double value, DType dtype) {
  const std::string type = cuda_compute_type(dtype);
  if (type == "float" || type == "double") {
    const bool is_float = type == "float";
    if (std::isnan(value)) return is_float ? "__int_as_float(0x7fc00000)"
                                           : "__longlong_as_double(0x7ff8000000000000LL)";
    if (std::isinf(value)) {
      if (is_float) return value > 0 ? "__int_as_float(0x7f800000)" : "__int_as_float(0xff800000)";
      return value > 0 ? "__longlong_as_double(0x7ff0000000000000LL)"
                       : "__longlong_as_double(0xfff0000000000000LL)";
    }
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%a", is_float ? static_cast<double>(static_cast<float>(value)) : value);
    return std::string("(") + buffer + (is_float ? "f" : "") + ")";
  }
  if (type == "bool") return value != 0.0 ? "true" : "false";
  return integer_literal(static_cast<std::int64_t>(value), dtype);
}

std::string integer_literal(std::int64_t value, DType dtype) {
  const std::string type = cuda_compute_type(dtype);
  if (type == "bool") return value != 0 ? "true" : "false";
  if (type == "float" || type == "double") return literal(static_cast<double>(value), dtype);
  const std::string number = value == std::numeric_limits<std::int64_t>::min()
                                 ? std::string("(-9223372036854775807LL - 1)")
                                 : std::to_string(value) + "LL";
  return "((" + type + ")" + number + ")";
}

KernelLaunch generate_elementwise_kernel(const ElementwiseProgram& program,
                                         const std::string& entry) {
  TRTUTILS_CHECK(!program.outputs.empty(), "element-wise kernel '", entry, "' has no output");
  const Shape& shape = program.outputs[0].second.shape;
  for (const auto& [value, tensor] : program.outputs) {
    TRTUTILS_CHECK(tensor.shape == shape, "element-wise kernel '", entry,
                   "': outputs have different shapes (", shape_to_string(shape), " and ",
                   shape_to_string(tensor.shape), ")");
  }
  std::vector<Shape> input_shapes;
  for (const GpuTensor& t : program.inputs) input_shapes.push_back(t.shape);
  const CollapsedIteration it = collapse_iteration(input_shapes, shape);
  const std::int64_t n = element_count(shape);

  KernelLaunch launch;
  launch.entry = entry;
  std::string params;
  for (std::size_t k = 0; k < program.inputs.size(); ++k) {
    params += std::string(params.empty() ? "" : ", ") + "const " +
              cuda_type(program.inputs[k].dtype) + "* in" + std::to_string(k);
    launch.arguments.push_back(KernelArgument::pointer_to(program.inputs[k]));
  }
  for (std::size_t k = 0; k < program.outputs.size(); ++k) {
    params += std::string(params.empty() ? "" : ", ") + cuda_type(program.outputs[k].second.dtype) +
              "* out" + std::to_string(k);
    launch.arguments.push_back(KernelArgument::pointer_to(program.outputs[k].second));
  }

  bool all_linear = true;
  bool needs_coordinates = false;
  std::vector<std::string> offsets;
  for (std::size_t k = 0; k < program.inputs.size(); ++k) {
    if (it.linear[k]) {
      offsets.push_back("i");
      continue;
    }
    all_linear = false;
    std::string offset;
    for (std::size_t d = 0; d < it.sizes.size(); ++d) {
      if (it.strides[k][d] == 0) continue;
      offset += std::string(offset.empty() ? "" : " + ") + "c" + std::to_string(d) + " * " +
                str(it.strides[k][d]);
    }
    needs_coordinates = needs_coordinates || !offset.empty();
    offsets.push_back(offset.empty() ? "0" : offset);
  }

  std::string s = kernel_preamble() + elementwise_device_functions();
  const bool vectorised = all_linear && n >= 4;
  if (vectorised) {
    s += "template <typename T> struct alignas(4 * sizeof(T)) trt_vec4 { T v[4]; };\n";
  }
  s += "extern \"C\" __global__ void " + entry + "(" + params + ") {\n";
  s += "  const long long n = " + str(n) + ";\n";
  std::string scalar_start = "trt_tid()";
  if (vectorised) {
    std::string aligned;
    for (std::size_t k = 0; k < program.inputs.size() + program.outputs.size(); ++k) {
      const bool input = k < program.inputs.size();
      const std::string name =
          input ? "in" + std::to_string(k) : "out" + std::to_string(k - program.inputs.size());
      const DType dtype =
          input ? program.inputs[k].dtype : program.outputs[k - program.inputs.size()].second.dtype;
      aligned += std::string(aligned.empty() ? "" : " && ") + "((unsigned long long)" + name +
                 " % sizeof(trt_vec4<" + cuda_type(dtype) + ">)) == 0";
    }
    s += "  long long vector_end = 0;\n";
    s += "  if (" + aligned + ") {\n";
    s += "    vector_end = n / 4 * 4;\n";
    s += "    for (long long q = trt_tid(); q < n / 4; q += trt_stride()) {\n";
    for (std::size_t k = 0; k < program.inputs.size(); ++k) {
      const std::string t = cuda_type(program.inputs[k].dtype);
      s += "      const trt_vec4<" + t + "> p" + std::to_string(k) + " = ((const trt_vec4<" + t +
           ">*)in" + std::to_string(k) + ")[q];\n";
    }
    for (std::size_t k = 0; k < program.outputs.size(); ++k) {
      s += "      trt_vec4<" + cuda_type(program.outputs[k].second.dtype) + "> r" +
           std::to_string(k) + ";\n";
    }
    s += "#pragma unroll\n      for (int e = 0; e < 4; ++e) {\n";
    s += element_body(
        program, [](std::size_t k) { return "p" + std::to_string(k) + ".v[e]"; },
        [](std::size_t k, const std::string& v) { return "r" + std::to_string(k) + ".v[e] = " + v; },
        "        ");
    s += "      }\n";
    for (std::size_t k = 0; k < program.outputs.size(); ++k) {
      s += "      ((trt_vec4<" + cuda_type(program.outputs[k].second.dtype) + ">*)out" +
           std::to_string(k) + ")[q] = r" + std::to_string(k) + ";\n";
    }
    s += "    }\n  }\n";
    scalar_start = "vector_end + trt_tid()";
  }
  s += "  for (long long i = " + scalar_start + "; i < n; i += trt_stride()) {\n";
  if (needs_coordinates) {
    s += "    long long rest = i;\n";
    for (std::size_t d = it.sizes.size(); d-- > 0;) {
      const std::string c = "c" + std::to_string(d);
      if (d == 0) {
        s += "    const long long " + c + " = rest;\n";
      } else {
        s += "    const long long " + c + " = rest % " + str(it.sizes[d]) + ";\n";
        s += "    rest /= " + str(it.sizes[d]) + ";\n";
      }
    }
  }
  s += element_body(
      program,
      [&](std::size_t k) { return "in" + std::to_string(k) + "[" + offsets[k] + "]"; },
      [](std::size_t k, const std::string& v) { return "out" + std::to_string(k) + "[i] = " + v; },
      "    ");
  s += "  }\n}\n";
  launch.source = std::move(s);
  set_linear_launch(launch, vectorised ? (n + 3) / 4 : n);
  return launch;
}

void lower_elementwise(LoweringContext& ctx) {
  const ir::Node& node = ctx.node();
  if (ctx.opset() < 7 && node.attributes().has("axis")) {
    ctx.unsupported("the opset < 7 broadcast with an 'axis' attribute is not implemented");
  }
  const GpuTensor out = ctx.output(0);
  if (node.op_type() == "PRelu" && out.shape != ctx.input(0).shape) {
    ctx.fail("slope must broadcast to the input's shape");
  }
  if (node.op_type() == "Clip") {
    for (std::size_t i = 1; i < ctx.input_count() && i < 3; ++i) {
      if (ctx.has_input(i) && ctx.input(i).element_count() != 1) {
        ctx.fail(detail::concat("'", i == 1 ? "min" : "max", "' must be a scalar"));
      }
    }
  }
  ElementwiseProgram program;
  ElementwiseStep step;
  step.node = &node;
  for (std::size_t i = 0; i < node.inputs().size(); ++i) {
    step.input_dtypes.push_back(node.input(i) ? node.input(i)->dtype() : DType::kUndefined);
    // CastLike reads only its first input; the second names the type.
    const bool operand = ctx.has_input(i) && !(node.op_type() == "CastLike" && i == 1);
    step.operands.push_back(operand ? program.inputs.size() : kNoValue);
    if (operand) program.inputs.push_back(ctx.input(i));
  }
  step.output_dtype = node.output(0)->dtype();
  program.steps.push_back(std::move(step));
  program.outputs.emplace_back(program.inputs.size(), out);
  KernelLaunch launch;
  try {
    launch = generate_elementwise_kernel(program, identifier("elementwise_" + node.name()));
  } catch (const InvalidArgument& e) {
    ctx.fail(e.what());
  }
  ctx.emit_kernel(node.name(), std::move(launch));
}

}  // namespace trtutils::ops::gpu
