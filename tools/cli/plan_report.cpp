#include "plan_report.hpp"

#include <algorithm>
#include <variant>

#include "cli_common.hpp"
#include "table.hpp"
#include "trtutils/core/error.hpp"
#include "trtutils/plan/batch_buckets.hpp"
#include "trtutils/plan/layer_kinds.hpp"

namespace trtutils::cli {

namespace kinds = plan::layer_kinds;

namespace {

std::string ints_text(const plan::LayerParams& params, const std::string& name) {
  if (!params.has(name)) return "?";
  const auto* values = std::get_if<std::vector<std::int64_t>>(&params.all().at(name));
  if (!values) return "?";
  std::string text = "(";
  for (std::size_t i = 0; i < values->size(); ++i) {
    text += (i ? "," : "") + std::to_string((*values)[i]);
  }
  return text + ")";
}

std::int64_t int_param(const plan::LayerParams& params, const std::string& name,
                       std::int64_t fallback) {
  if (!params.has(name)) return fallback;
  const auto* value = std::get_if<std::int64_t>(&params.all().at(name));
  return value ? *value : fallback;
}

/// Bytes of the largest tensor the spec accepts (a dynamic dim at its profile's max).
std::uint64_t tensor_bytes(const plan::TensorSpec& spec) {
  std::uint64_t count = 1;
  for (std::size_t i = 0; i < spec.dims.size(); ++i) {
    std::int64_t d = spec.dims[i];
    if (d < 0) d = spec.profile ? spec.profile->max.at(i) : 0;
    count *= static_cast<std::uint64_t>(d);
  }
  return count * dtype_size(spec.dtype);
}

std::string tensor_names(const plan::Plan& plan, const std::vector<plan::TensorId>& ids) {
  std::string text;
  for (const plan::TensorId id : ids) {
    text += text.empty() ? "" : ", ";
    text += id == plan::kAbsentTensor || id >= plan.tensors.size() ? std::string("-")
                                                                   : plan.tensors[id].name;
  }
  return text;
}

nlohmann::json tensor_names_json(const plan::Plan& plan, const std::vector<plan::TensorId>& ids) {
  nlohmann::json names = nlohmann::json::array();
  for (const plan::TensorId id : ids) {
    if (id == plan::kAbsentTensor || id >= plan.tensors.size()) {
      names.push_back(nullptr);
    } else {
      names.push_back(plan.tensors[id].name);
    }
  }
  return names;
}

}  // namespace

PlanMemoryReport plan_memory(const plan::Plan& plan) {
  PlanMemoryReport memory;
  memory.weights_bytes = plan.weights.size();
  memory.arena_bytes = plan.arena_bytes;
  memory.workspace_bytes = plan.workspace_bytes;
  // A context allocates for its largest bucket; the caller's buffers for max.
  for (const plan::BatchBucket& bucket : plan.batch_buckets) {
    memory.arena_bytes = std::max(memory.arena_bytes, bucket.arena_bytes);
    memory.workspace_bytes = std::max(memory.workspace_bytes, bucket.workspace_bytes);
  }
  for (const plan::TensorSpec& spec : plan.io) {
    memory.io_bytes += tensor_bytes(spec);
    if (plan.batch_range && plan::is_batched(spec)) memory.padded_io_bytes += tensor_bytes(spec);
  }
  for (const plan::TensorDesc& tensor : plan.tensors) {
    if (tensor.kind == plan::TensorKind::kConstant) ++memory.constants;
    if (tensor.kind == plan::TensorKind::kActivation) ++memory.activations;
  }
  return memory;
}

std::map<std::string, std::size_t> kernels_by_kind(const plan::Plan& plan) {
  std::map<std::string, std::size_t> counts;
  for (const plan::LayerDesc& layer : plan.layers) ++counts[layer.kernel];
  return counts;
}

std::string layer_detail(const plan::Plan& plan, const plan::LayerDesc& layer) {
  const plan::LayerParams& p = layer.params;
  if (layer.kernel == kinds::kNvrtcKernel) {
    const std::string entry =
        p.has(kinds::nvrtc::kEntry) ? p.get_string(kinds::nvrtc::kEntry) : "?";
    return detail::concat(entry, " grid ", ints_text(p, kinds::nvrtc::kGrid), " block ",
                          ints_text(p, kinds::nvrtc::kBlock), " shared ",
                          int_param(p, kinds::nvrtc::kShared, 0));
  }
  if (layer.kernel == kinds::kCudnnConvolution) {
    namespace c = kinds::convolution;
    const std::int64_t algorithm = int_param(p, c::kAlgorithm, -1);
    return detail::concat(
        "cuDNN algorithm ", algorithm, " math type ", int_param(p, c::kMathType, 0), " workspace ",
        bytes_text(static_cast<std::uint64_t>(int_param(p, c::kWorkspaceBytes, 0))), " filter ",
        ints_text(p, c::kFilterShape), " epilogue ",
        int_param(p, c::kFused, 0) != 0 ? "fused" : "separate");
  }
  if (layer.kernel == kinds::kCublasLtMatmul) {
    namespace m = kinds::matmul;
    const bool tuned = p.has(m::kAlgorithm) && !p.get_bytes(m::kAlgorithm).empty();
    return detail::concat(
        "m ", int_param(p, m::kM, 0), " n ", int_param(p, m::kN, 0), " k ", int_param(p, m::kK, 0),
        " batch ", int_param(p, m::kBatch, 1), " epilogue ", int_param(p, m::kEpilogue, 0),
        " algorithm ", tuned ? "tuned" : "heuristic (not tuned)", " workspace ",
        bytes_text(static_cast<std::uint64_t>(int_param(p, m::kWorkspaceBytes, 0))));
  }
  if (layer.kernel == kinds::kCopy && !layer.inputs.empty() &&
      layer.inputs[0] < plan.tensors.size()) {
    const plan::TensorDesc& in = plan.tensors[layer.inputs[0]];
    std::uint64_t count = 1;
    for (const std::int64_t d : in.dims) count *= static_cast<std::uint64_t>(d < 0 ? 0 : d);
    return detail::concat(bytes_text(count * dtype_size(in.dtype)));
  }
  return "";
}

nlohmann::json tensor_spec_json(const plan::TensorSpec& spec) {
  return {{"name", spec.name}, {"dtype", std::string(dtype_name(spec.dtype))}, {"dims", spec.dims}};
}

nlohmann::json plan_json(const plan::Plan& plan, bool with_layers) {
  nlohmann::json json;
  const plan::PlanHeader& h = plan.header;
  json["format_version"] = h.format_version;
  json["library_version"] = h.library_version;
  json["target_arch"] = h.target_arch;
  json["precision"] = std::string(plan::precision_name(h.precision));
  json["build_time_unix"] = h.build_time_unix_seconds;
  json["build_time"] = utc_text(h.build_time_unix_seconds);
  json["builder_options"] = h.builder_options;
  json["inputs"] = nlohmann::json::array();
  json["outputs"] = nlohmann::json::array();
  for (const plan::TensorSpec& spec : plan.io) {
    json[spec.is_input ? "inputs" : "outputs"].push_back(tensor_spec_json(spec));
  }
  const PlanMemoryReport memory = plan_memory(plan);
  json["memory"] = {{"weights_bytes", memory.weights_bytes},
                    {"arena_bytes", memory.arena_bytes},
                    {"workspace_bytes", memory.workspace_bytes},
                    {"io_bytes", memory.io_bytes},
                    {"constants", memory.constants},
                    {"activations", memory.activations}};
  json["memory"]["padded_io_bytes"] = memory.padded_io_bytes;
  json["batch"] = batch_json(plan);
  json["layer_count"] = plan.layers.size();
  json["kernels_by_kind"] = kernels_by_kind(plan);
  if (with_layers) {
    json["layers"] = nlohmann::json::array();
    for (std::size_t i = 0; i < plan.layers.size(); ++i) {
      const plan::LayerDesc& layer = plan.layers[i];
      json["layers"].push_back({{"index", i},
                                {"name", layer.name},
                                {"kernel", layer.kernel},
                                {"precision", std::string(plan::precision_name(layer.precision))},
                                {"inputs", tensor_names_json(plan, layer.inputs)},
                                {"outputs", tensor_names_json(plan, layer.outputs)},
                                {"detail", layer_detail(plan, layer)}});
    }
  }
  return json;
}

nlohmann::json batch_json(const plan::Plan& plan) {
  if (!plan.batch_range) return nullptr;
  nlohmann::json buckets = nlohmann::json::array();
  for (const std::int64_t batch : plan::bucket_batches(plan)) {
    const plan::Plan bucket = plan::bucket_plan(plan, batch);
    buckets.push_back({{"batch", batch},
                       {"layers", bucket.layers.size()},
                       {"arena_bytes", bucket.arena_bytes},
                       {"workspace_bytes", bucket.workspace_bytes}});
  }
  return {{"min", plan.batch_range->min},
          {"opt", plan.batch_range->opt},
          {"max", plan.batch_range->max},
          {"buckets", buckets}};
}

std::string batch_text(const plan::Plan& plan) {
  if (!plan.batch_range) return "static";
  std::string buckets;
  for (const std::int64_t b : plan::bucket_batches(plan)) {
    buckets += detail::concat(buckets.empty() ? "" : ", ", b);
  }
  return detail::concat(plan.batch_range->min, "..", plan.batch_range->max, " (opt ",
                        plan.batch_range->opt, "), buckets ", buckets);
}

void print_batch_buckets(std::ostream& out, const plan::Plan& plan) {
  Table table({{"batch", Table::Align::kRight},
               {"layers", Table::Align::kRight},
               {"arena", Table::Align::kRight},
               {"workspace", Table::Align::kRight}});
  for (const std::int64_t batch : plan::bucket_batches(plan)) {
    const plan::Plan bucket = plan::bucket_plan(plan, batch);
    table.add_row({detail::concat(batch, batch == plan.batch_range->opt ? " (opt)" : ""),
                   std::to_string(bucket.layers.size()), bytes_text(bucket.arena_bytes),
                   bytes_text(bucket.workspace_bytes)});
  }
  table.print(out);
}

void print_io(std::ostream& out, const plan::Plan& plan) {
  Table table({{"io"}, {"name"}, {"dtype"}, {"shape"}, {"bytes", Table::Align::kRight}});
  for (const plan::TensorSpec& spec : plan.io) {
    table.add_row({spec.is_input ? "input" : "output", spec.name,
                   std::string(dtype_name(spec.dtype)), dims_text(spec.dims),
                   bytes_text(tensor_bytes(spec))});
  }
  table.print(out);
}

void print_memory(std::ostream& out, const PlanMemoryReport& memory) {
  KeyValueList list;
  list.add("weights (per engine)", detail::concat(bytes_text(memory.weights_bytes), " in ",
                                                  memory.constants, " constants"));
  list.add("activations (per context)",
           detail::concat(bytes_text(memory.arena_bytes), " arena for ", memory.activations,
                          " tensors"));
  list.add("workspace (per context)", bytes_text(memory.workspace_bytes));
  list.add("inputs + outputs (caller)", bytes_text(memory.io_bytes));
  if (memory.padded_io_bytes > 0) {
    list.add("padded inputs + outputs (per context)", bytes_text(memory.padded_io_bytes));
  }
  list.print(out);
}

void print_kernels_by_kind(std::ostream& out, const plan::Plan& plan) {
  Table table({{"kernel kind"}, {"layers", Table::Align::kRight}});
  for (const auto& [kind, count] : kernels_by_kind(plan)) {
    table.add_row({kind, std::to_string(count)});
  }
  table.print(out);
}

void print_layers(std::ostream& out, const plan::Plan& plan) {
  Table table({{"#", Table::Align::kRight},
               {"layer"},
               {"kernel"},
               {"prec"},
               {"inputs -> outputs"},
               {"detail"}});
  for (std::size_t i = 0; i < plan.layers.size(); ++i) {
    const plan::LayerDesc& layer = plan.layers[i];
    table.add_row({std::to_string(i), layer.name, layer.kernel,
                   std::string(plan::precision_name(layer.precision)),
                   tensor_names(plan, layer.inputs) + " -> " + tensor_names(plan, layer.outputs),
                   layer_detail(plan, layer)});
  }
  table.print(out);
}

}  // namespace trtutils::cli
