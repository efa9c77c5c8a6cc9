#include "builder/plan_assembler.hpp"

#include <algorithm>
#include <cstring>

#include "ops/gpu_codegen.hpp"
#include "trtutils/core/error.hpp"
#include "trtutils/core/kernel_cache.hpp"
#include "trtutils/ops/gpu_lowering.hpp"
#include "trtutils/plan/layer_kinds.hpp"

namespace trtutils::builder {

namespace lk = plan::layer_kinds;

PlanAssembler::PlanAssembler(plan::Precision precision)
    : precision_(precision), layer_precision_(precision) {
  plan_.header.precision = precision;
}

DType PlanAssembler::device_dtype(DType dtype) const noexcept {
  if (dtype != DType::kFloat32) return dtype;
  switch (precision_) {
    case plan::Precision::kFloat16:
      return DType::kFloat16;
    case plan::Precision::kBFloat16:
      return DType::kBFloat16;
    case plan::Precision::kFloat32:
      break;
  }
  return dtype;
}

std::string PlanAssembler::unique_tensor_name(const std::string& name) {
  std::string candidate = name.empty() ? std::string("tensor") : name;
  for (int n = 1; !tensor_names_.insert(candidate).second; ++n) {
    candidate = detail::concat(name, "#", n);
  }
  return candidate;
}

plan::TensorId PlanAssembler::add_tensor(const std::string& name, DType dtype, const Shape& dims,
                                         plan::TensorKind kind) {
  TRTUTILS_CHECK(dtype != DType::kUndefined, "tensor '", name, "' has no dtype");
  plan::TensorDesc t;
  t.id = static_cast<plan::TensorId>(plan_.tensors.size());
  t.name = unique_tensor_name(name);
  t.dtype = dtype;
  t.dims.assign(dims.begin(), dims.end());
  t.kind = kind;
  plan_.tensors.push_back(std::move(t));
  written_.push_back(kind == plan::TensorKind::kInput || kind == plan::TensorKind::kConstant);
  return plan_.tensors.back().id;
}

DType PlanAssembler::value_dtype(const ir::Value& value) const {
  return is_fp32_node(value.producer()) ? value.dtype() : device_dtype(value.dtype());
}

void PlanAssembler::set_converted(const ir::Value* value, plan::TensorId id) {
  converted_[{value, plan_.tensors.at(id).dtype}] = id;
}

plan::TensorId PlanAssembler::tensor_as(const ir::Value& value, DType dtype) {
  const plan::TensorId own = tensor_for(value);
  if (plan_.tensors.at(own).dtype == dtype) return own;
  const auto key = std::make_pair(&value, dtype);
  if (const auto it = converted_.find(key); it != converted_.end()) return it->second;
  TRTUTILS_CHECK(written(own) || is_empty(own), "value '", value.name(),
                 "' is read as ", dtype_name(dtype), " before anything writes it");
  const plan::TensorId copy =
      add_tensor(detail::concat(value.name(), ":", dtype_name(dtype)), dtype,
                 Shape(plan_.tensors.at(own).dims.begin(), plan_.tensors.at(own).dims.end()),
                 plan::TensorKind::kActivation);
  add_cast(detail::concat("cast:", value.name(), ":", dtype_name(dtype)), own, copy);
  converted_.emplace(key, copy);
  return copy;
}

plan::TensorId PlanAssembler::add_constant(const std::string& name, const HostTensor& value) {
  return add_constant(name, value, device_dtype(value.dtype()));
}

plan::TensorId PlanAssembler::add_constant(const std::string& name, const HostTensor& value,
                                           DType dtype) {
  HostTensor data = dtype == value.dtype() ? value : value.cast(dtype);
  const std::string_view bytes(static_cast<const char*>(data.data()), data.byte_size());
  const std::string key = detail::concat(dtype_name(dtype), shape_to_string(data.shape()), ":",
                                         core::fnv1a64(bytes));
  if (const auto it = constant_by_content_.find(key); it != constant_by_content_.end()) {
    const HostTensor& existing = constants_.at(it->second);
    if (existing.byte_size() == data.byte_size() &&
        std::memcmp(existing.data(), data.data(), data.byte_size()) == 0) {
      return it->second;
    }
  }
  const plan::TensorId id = add_tensor(name, dtype, data.shape(), plan::TensorKind::kConstant);
  constants_.emplace(id, std::move(data));
  constant_by_content_.emplace(key, id);
  return id;
}

std::optional<plan::TensorId> PlanAssembler::tensor_of(const ir::Value* value) const {
  const auto it = bound_.find(value);
  if (it == bound_.end()) return std::nullopt;
  return it->second;
}

void PlanAssembler::bind(const ir::Value* value, plan::TensorId id) { bound_[value] = id; }

void PlanAssembler::defer_graph_output(const ir::Value* value) { deferred_outputs_.insert(value); }

Shape PlanAssembler::static_shape(const ir::Value& value) const {
  if (value.is_constant()) return value.constant().shape();
  if (const auto it = upper_bounds_.find(&value); it != upper_bounds_.end()) return it->second;
  if (!ir::is_static(value.shape())) {
    throw UnsupportedError(detail::concat(
        "value '", value.name(), "' has shape ", ir::to_string(value.shape()),
        " after shape inference; the engine needs static shapes (fix dynamic input dims with "
        "BuildOptions::batch, and inputs that decide shapes with constant_inputs)"));
  }
  return ir::to_static(*value.shape());
}

void PlanAssembler::set_upper_bound(const ir::Value& value, const Shape& bound) {
  TRTUTILS_CHECK(!value.is_constant(), "value '", value.name(),
                 "' is a constant; it has no upper bound to declare");
  if (value.shape()) {
    const ir::DimList& declared = *value.shape();
    TRTUTILS_CHECK(declared.size() == bound.size(), "value '", value.name(), "' is declared ",
                   ir::to_string(value.shape()), " but its upper bound ", shape_to_string(bound),
                   " has another rank");
    for (std::size_t d = 0; d < bound.size(); ++d) {
      TRTUTILS_CHECK(!declared[d].is_static() || declared[d].value <= bound[d], "value '",
                     value.name(), "' is declared ", ir::to_string(value.shape()),
                     ", larger than its upper bound ", shape_to_string(bound));
    }
  }
  upper_bounds_[&value] = bound;
  if (const auto id = tensor_of(&value)) {
    TRTUTILS_CHECK(!written(*id), "value '", value.name(),
                   "': set the upper bound before writing the output");
    plan_.tensors.at(*id).dims.assign(bound.begin(), bound.end());
  }
}

bool PlanAssembler::is_empty(plan::TensorId id) const {
  const plan::TensorDesc& t = plan_.tensors.at(id);
  return std::find(t.dims.begin(), t.dims.end(), std::int64_t{0}) != t.dims.end();
}

plan::TensorId PlanAssembler::tensor_for(const ir::Value& value) {
  if (auto id = tensor_of(&value)) return *id;
  plan::TensorId id = 0;
  if (value.is_constant()) {
    id = add_constant(value.name(), value.constant());
  } else {
    const DType device = value_dtype(value);
    if (deferred_outputs_.count(&value) && device == value.dtype()) {
      id = add_tensor(value.name(), device, static_shape(value), plan::TensorKind::kOutput);
    } else if (deferred_outputs_.count(&value)) {
      // Computed in the build precision; finish_graph_outputs casts it.
      id = add_tensor(detail::concat(value.name(), ":", dtype_name(device)), device,
                      static_shape(value), plan::TensorKind::kActivation);
    } else {
      id = add_tensor(value.name(), device, static_shape(value), plan::TensorKind::kActivation);
    }
  }
  bind(&value, id);
  return id;
}

bool PlanAssembler::written(plan::TensorId id) const {
  return id < written_.size() && written_[id];
}

void PlanAssembler::split_arguments(const std::vector<plan::TensorId>& tensors,
                                    std::vector<plan::TensorId>& inputs,
                                    std::vector<plan::TensorId>& outputs) const {
  for (const plan::TensorId id : tensors) {
    if (id == plan::kAbsentTensor) continue;
    std::vector<plan::TensorId>& list = written(id) ? inputs : outputs;
    if (std::find(list.begin(), list.end(), id) == list.end()) list.push_back(id);
  }
}

void PlanAssembler::add_layer(plan::LayerDesc layer) {
  // A layer that writes only empty tensors has nothing to do (and a kernel
  // sized by them would launch a zero grid): it is not emitted.
  if (!layer.outputs.empty() &&
      std::all_of(layer.outputs.begin(), layer.outputs.end(), [&](plan::TensorId id) {
        return id < plan_.tensors.size() && is_empty(id);
      })) {
    return;
  }
  std::string name = layer.name.empty() ? std::string("layer") : layer.name;
  for (int n = 1; !layer_names_.insert(name).second; ++n) name = detail::concat(layer.name, "#", n);
  layer.name = std::move(name);
  for (const plan::TensorId id : layer.inputs) {
    TRTUTILS_CHECK(id == plan::kAbsentTensor || written(id) || is_empty(id), "layer '", layer.name,
                   "' reads tensor '", plan_.tensors.at(id).name, "' before anything writes it");
  }
  for (const plan::TensorId id : layer.outputs) {
    TRTUTILS_CHECK(id < plan_.tensors.size() && !written(id), "layer '", layer.name,
                   "' writes tensor #", id, " that is already written (or is an input/constant)");
    written_[id] = true;
  }
  if (layer.precision == plan::Precision::kFloat32) layer.precision = layer_precision_;
  plan_.layers.push_back(std::move(layer));
}

void PlanAssembler::add_cast(const std::string& name, plan::TensorId from, plan::TensorId to) {
  const plan::TensorDesc& in = plan_.tensors.at(from);
  const plan::TensorDesc& out = plan_.tensors.at(to);
  std::int64_t n = 1;
  for (const std::int64_t d : in.dims) n *= d;
  if (n == 0) return;  // nothing to convert; empty tensors need no writer
  namespace g = ops::gpu;
  const std::string entry =
      detail::concat("trt_cast_", dtype_name(in.dtype), "_to_", dtype_name(out.dtype));
  ops::KernelLaunch launch;
  launch.entry = entry;
  launch.source = detail::concat(
      g::kernel_preamble(), "extern \"C\" __global__ void ", entry, "(const ", g::cuda_type(in.dtype),
      "* x, ", g::cuda_type(out.dtype), "* y, long long n) {\n",
      "  for (long long i = trt_tid(); i < n; i += trt_stride()) y[i] = ",
      g::convert_expr(in.dtype, out.dtype, "x[i]"), ";\n}\n");
  g::set_linear_launch(launch, n);
  plan::LayerDesc layer;
  layer.name = name;
  layer.kernel = lk::kNvrtcKernel;
  layer.inputs = {from};
  layer.outputs = {to};
  layer.params.set(lk::nvrtc::kSource, launch.source);
  layer.params.set(lk::nvrtc::kEntry, launch.entry);
  layer.params.set(lk::nvrtc::kGrid, std::vector<std::int64_t>(launch.grid.begin(), launch.grid.end()));
  layer.params.set(lk::nvrtc::kBlock,
                   std::vector<std::int64_t>(launch.block.begin(), launch.block.end()));
  layer.params.set(lk::nvrtc::kShared, std::int64_t{0});
  layer.params.set(lk::nvrtc::kArgKinds, std::vector<std::int64_t>{0, 0, 1});
  layer.params.set(lk::nvrtc::kArgTensors,
                   std::vector<std::int64_t>{static_cast<std::int64_t>(from),
                                             static_cast<std::int64_t>(to), -1});
  layer.params.set(lk::nvrtc::kArgSizes, std::vector<std::int64_t>{8, 8, 8});
  std::vector<std::byte> scalars(sizeof(n));
  std::memcpy(scalars.data(), &n, sizeof(n));
  layer.params.set(lk::nvrtc::kArgScalars, std::move(scalars));
  add_layer(std::move(layer));
}

void PlanAssembler::add_copy(const std::string& name, plan::TensorId from, plan::TensorId to) {
  const plan::TensorDesc& in = plan_.tensors.at(from);
  const plan::TensorDesc& out = plan_.tensors.at(to);
  if (in.dtype != out.dtype) {
    add_cast(name, from, to);
    return;
  }
  if (is_empty(from) && is_empty(to)) return;  // nothing to copy
  plan::LayerDesc layer;
  layer.name = name;
  layer.kernel = lk::kCopy;
  layer.inputs = {from};
  layer.outputs = {to};
  add_layer(std::move(layer));
}

const HostTensor& PlanAssembler::constant_data(plan::TensorId id) const {
  const auto it = constants_.find(id);
  TRTUTILS_CHECK(it != constants_.end(), "tensor #", id, " is not a constant");
  return it->second;
}

namespace {

bool is_tensor_param(const std::string& name) {
  return name == lk::nvrtc::kArgTensors ||
         name.rfind(lk::kDynamicExtentPrefix, 0) == 0;
}

}  // namespace

void PlanAssembler::remove_unused_tensors() {
  std::vector<bool> used(plan_.tensors.size(), false);
  for (const plan::TensorDesc& t : plan_.tensors) {
    used[t.id] = t.kind == plan::TensorKind::kInput || t.kind == plan::TensorKind::kOutput;
  }
  const auto mark = [&](std::int64_t id) {
    if (id >= 0 && static_cast<std::size_t>(id) < used.size()) used[static_cast<std::size_t>(id)] = true;
  };
  for (const plan::LayerDesc& layer : plan_.layers) {
    for (const plan::TensorId id : layer.inputs) if (id != plan::kAbsentTensor) mark(id);
    for (const plan::TensorId id : layer.outputs) mark(id);
    for (const auto& [name, value] : layer.params.all()) {
      if (!is_tensor_param(name)) continue;
      if (const auto* ids = std::get_if<std::vector<std::int64_t>>(&value)) {
        for (const std::int64_t id : *ids) mark(id);
      } else if (const auto* id = std::get_if<std::int64_t>(&value)) {
        mark(*id);
      }
    }
  }
  std::vector<std::int64_t> renumber(plan_.tensors.size(), -1);
  std::vector<plan::TensorDesc> kept;
  std::map<plan::TensorId, HostTensor> kept_constants;
  for (plan::TensorDesc& t : plan_.tensors) {
    if (!used[t.id]) continue;
    const auto new_id = static_cast<plan::TensorId>(kept.size());
    renumber[t.id] = new_id;
    if (auto it = constants_.find(t.id); it != constants_.end()) {
      kept_constants.emplace(new_id, std::move(it->second));
    }
    t.id = new_id;
    kept.push_back(std::move(t));
  }
  const auto map_id = [&](plan::TensorId id) {
    return id == plan::kAbsentTensor ? id : static_cast<plan::TensorId>(renumber.at(id));
  };
  for (plan::LayerDesc& layer : plan_.layers) {
    for (plan::TensorId& id : layer.inputs) id = map_id(id);
    for (plan::TensorId& id : layer.outputs) id = map_id(id);
    plan::LayerParams params;
    for (const auto& [name, value] : layer.params.all()) {
      plan::LayerParam mapped = value;
      if (is_tensor_param(name)) {
        if (auto* ids = std::get_if<std::vector<std::int64_t>>(&mapped)) {
          for (std::int64_t& id : *ids) if (id >= 0) id = renumber.at(static_cast<std::size_t>(id));
        } else if (auto* id = std::get_if<std::int64_t>(&mapped)) {
          if (*id >= 0) *id = renumber.at(static_cast<std::size_t>(*id));
        }
      }
      params.set(name, std::move(mapped));
    }
    layer.params = std::move(params);
  }
  for (auto& [value, id] : bound_) {
    id = renumber.at(id) < 0 ? plan::kAbsentTensor : static_cast<plan::TensorId>(renumber.at(id));
  }
  plan_.tensors = std::move(kept);
  constants_ = std::move(kept_constants);
  constant_by_content_.clear();
  written_.assign(plan_.tensors.size(), true);
}

void PlanAssembler::pack_weights() {
  plan::PlanWeightsBuilder weights;
  for (plan::TensorDesc& t : plan_.tensors) {
    if (t.kind != plan::TensorKind::kConstant) continue;
    const HostTensor& data = constants_.at(t.id);
    t.weights = weights.append(
        std::span<const std::byte>(static_cast<const std::byte*>(data.data()), data.byte_size()));
  }
  plan_.weights = weights.finish();
}

}  // namespace trtutils::builder
