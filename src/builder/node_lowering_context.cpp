#include "builder/node_lowering_context.hpp"

#include "trtutils/core/error.hpp"
#include "trtutils/plan/layer_kinds.hpp"

namespace trtutils::builder {

namespace lk = plan::layer_kinds;

namespace {

ops::GpuTensor describe(const plan::Plan& plan, plan::TensorId id, const ir::Value& value) {
  const plan::TensorDesc& t = plan.tensor(id);
  // The IR shape, not the tensor's dims: an aliased value (Reshape) shares its
  // source's tensor but keeps its own shape.
  Shape shape = value.is_constant() ? value.constant().shape() : ir::to_static(*value.shape());
  return {id, t.dtype, std::move(shape)};
}

}  // namespace

NodeLoweringContext::NodeLoweringContext(const ir::Node& node, std::int64_t opset,
                                         PlanAssembler& assembler,
                                         std::set<const ir::Value*>& dynamic_values)
    : node_(node),
      opset_(opset),
      assembler_(assembler),
      dynamic_values_(dynamic_values),
      first_layer_(assembler.plan().layers.size()) {
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
  return describe(assembler_.plan(), assembler_.tensor_for(*value), *value);
}

const HostTensor* NodeLoweringContext::input_constant(std::size_t i) const {
  const ir::Value* value = node_.input(i);
  return value && value->is_constant() ? &value->constant() : nullptr;
}

ops::GpuTensor NodeLoweringContext::output(std::size_t i) const {
  const ir::Value* value = node_.output(i);
  if (!value) return {};
  return describe(assembler_.plan(), assembler_.tensor_for(*value), *value);
}

ops::GpuTensor NodeLoweringContext::add_scratch(DType dtype, Shape shape) {
  const std::string name = detail::concat(node_.name(), ":scratch", scratch_count_++);
  const plan::TensorId id = assembler_.add_tensor(name, dtype, shape, plan::TensorKind::kActivation);
  return {id, dtype, std::move(shape)};
}

ops::GpuTensor NodeLoweringContext::add_constant(HostTensor value) {
  const plan::TensorId id = assembler_.add_constant(node_.name() + ":constant", value);
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

void NodeLoweringContext::set_dynamic_extent(std::size_t output, const ops::GpuTensor& count) {
  if (!node_.output(output)) fail(detail::concat("set_dynamic_extent on absent output ", output));
  dynamic_extents_[output] = count.id;
  dynamic_values_.insert(node_.output(output));
}

void NodeLoweringContext::finish() {
  plan::Plan& plan = assembler_.plan();
  for (std::size_t i = 0; i < node_.outputs().size(); ++i) {
    const ir::Value* out = node_.output(i);
    if (!out) continue;
    const auto id = assembler_.tensor_of(out);
    if (!id || !assembler_.written(*id)) {
      fail(detail::concat("the GPU lowering did not write output '", out->name(), "'"));
    }
  }
  if (dynamic_extents_.empty()) return;
  if (plan.layers.size() == first_layer_) fail("set a dynamic extent but emitted no layer");
  for (const auto& [output, count] : dynamic_extents_) {
    plan.layers.back().params.set(detail::concat(lk::kDynamicExtentPrefix, output),
                                  static_cast<std::int64_t>(count));
  }
}

void NodeLoweringContext::fail(const std::string& message) const {
  throw ModelError(detail::concat(node_.describe(), ": ", message));
}

void NodeLoweringContext::unsupported(const std::string& message) const {
  throw UnsupportedError(detail::concat(node_.describe(), ": ", message));
}

}  // namespace trtutils::builder
