// trtutils inspect MODEL.engine|MODEL.onnx [--json] [--no-layers]
//
// .engine: file layout (format version, checksum, sections), who built it and
// for which GPU, IO specs, memory, kernels by kind and every layer with its
// kernel, precision and the builder's choice; whether it can run here.
// .onnx: the imported graph (opsets, IO, node and weight counts) and every op
// used, with whether the CPU reference and the GPU engine support it.
// Neither needs a GPU.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "cli_common.hpp"
#include "commands.hpp"
#include "plan_report.hpp"
#include "table.hpp"
#include "trtutils/core/device.hpp"
#include "trtutils/ir/graph.hpp"
#include "trtutils/onnx/importer.hpp"
#include "trtutils/ops/registry.hpp"
#include "trtutils/plan/plan_reader.hpp"
#include "trtutils/runtime/engine.hpp"
#include "trtutils/version.hpp"

namespace trtutils::cli {

namespace {

namespace fs = std::filesystem;

struct InspectArgs {
  fs::path model;
  bool json = false;
  bool no_layers = false;
};

std::vector<std::byte> read_file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(detail::concat("cannot open ", path.string()));
  in.seekg(0, std::ios::end);
  std::vector<std::byte> bytes(static_cast<std::size_t>(in.tellg()));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!in) throw FileError(detail::concat("cannot read ", path.string()));
  return bytes;
}

/// Whether this machine can run the plan, and why not.
nlohmann::json gpu_json(const plan::Plan& plan) {
  nlohmann::json gpu;
  const int devices = visible_gpus();
  gpu["visible"] = devices > 0;
  if (devices == 0) {
    gpu["runnable"] = false;
    gpu["problem"] = "no CUDA device is visible";
    return gpu;
  }
  const core::DeviceProperties properties = core::device_properties(core::current_device());
  gpu["name"] = properties.name;
  gpu["arch"] = properties.sm_arch;
  try {
    runtime::check_plan_runnable(plan, properties.sm_arch);
    gpu["runnable"] = true;
  } catch (const std::exception& e) {
    gpu["runnable"] = false;
    gpu["problem"] = e.what();
  }
  return gpu;
}

int inspect_engine(const InspectArgs& args) {
  const std::vector<std::byte> bytes = read_file_bytes(args.model);
  plan::PlanReadOptions read_options;
  read_options.source_name = args.model.string();
  const plan::PlanFileInfo info = plan::read_plan_file_info(bytes, read_options);
  const plan::Plan plan = plan::read_plan_bytes(bytes, read_options);

  nlohmann::json json = plan_json(plan, !args.no_layers);
  json["file"] = args.model.string();
  json["kind"] = "engine";
  json["file_bytes"] = info.file_size;
  char checksum[20];
  std::snprintf(checksum, sizeof checksum, "%016llx",
                static_cast<unsigned long long>(info.checksum));
  json["checksum"] = checksum;
  json["sections"] = nlohmann::json::array();
  for (const plan::PlanSection& section : info.sections) {
    json["sections"].push_back(
        {{"tag", section.tag}, {"offset", section.range.offset}, {"bytes", section.range.size}});
  }
  json["tool_version"] = std::string(kVersionString);
  json["gpu"] = gpu_json(plan);

  if (args.json) {
    std::cout << json.dump(2) << "\n";
    return kExitOk;
  }
  std::ostream& out = std::cout;
  out << "engine " << args.model.string() << "\n";
  KeyValueList about;
  about.add("file", detail::concat(bytes_text(info.file_size), ", plan format ",
                                   info.format_version, ", checksum ", checksum));
  about.add("built by", detail::concat("trtutils ", plan.header.library_version, " (this is ",
                                       kVersionString, ")"));
  about.add("built at", utc_text(plan.header.build_time_unix_seconds));
  about.add("target GPU", plan.header.target_arch);
  about.add("precision", std::string(plan::precision_name(plan.header.precision)));
  about.add("batch", batch_text(plan));
  std::string options;
  for (const auto& [key, value] : plan.header.builder_options) {
    options += detail::concat(options.empty() ? "" : ", ", key, "=", value);
  }
  about.add("builder options", options.empty() ? "-" : options);
  const nlohmann::json& gpu = json["gpu"];
  if (!gpu["visible"].get<bool>()) {
    about.add("this machine", "no CUDA device visible");
  } else {
    about.add(
        "this machine",
        detail::concat(gpu["name"].get<std::string>(), " (", gpu["arch"].get<std::string>(), "): ",
                       gpu["runnable"].get<bool>() ? std::string("can run it")
                                                   : gpu["problem"].get<std::string>()));
  }
  about.print(out);
  out << "\nsections\n";
  Table sections({{"tag"}, {"offset", Table::Align::kRight}, {"bytes", Table::Align::kRight}});
  for (const plan::PlanSection& section : info.sections) {
    sections.add_row(
        {section.tag, std::to_string(section.range.offset), std::to_string(section.range.size)});
  }
  sections.print(out);
  out << "\ninputs and outputs\n";
  print_io(out, plan);
  if (plan.batch_range) {
    out << "\nbatch buckets (kernels and layers below: the opt bucket)\n";
    print_batch_buckets(out, plan);
  }
  out << "\nmemory\n";
  print_memory(out, plan_memory(plan));
  out << "\nkernels (" << plan.layers.size() << " layers)\n";
  print_kernels_by_kind(out, plan);
  if (!args.no_layers) {
    out << "\nlayers\n";
    print_layers(out, plan);
  }
  return kExitOk;
}

nlohmann::json value_json(const ir::Value& value) {
  nlohmann::json json;
  json["name"] = value.name();
  json["dtype"] = std::string(dtype_name(value.dtype()));
  if (value.shape()) {
    nlohmann::json dims = nlohmann::json::array();
    for (const ir::Dim& dim : *value.shape()) {
      if (dim.is_static()) {
        dims.push_back(dim.value);
      } else {
        dims.push_back(dim.symbol.empty() ? std::string("?") : dim.symbol);
      }
    }
    json["dims"] = dims;
  } else {
    json["dims"] = nullptr;
  }
  json["shape"] = ir::to_string(value.shape());
  return json;
}

int inspect_onnx(const InspectArgs& args) {
  // Import with the support check first, so that every problem the importer
  // knows (unsupported opsets, dtypes, attributes) is reported; then without,
  // to still show the graph.
  std::string import_problems;
  ir::Graph graph;
  try {
    graph = onnx::import_model(args.model);
  } catch (const UnsupportedError& e) {
    import_problems = e.what();
    onnx::ImportOptions lenient;
    lenient.check_support = false;
    graph = onnx::import_model(args.model, lenient);
  }
  const ops::OpRegistry& registry = ops::OpRegistry::builtin();

  struct OpUse {
    std::size_t count = 0;
    bool cpu = false;
    bool gpu = false;
  };
  std::map<std::string, OpUse> ops_used;  // "domain::op" or "op"
  for (const ir::Node* node : graph.nodes()) {
    const std::string key =
        node->domain().empty() ? node->op_type() : node->domain() + "::" + node->op_type();
    OpUse& use = ops_used[key];
    ++use.count;
    const ops::OpSchema* schema = registry.find(node->op_type(), node->domain());
    use.cpu = schema && schema->run_cpu;
    use.gpu = schema && schema->lower_gpu;
  }
  std::size_t weights = 0;
  std::uint64_t weight_bytes = 0;
  for (const ir::Value* value : graph.values()) {
    if (!value->is_constant() || value->producer()) continue;
    ++weights;
    weight_bytes += value->constant().byte_size();
  }
  bool gpu_supported = import_problems.empty();
  bool cpu_supported = import_problems.empty();
  for (const auto& [op, use] : ops_used) {
    gpu_supported = gpu_supported && use.gpu;
    cpu_supported = cpu_supported && use.cpu;
  }

  nlohmann::json json;
  json["file"] = args.model.string();
  json["kind"] = "onnx";
  json["graph_name"] = graph.name;
  json["opset_imports"] = graph.opset_imports;
  json["inputs"] = nlohmann::json::array();
  for (const ir::Value* value : graph.inputs()) json["inputs"].push_back(value_json(*value));
  json["outputs"] = nlohmann::json::array();
  for (const ir::Value* value : graph.outputs()) json["outputs"].push_back(value_json(*value));
  json["node_count"] = graph.node_count();
  json["weights"] = {{"count", weights}, {"bytes", weight_bytes}};
  json["ops"] = nlohmann::json::array();
  for (const auto& [op, use] : ops_used) {
    json["ops"].push_back(
        {{"op", op}, {"count", use.count}, {"cpu_reference", use.cpu}, {"gpu", use.gpu}});
  }
  json["supported"] = {{"gpu", gpu_supported}, {"cpu_reference", cpu_supported}};
  json["import_problems"] = import_problems;
  json["tool_version"] = std::string(kVersionString);

  if (args.json) {
    std::cout << json.dump(2) << "\n";
    return kExitOk;
  }
  std::ostream& out = std::cout;
  out << "onnx model " << args.model.string() << "\n";
  KeyValueList about;
  about.add("graph", graph.name.empty() ? std::string("-") : graph.name);
  std::string opsets;
  for (const auto& [domain, version] : graph.opset_imports) {
    opsets += detail::concat(opsets.empty() ? "" : ", ", domain.empty() ? "ai.onnx" : domain, " ",
                             version);
  }
  about.add("opsets", opsets.empty() ? "-" : opsets);
  about.add("nodes", std::to_string(graph.node_count()));
  about.add("weights", detail::concat(weights, " tensors, ", bytes_text(weight_bytes)));
  about.add("GPU engine", gpu_supported ? "every op supported" : "NOT fully supported");
  about.add("CPU reference", cpu_supported ? "every op supported" : "NOT fully supported");
  about.print(out);
  out << "\ninputs and outputs\n";
  Table io({{"io"}, {"name"}, {"dtype"}, {"shape"}});
  for (const ir::Value* value : graph.inputs()) {
    io.add_row({"input", value->name(), std::string(dtype_name(value->dtype())),
                ir::to_string(value->shape())});
  }
  for (const ir::Value* value : graph.outputs()) {
    io.add_row({"output", value->name(), std::string(dtype_name(value->dtype())),
                ir::to_string(value->shape())});
  }
  io.print(out);
  out << "\nops (" << ops_used.size() << " kinds)\n";
  Table ops({{"op"}, {"nodes", Table::Align::kRight}, {"cpu reference"}, {"gpu"}});
  for (const auto& [op, use] : ops_used) {
    ops.add_row({op, std::to_string(use.count), use.cpu ? "yes" : "NO", use.gpu ? "yes" : "NO"});
  }
  ops.print(out);
  if (!import_problems.empty()) out << "\nimport problems\n  " << import_problems << "\n";
  return kExitOk;
}

}  // namespace

Command add_inspect_command(CLI::App& app) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* command = app.add_subcommand(
      "inspect",
      "Show an engine (IO, layers, kernels, memory, target GPU) or an ONNX model "
      "(graph, ops and their support). No GPU needed.");
  command->add_option("MODEL", args->model, "an .engine or .onnx file")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_flag("--json", args->json, "print the report as JSON");
  command->add_flag("--no-layers", args->no_layers, "leave out the per-layer table of an engine");
  return {command, [args] {
            return is_onnx_path(args->model) ? inspect_onnx(*args) : inspect_engine(*args);
          }};
}

}  // namespace trtutils::cli
