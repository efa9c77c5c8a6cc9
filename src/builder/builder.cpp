#include "trtutils/builder/builder.hpp"

#include <algorithm>
#include <chrono>
#include <regex>
#include <set>

#include "builder/autotune.hpp"
#include "builder/batch_build.hpp"
#include "builder/graph_preparation.hpp"
#include "builder/kernel_compilation.hpp"
#include "builder/node_lowering_context.hpp"
#include "builder/plan_assembler.hpp"
#include "trtutils/builder/fusion.hpp"
#include "trtutils/builder/memory_planner.hpp"
#include "trtutils/core/device.hpp"
#include "trtutils/onnx/importer.hpp"
#include "trtutils/ops/internal_ops.hpp"
#include "trtutils/passes/passes.hpp"
#include "trtutils/plan/plan_validation.hpp"

namespace trtutils::builder {

void lower_fused_elementwise(ops::LoweringContext& ctx, const ir::Graph& subgraph);

namespace {

struct Progress {
  const ProgressCallback& callback;
  void operator()(std::string_view stage, double fraction) const {
    if (callback) callback(stage, fraction);
  }
};

std::string resolve_arch(const BuildOptions& options) {
  const int devices = core::device_count();
  if (options.autotune && devices == 0) {
    throw InvalidArgument(
        "BuildOptions: autotuning needs a GPU and none is visible; turn autotune off and give "
        "target_arch (e.g. \"sm_90\") to build without one");
  }
  if (!options.target_arch.empty()) {
    if (options.autotune) {
      const std::string here = core::device_properties(core::current_device()).sm_arch;
      TRTUTILS_CHECK(here == options.target_arch, "BuildOptions: target arch ",
                     options.target_arch, " but this GPU is ", here,
                     "; autotuning times on this GPU, so build on a ", options.target_arch,
                     " GPU or turn autotune off");
    }
    return options.target_arch;
  }
  TRTUTILS_CHECK(devices > 0, "BuildOptions: no GPU is visible, so give target_arch (e.g. "
                              "\"sm_90\") and turn autotune off");
  return core::device_properties(core::current_device()).sm_arch;
}

/// Graph inputs become kInput tensors (plus a cast to the build precision),
/// graph outputs kOutput tensors (a cast, copy or the value itself).
void bind_graph_io(const ir::Graph& graph, PlanAssembler& assembler) {
  for (const ir::Value* in : graph.inputs()) {
    const Shape dims = ir::to_static(*in->shape());
    const plan::TensorId id = assembler.add_tensor(in->name(), in->dtype(), dims,
                                                   plan::TensorKind::kInput);
    const DType device = assembler.device_dtype(in->dtype());
    if (device == in->dtype()) {
      assembler.bind(in, id);
      continue;
    }
    const plan::TensorId cast = assembler.add_tensor(
        detail::concat(in->name(), ":", dtype_name(device)), device, dims,
        plan::TensorKind::kActivation);
    assembler.add_cast(detail::concat("cast_input:", in->name()), id, cast);
    assembler.bind(in, cast);
    assembler.set_converted(in, id);  // fp32 nodes read the input as given
  }
  for (const ir::Value* out : graph.outputs()) {
    if (!out->is_constant() && !assembler.tensor_of(out) && !ir::is_static(out->shape())) {
      // A data-dependent shape: its lowering declares the upper bound, and the
      // tensor is made then (kOutput when the dtype allows writing in place).
      assembler.defer_graph_output(out);
      continue;
    }
    const bool direct = !out->is_constant() && !assembler.tensor_of(out) &&
                        assembler.value_dtype(*out) == out->dtype();
    if (direct) {
      assembler.bind(out, assembler.add_tensor(out->name(), out->dtype(),
                                               ir::to_static(*out->shape()),
                                               plan::TensorKind::kOutput));
    } else if (!out->is_constant() && !assembler.tensor_of(out)) {
      // Computed in the build precision, cast to the declared dtype at the end;
      // the output's own name stays free for its engine output tensor.
      const DType device = assembler.value_dtype(*out);
      assembler.bind(out, assembler.add_tensor(detail::concat(out->name(), ":", dtype_name(device)),
                                               device, ir::to_static(*out->shape()),
                                               plan::TensorKind::kActivation));
    }
  }
}

/// After all nodes: graph outputs not written in place get a cast or copy.
void finish_graph_outputs(const ir::Graph& graph, PlanAssembler& assembler) {
  for (const ir::Value* out : graph.outputs()) {
    if (out->is_constant() && !assembler.tensor_of(out)) {
      // Keep the output's name free for its engine output tensor.
      assembler.bind(out, assembler.add_constant(out->name() + ":constant", out->constant()));
    }
    const plan::TensorId source = assembler.tensor_for(*out);
    if (assembler.plan().tensor(source).kind == plan::TensorKind::kOutput &&
        assembler.plan().tensor(source).name == out->name()) {
      continue;
    }
    const Shape dims = assembler.static_shape(*out);
    const plan::TensorId target =
        assembler.add_tensor(out->name(), out->dtype(), dims, plan::TensorKind::kOutput);
    const std::size_t layers_before = assembler.plan().layers.size();
    assembler.add_copy(detail::concat("output:", out->name()), source, target);
    if (assembler.plan().layers.size() == layers_before) continue;  // empty: nothing copied
    // A data-dependent extent travels with the copy (output 0 of the copy):
    // the layer that wrote `source` names it by its index in its outputs.
    namespace lk = plan::layer_kinds;
    std::vector<plan::LayerDesc>& layers = assembler.plan().layers;
    for (std::size_t l = layers_before; l-- > 0;) {
      const auto at = std::find(layers[l].outputs.begin(), layers[l].outputs.end(), source);
      if (at == layers[l].outputs.end()) continue;
      const auto index = static_cast<std::size_t>(at - layers[l].outputs.begin());
      const std::string key = detail::concat(lk::kDynamicExtentPrefix, index);
      if (layers[l].params.has(key)) {
        const std::int64_t count = layers[l].params.get_int(key);
        const std::int64_t axis =
            layers[l].params.get_int(detail::concat(lk::kDynamicExtentAxisPrefix, index), 0);
        layers.back().params.set(detail::concat(lk::kDynamicExtentPrefix, 0), count);
        layers.back().params.set(detail::concat(lk::kDynamicExtentAxisPrefix, 0), axis);
      }
      break;
    }
  }
}

std::vector<plan::TensorSpec> io_specs(const ir::Graph& graph, const plan::Plan& plan) {
  std::vector<plan::TensorSpec> specs;
  for (const ir::Value* in : graph.inputs()) {
    const Shape dims = ir::to_static(*in->shape());
    specs.push_back({in->name(), in->dtype(), {dims.begin(), dims.end()}, std::nullopt, true});
  }
  for (const ir::Value* out : graph.outputs()) {
    // The engine output tensor's dims: the declared shape, or the upper bound
    // of a data-dependent output (the runtime trims it after running).
    const auto tensor = std::find_if(plan.tensors.begin(), plan.tensors.end(), [&](const auto& t) {
      return t.kind == plan::TensorKind::kOutput && t.name == out->name();
    });
    TRTUTILS_CHECK(tensor != plan.tensors.end(), "graph output '", out->name(),
                   "' has no engine output tensor");
    specs.push_back({out->name(), out->dtype(), tensor->dims, std::nullopt, false});
  }
  return specs;
}

void check_lowerings_exist(const ir::Graph& graph, const ops::OpRegistry& registry) {
  std::string missing;
  std::size_t count = 0;
  for (const ir::Node* node : graph.nodes()) {
    if (is_fused_elementwise(*node)) continue;
    const ops::OpSchema* schema = registry.find(node->op_type(), node->domain());
    if (schema && schema->lower_gpu) continue;
    ++count;
    missing += detail::concat("\n  ", node->describe(), schema ? "" : " (op not in the registry)");
  }
  if (count != 0) {
    throw UnsupportedError(detail::concat(count, " node(s) have no GPU implementation yet:", missing));
  }
}

/// The nodes BuildOptions::fp32_nodes keeps in f32 (none in an fp32 build).
std::set<const ir::Node*> select_fp32_nodes(const ir::Graph& graph, const BuildOptions& options) {
  std::set<const ir::Node*> selected;
  if (options.precision == plan::Precision::kFloat32 || options.fp32_nodes.empty()) return selected;
  std::vector<std::regex> patterns;
  for (const std::string& p : options.fp32_nodes) patterns.emplace_back(p, std::regex::ECMAScript);
  for (const ir::Node* node : graph.nodes()) {
    for (const std::regex& pattern : patterns) {
      if (std::regex_search(node->name(), pattern)) {
        selected.insert(node);
        break;
      }
    }
  }
  return selected;
}

void lower_nodes(const ir::Graph& graph, const ops::OpRegistry& registry,
                 const FusedSubgraphs& fused, PlanAssembler& assembler, const Progress& progress) {
  std::set<const ir::Value*> dynamic_values;
  std::vector<std::string> refusals;
  std::set<std::string> build_time_inputs;
  const std::vector<ir::Node*> nodes = graph.nodes();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const ir::Node& node = *nodes[i];
    try {
      assembler.set_layer_precision(assembler.is_fp32_node(&node) ? plan::Precision::kFloat32
                                                                   : assembler.precision());
      NodeLoweringContext ctx(node, graph.opset(), assembler, dynamic_values);
      if (is_fused_elementwise(node)) {
        lower_fused_elementwise(ctx, *fused.by_node.at(node.name()));
      } else {
        registry.find(node.op_type(), node.domain())->lower_gpu(ctx);
      }
      ctx.finish();
    } catch (const UnsupportedError& e) {
      refusals.push_back(e.what());
      const std::string what = e.what();
      if (what.find("known at build time") != std::string::npos ||
          what.find("needs static shapes") != std::string::npos) {
        for (const std::string& name : shape_deciding_graph_inputs(graph, node)) {
          build_time_inputs.insert(name);
        }
      }
      // Later nodes may read this node's outputs: give them tensors so the
      // remaining refusals are still found (the plan is discarded).
      for (const ir::Value* out : node.outputs()) {
        if (out && ir::is_static(out->shape()) && !assembler.tensor_of(out)) {
          assembler.tensor_for(*out);
        }
      }
    }
    progress("lower", 0.15 + 0.35 * static_cast<double>(i + 1) / static_cast<double>(nodes.size()));
  }
  if (refusals.empty()) return;
  std::string message = detail::concat(refusals.size(), " node(s) cannot be built:");
  for (const std::string& r : refusals) message += "\n  " + r;
  if (!build_time_inputs.empty()) {
    std::string names;
    for (const std::string& n : build_time_inputs) names += (names.empty() ? "'" : ", '") + n + "'";
    message += detail::concat("\ninput(s) ", names,
                              " must be known at build time: give them in "
                              "BuildOptions::constant_inputs");
    throw BuildTimeInputsError(message, {build_time_inputs.begin(), build_time_inputs.end()});
  }
  throw UnsupportedError(message);
}

}  // namespace

plan::Plan build_for_one_batch(ir::Graph graph, const BuildOptions& options,
                               const ops::OpRegistry& base_registry, BuildReport* report) {
  validate_options(options);
  const Progress progress{options.progress};
  const std::string arch = resolve_arch(options);
  // The passes may create internal ops (trtutils.ConvNHWC): lower with them known.
  const ops::OpRegistry registry = ops::with_internal_ops(base_registry);

  progress("simplify", 0.0);
  prepare_graph(graph, options, registry);
  FusedSubgraphs fused;
  BuildReport counts;
  if (options.fuse) {
    progress("fuse", 0.1);
    counts = run_fusion_passes(graph, uses_channels_last(options), fused);
  }
  if (report) *report = counts;
  progress("lower", 0.15);
  check_lowerings_exist(graph, registry);
  PlanAssembler assembler(options.precision);
  assembler.set_fp32_nodes(select_fp32_nodes(graph, options));
  bind_graph_io(graph, assembler);
  lower_nodes(graph, registry, fused, assembler, progress);
  finish_graph_outputs(graph, assembler);
  assembler.remove_unread_layers("cast_input:");
  assembler.remove_unused_tensors();

  plan::Plan& plan = assembler.plan();
  progress("compile kernels", 0.5);
  compile_kernels(plan, arch, options.kernel_cache_dir, [&](std::size_t done, std::size_t total) {
    progress("compile kernels", 0.5 + 0.3 * static_cast<double>(done) / static_cast<double>(total));
  });
  progress("autotune", 0.8);
  choose_algorithms(plan, options, arch, [&](std::size_t done, std::size_t total) {
    progress("autotune", 0.8 + 0.15 * static_cast<double>(done) / static_cast<double>(total));
  });
  progress("pack weights", 0.95);
  assembler.pack_weights();
  progress("plan memory", 0.97);
  assign_arena(plan);

  plan.header.target_arch = arch;
  plan.header.precision = options.precision;
  plan.header.build_time_unix_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count();
  plan.header.builder_options = describe_options(options);
  plan.io = io_specs(graph, plan);
  progress("validate", 0.99);
  plan::validate_plan(plan);
  progress("done", 1.0);
  return std::move(plan);
}

plan::Plan build(ir::Graph graph, const BuildOptions& options, const ops::OpRegistry& registry) {
  return build(std::move(graph), options, registry, nullptr);
}
// build(graph, options, registry, report): batch_build.cpp (one plan, or one per batch bucket).

plan::Plan build(const std::filesystem::path& onnx_path, const BuildOptions& options,
                 BuildReport* report) {
  return build(onnx::import_model(onnx_path), options, ops::OpRegistry::builtin(), report);
}

}  // namespace trtutils::builder
