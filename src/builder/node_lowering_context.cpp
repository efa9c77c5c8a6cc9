#include "builder/node_lowering_context.hpp"

#include <algorithm>

#include "trtutils/core/error.hpp"
#include "trtutils/plan/layer_kinds.hpp"

namespace trtutils::builder {

namespace lk = plan::layer_kinds;

namespace {

ops::GpuTensor describe(const PlanAssembler& assembler, plan::TensorId id, const ir::Value& value) {
  const plan::TensorDesc& t = assembler.plan().tensor(id);
  // The value's shape, not the tensor's dims: an aliased value (Reshape)
  // shares its source's tensor but keeps its own shape.
  return {id, t.dtype, assembler.static_shape(value)};
}

}  // namespace

NodeLoweringContext::NodeLoweringContext(const ir::Node& node, std::int64_t opset,
                                         PlanAssembler& assembler,
                                         std::set<const ir::Value*>& dynamic_values)
    : node_(node),
      opset_(opset),
      assembler_(assembler),
      dynamic_values_(dynamic_values),
      first_layer_(assembler.plan().layers.size()),
      fp32_(assembler.is_fp32_node(&node)) {
  for (const ir::Value* in : node_.inputs()) {
    if (in && dynamic_values_.count(in)) {
      unsupported(detail::concat("input '", in->name(),
                                 "' has a data-dependent extent (NonZero / NonMaxSuppression "
                                 "output); feeding it to another layer is not supported yet"));
    }
  }
}

ops::GpuTensor NodeLoweringContext::input(std::size_t i) const {
  const ir::Value* value = node_.input(i);
  if (!value) return {};
  // Each node reads its inputs in its own precision: an fp32 node reads f32
  // (weights kept f32, activations converted once), the others the build's.
  const DType want = fp32_ ? value->dtype() : assembler_.device_dtype(value->dtype());
  if (value->is_constant()) {
    if (!fp32_) return describe(assembler_, assembler_.tensor_for(*value), *value);
    const plan::TensorId id = assembler_.add_constant(value->name(), value->constant(), want);
    return describe(assembler_, id, *value);
  }
  return describe(assembler_, assembler_.tensor_as(*value, want), *value);
}

const HostTensor* NodeLoweringContext::input_constant(std::size_t i) const {
  const ir::Value* value = node_.input(i);
  return value && value->is_constant() ? &value->constant() : nullptr;
}

ops::GpuTensor NodeLoweringContext::output(std::size_t i) const {
  const ir::Value* value = node_.output(i);
  if (!value) return {};
  return describe(assembler_, assembler_.tensor_for(*value), *value);
}

ops::GpuTensor NodeLoweringContext::add_scratch(DType dtype, Shape shape) {
  const std::string name = detail::concat(node_.name(), ":scratch", scratch_count_++);
  const plan::TensorId id = assembler_.add_tensor(name, dtype, shape, plan::TensorKind::kActivation);
  return {id, dtype, std::move(shape)};
}

ops::GpuTensor NodeLoweringContext::add_constant(HostTensor value) {
  const plan::TensorId id =
      fp32_ ? assembler_.add_constant(node_.name() + ":constant", value, value.dtype())
            : assembler_.add_constant(node_.name() + ":constant", value);
  return {id, assembler_.plan().tensor(id).dtype, value.shape()};
}

std::string NodeLoweringContext::layer_name(const std::string& name) const {
  if (name.empty() || name == node_.name()) return node_.name();
  return node_.name() + "/" + name;
}

void NodeLoweringContext::emit_kernel(const std::string& name, ops::KernelLaunch launch) {
  if (launch.entry.empty() || launch.source.empty()) fail("emitted a kernel without source/entry");
  plan::LayerDesc layer;
  layer.name = layer_name(name);
  layer.kernel = lk::kNvrtcKernel;
  std::vector<std::int64_t> kinds, tensors, sizes;
  std::vector<std::byte> scalars;
  std::vector<plan::TensorId> pointer_tensors;
  for (const ops::KernelArgument& a : launch.arguments) {
    if (a.kind == ops::KernelArgument::Kind::kTensor) {
      if (a.tensor == plan::kAbsentTensor) fail("passed an absent tensor to kernel " + launch.entry);
      kinds.push_back(0);
      tensors.push_back(static_cast<std::int64_t>(a.tensor));
      sizes.push_back(8);
      pointer_tensors.push_back(a.tensor);
    } else {
      kinds.push_back(1);
      tensors.push_back(-1);
      sizes.push_back(static_cast<std::int64_t>(a.bytes.size()));
      scalars.insert(scalars.end(), a.bytes.begin(), a.bytes.end());
    }
  }
  assembler_.split_arguments(pointer_tensors, layer.inputs, layer.outputs);
  const bool zero_launch = std::find(launch.grid.begin(), launch.grid.end(), 0u) != launch.grid.end() ||
                           std::find(launch.block.begin(), launch.block.end(), 0u) != launch.block.end();
  const bool writes_only_empty =
      !layer.outputs.empty() && std::all_of(layer.outputs.begin(), layer.outputs.end(),
                                            [&](plan::TensorId id) { return assembler_.is_empty(id); });
  if (writes_only_empty) return;  // nothing to write: no layer (add_layer would drop it too)
  if (zero_launch) {
    // The runtime refuses zero launch dimensions at load; say so at build time.
    fail(detail::concat("kernel ", launch.entry, " has grid (", launch.grid[0], ", ", launch.grid[1],
                        ", ", launch.grid[2], ") block (", launch.block[0], ", ", launch.block[1],
                        ", ", launch.block[2], "); every dimension must be at least 1 (an empty "
                        "input with a non-empty output must still launch at least one block)"));
  }
  layer.params.set(lk::nvrtc::kSource, std::move(launch.source));
  layer.params.set(lk::nvrtc::kEntry, std::move(launch.entry));
  layer.params.set(lk::nvrtc::kGrid, std::vector<std::int64_t>(launch.grid.begin(), launch.grid.end()));
  layer.params.set(lk::nvrtc::kBlock,
                   std::vector<std::int64_t>(launch.block.begin(), launch.block.end()));
  layer.params.set(lk::nvrtc::kShared, static_cast<std::int64_t>(launch.shared_bytes));
  layer.params.set(lk::nvrtc::kArgKinds, std::move(kinds));
  layer.params.set(lk::nvrtc::kArgTensors, std::move(tensors));
  layer.params.set(lk::nvrtc::kArgSizes, std::move(sizes));
  layer.params.set(lk::nvrtc::kArgScalars, std::move(scalars));
  assembler_.add_layer(std::move(layer));
}

void NodeLoweringContext::emit_layer(const std::string& name, const std::string& kernel,
                                     std::vector<plan::TensorId> inputs,
                                     std::vector<plan::TensorId> outputs,
                                     plan::LayerParams params) {
  plan::LayerDesc layer;
  layer.name = layer_name(name);
  layer.kernel = kernel;
  layer.inputs = std::move(inputs);
  layer.outputs = std::move(outputs);
  layer.params = std::move(params);
  assembler_.add_layer(std::move(layer));
}

void NodeLoweringContext::alias_output(std::size_t output, std::size_t input) {
  const ir::Value* out = node_.output(output);
  const ir::Value* in = node_.input(input);
  if (!out || !in) fail(detail::concat("aliases output ", output, " to input ", input, ": absent"));
  const plan::TensorId source = assembler_.tensor_for(*in);
  if (const auto bound = assembler_.tensor_of(out)) {
    // A graph output owns its caller-provided tensor: sharing bytes with an
    // engine input, another output or a constant is not allowed, so copy.
    // Any other binding is a tensor the lowering asked for before aliasing;
    // it is dropped as unused when the plan is finished.
    if (assembler_.plan().tensor(*bound).kind == plan::TensorKind::kOutput) {
      assembler_.add_copy(layer_name("alias_copy"), source, *bound);
      return;
    }
  }
  assembler_.bind(out, source);
}

void NodeLoweringContext::set_output_upper_bound(std::size_t output, Shape upper_bound) {
  const ir::Value* value = node_.output(output);
  if (!value) return;  // omitted output: nothing to allocate
  try {
    assembler_.set_upper_bound(*value, upper_bound);
  } catch (const InvalidArgument& e) {
    fail(e.what());
  }
}

void NodeLoweringContext::set_dynamic_extent(std::size_t output, const ops::GpuTensor& count,
                                             std::size_t axis) {
  const ir::Value* value = node_.output(output);
  if (!value) fail(detail::concat("set_dynamic_extent on absent output ", output));
  if (count.dtype != DType::kInt64 || count.element_count() != 1) {
    fail(detail::concat("the dynamic extent of output ", output, " must be a one-element i64"));
  }
  const Shape shape = assembler_.static_shape(*value);
  if (axis >= shape.size()) {
    fail(detail::concat("dynamic extent axis ", axis, " of output ", output, " with shape ",
                        shape_to_string(shape)));
  }
  dynamic_extents_[output] = {count.id, axis};
  dynamic_values_.insert(value);
}

void NodeLoweringContext::finish() {
  plan::Plan& plan = assembler_.plan();
  for (std::size_t i = 0; i < node_.outputs().size(); ++i) {
    const ir::Value* out = node_.output(i);
    if (!out) continue;
    // An empty output (zero elements) needs no layer: nothing to write.
    const auto id = assembler_.tensor_of(out);
    if (id && assembler_.is_empty(*id)) continue;
    if (!id && element_count(assembler_.static_shape(*out)) == 0) {
      assembler_.tensor_for(*out);
      continue;
    }
    if (!id || !assembler_.written(*id)) {
      fail(detail::concat("the GPU lowering did not write output '", out->name(), "'"));
    }
  }
  for (const auto& [output, extent] : dynamic_extents_) {
    const plan::TensorId tensor = assembler_.tensor_for(*node_.output(output));
    if (assembler_.is_empty(tensor)) continue;  // its extent is 0 anyway
    if (plan.layers.size() == first_layer_) fail("set a dynamic extent but emitted no layer");
    // The runtime reads the count after this layer and trims the output it
    // names by its index among *this layer's* outputs.
    plan::LayerDesc& last = plan.layers.back();
    const auto at = std::find(last.outputs.begin(), last.outputs.end(), tensor);
    if (at == last.outputs.end()) {
      fail(detail::concat("set a dynamic extent on output ", output,
                          ", which the node's last layer does not write"));
    }
    const auto index = static_cast<std::size_t>(at - last.outputs.begin());
    last.params.set(detail::concat(lk::kDynamicExtentPrefix, index),
                    static_cast<std::int64_t>(extent.count));
    last.params.set(detail::concat(lk::kDynamicExtentAxisPrefix, index),
                    static_cast<std::int64_t>(extent.axis));
  }
}

void NodeLoweringContext::fail(const std::string& message) const {
  throw ModelError(detail::concat(node_.describe(), ": ", message));
}

void NodeLoweringContext::unsupported(const std::string& message) const {
  throw UnsupportedError(detail::concat(node_.describe(), ": ", message));
}

}  // namespace trtutils::builder
