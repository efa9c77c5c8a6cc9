// trtutils-bench-engine: GPU latency of one engine, without and with a CUDA
// graph, and the host cost of one direct_exec call (bench/run_benchmarks.py
// runs it next to PyTorch; see bench/README.md).
//
//   trtutils-bench-engine model.onnx --batch 32 --precision fp16
//
// 1. Engine: MODEL.onnx is built with the builder (BuildOptions::batch =
//    {N, N, N} for an input whose axis 0 is dynamic; a static axis 0 must
//    already be N) and saved next to it as model.b<N>.<prec>.engine (or
//    --engine FILE). A cached engine is reused when it is newer than the ONNX
//    file, loads, and has the precision and batch asked for; --rebuild forces
//    a build. MODEL may also be a .engine file (no build).
// 2. Inputs: one device buffer per engine input, filled once with standard
//    normal values (seeded; never zeros), converted to the input's dtype.
//    The engine writes into its own output buffers. The pointers stay the
//    same for every call, so the graph configuration records once and then
//    only replays (graph_captures in the JSON says so).
// 3. For each configuration (no_graph, graph): warm-up calls, then
//    `iterations` calls, each bracketed by CUDA events on the engine's
//    stream and synchronised before the next (latency of one inference from
//    an idle queue); median / p90 / min / mean in ms. Then `host_calls`
//    calls timed on the host around direct_exec alone (the stream is
//    synchronised before each, outside the timed region, so the launch
//    queue is empty and the call never blocks on a full queue): median / p90
//    in microseconds. With the graph this is the host overhead of a replay,
//    and it is split: the recorded graph's nodes by type and its edges
//    (graph_* fields), a bare cudaGraphLaunch of the same graph timed the
//    same way (host_graph_launch_*; host_ours_median_us is the rest: our
//    checks around the launch), and a reference launch of a straight line of
//    as many empty kernels (host_reference_launch_*: the cost of that many
//    nodes when their types and attributes play no part).
// 4. One JSON line per configuration on stdout; progress on stderr. The
//    first output of each configuration is copied back and checked for
//    non-finite values; the graph's output is compared with the no-graph
//    output (they run the same kernels on the same input).
//
// Exit status: 0 when every configuration ran, 1 on an error (a JSON line
// with "error" is printed), 2 on bad usage.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>

#include <nlohmann/json.hpp>
#include <iomanip>
#include <iostream>
#include <limits>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bench_options.hpp"
#include "trtutils/builder/build_options.hpp"
#include "trtutils/builder/builder.hpp"
#include "trtutils/core/cuda_graph.hpp"
#include "trtutils/core/device.hpp"
#include "trtutils/core/error.hpp"
#include "trtutils/core/event.hpp"
#include "trtutils/core/graph_rewrite.hpp"
#include "trtutils/core/kernel.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/core/stream.hpp"
#include "trtutils/plan/plan.hpp"
#include "trtutils/plan/plan_reader.hpp"
#include "trtutils/plan/plan_writer.hpp"
#include "trtutils/runtime/trt_engine.hpp"
#include "trtutils/tensor/host_tensor.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

using trtutils::tools::bench_engine::Options;

struct Stats {
  double median = 0.0;
  double p90 = 0.0;
  double min = 0.0;
  double mean = 0.0;
};

/// Median (mean of the two middle values for an even count), p90 (nearest
/// rank), min, mean.
Stats stats_of(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  const auto rank = static_cast<std::size_t>(std::ceil(0.9 * static_cast<double>(n)));
  s.p90 = v[std::min(n - 1, rank == 0 ? 0 : rank - 1)];
  s.min = v.front();
  double sum = 0.0;
  for (const double x : v) sum += x;
  s.mean = sum / static_cast<double>(n);
  return s;
}

// JSON text for one value, escaped by nlohmann_json (as the CLI does).
std::string json_string(std::string_view text) { return nlohmann::json(std::string(text)).dump(); }

// Non-finite numbers have no JSON spelling: null.
std::string json_number(double v) {
  return std::isfinite(v) ? nlohmann::json(v).dump() : std::string("null");
}

std::string dims_json(const std::vector<std::int64_t>& dims) {
  std::string text = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    text += (i ? "," : "") + std::to_string(dims[i]);
  }
  return text + "]";
}

std::int64_t input_batch(const trtutils::plan::Plan& plan) {
  for (const trtutils::plan::TensorSpec& spec : plan.io) {
    if (spec.is_input && !spec.dims.empty()) return spec.dims[0];
  }
  return -1;
}

/// Why a cached engine cannot be used, or nothing when it can.
std::optional<std::string> cache_mismatch(const trtutils::plan::Plan& plan,
                                          const Options& options) {
  if (plan.header.precision != options.precision) {
    return trtutils::detail::concat("it was built at ",
                                    trtutils::plan::precision_name(plan.header.precision));
  }
  if (input_batch(plan) != options.batch) {
    return trtutils::detail::concat("its batch is ", input_batch(plan));
  }
  const std::string arch = trtutils::core::device_properties(options.device).sm_arch;
  if (plan.header.target_arch != arch) {
    return trtutils::detail::concat("it targets ", plan.header.target_arch, ", this GPU is ", arch);
  }
  return std::nullopt;
}

struct LoadedPlan {
  trtutils::plan::Plan plan;
  bool cached = false;
  double build_seconds = 0.0;
  fs::path engine_path;
};

LoadedPlan obtain_plan(const Options& options) {
  namespace tb = trtutils::builder;
  LoadedPlan loaded;
  if (options.model.extension() == ".engine") {
    loaded.plan = trtutils::plan::read_plan(options.model);
    loaded.cached = true;
    loaded.engine_path = options.model;
    const auto mismatch = cache_mismatch(loaded.plan, options);
    TRTUTILS_CHECK(!mismatch, "cannot run ", options.model.string(), " as asked: ", *mismatch,
                   " (pass the matching --batch / --precision, or build from the ONNX file)");
    return loaded;
  }
  TRTUTILS_CHECK(fs::exists(options.model), "no model file ", options.model.string());
  loaded.engine_path =
      options.engine.empty()
          ? options.model.parent_path() /
                trtutils::detail::concat("model.b", options.batch, ".",
                                         trtutils::plan::precision_name(options.precision),
                                         ".engine")
          : options.engine;
  std::error_code ec;
  if (!options.rebuild && fs::exists(loaded.engine_path, ec) &&
      fs::last_write_time(loaded.engine_path, ec) >= fs::last_write_time(options.model, ec)) {
    try {
      trtutils::plan::Plan plan = trtutils::plan::read_plan(loaded.engine_path);
      const auto mismatch = cache_mismatch(plan, options);
      if (!mismatch) {
        loaded.plan = std::move(plan);
        loaded.cached = true;
        std::cerr << "bench-engine: using the cached " << loaded.engine_path.string() << "\n";
        return loaded;
      }
      std::cerr << "bench-engine: rebuilding: the cached " << loaded.engine_path.string()
                << " does not fit (" << *mismatch << ")\n";
    } catch (const std::exception& e) {
      std::cerr << "bench-engine: rebuilding: the cached " << loaded.engine_path.string()
                << " does not load (" << e.what() << ")\n";
    }
  }
  tb::BuildOptions build_options;
  build_options.precision = options.precision;
  build_options.autotune = options.autotune;
  build_options.timing_cache = options.timing_cache;
  // Used only for inputs whose axis 0 is dynamic; a static axis 0 is checked below.
  build_options.batch = tb::BatchProfile{options.batch, options.batch, options.batch};
  if (options.verbose) {
    build_options.progress = [last = std::string()](std::string_view stage,
                                                    double fraction) mutable {
      if (stage == last) return;
      last = std::string(stage);
      std::cerr << "  [build] " << stage << " (" << std::fixed << std::setprecision(0)
                << fraction * 100.0 << "%)\n";
    };
  }
  std::cerr << "bench-engine: building " << options.model.string() << " (batch " << options.batch
            << ", " << trtutils::plan::precision_name(options.precision) << ")\n";
  const auto t0 = Clock::now();
  loaded.plan = tb::build(options.model, build_options);
  loaded.build_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const std::int64_t batch = input_batch(loaded.plan);
  TRTUTILS_CHECK(batch == options.batch, options.model.string(), " has a static batch of ", batch,
                 ", not ", options.batch,
                 ": export it at that batch (bench/models/export_models.py --batch ",
                 options.batch, ") or with a dynamic batch axis (--dynamic-batch)");
  trtutils::plan::write_plan(loaded.engine_path, loaded.plan);
  return loaded;
}

/// A standard-normal host tensor of `dims`, converted to `dtype`.
trtutils::HostTensor random_input(const std::vector<std::int64_t>& dims, trtutils::DType dtype,
                                  std::mt19937_64& generator) {
  trtutils::HostTensor values(dims, trtutils::DType::kFloat32);
  std::normal_distribution<float> normal(0.0F, 1.0F);
  for (float& v : values.values<float>()) v = normal(generator);
  return dtype == trtutils::DType::kFloat32 ? values : values.cast(dtype);
}

/// Where the host time of a graph replay goes (graph configuration only).
struct GraphHostSplit {
  trtutils::core::GraphSummary graph;
  /// cudaGraphLaunch alone of the same recorded graph (instantiated again
  /// here), from an empty queue as direct_exec is timed.
  Stats launch_us;
  /// The same for a straight line of as many empty kernels: what a launch of
  /// that many nodes costs on this machine when node types play no part.
  Stats reference_launch_us;
  /// The graph again with its programmatic (PDL) edges made full
  /// (make_programmatic_edges_full): its launch cost, and the GPU time of a
  /// replay of each, to weigh PDL's host cost against its overlap.
  std::size_t full_edges_changed = 0;
  Stats full_edges_launch_us;
  Stats replay_gpu_ms;
  Stats full_edges_replay_gpu_ms;
};

struct ConfigResult {
  std::string config;
  Stats gpu_ms;
  Stats host_us;
  std::optional<GraphHostSplit> split;
  std::size_t graph_captures = 0;
  std::int64_t non_finite = 0;
  double max_abs_vs_no_graph = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0.0;
};

trtutils::HostTensor copy_output(const trtutils::runtime::TRTEngine& engine, const void* device) {
  const trtutils::plan::TensorSpec& spec = engine.output_specs().front();
  trtutils::HostTensor out(spec.dims, spec.dtype);
  trtutils::core::memcpy_device_to_host(out.data(), device, out.byte_size());
  return out.dtype() == trtutils::DType::kFloat64 ? out : out.cast(trtutils::DType::kFloat64);
}

/// Median / p90 / min / mean host microseconds of `calls` launches, each from
/// an empty queue (synchronised before, outside the timed region).
Stats time_launches(const trtutils::core::GraphExec& exec, trtutils::core::StreamView stream,
                    int calls) {
  exec.launch(stream);  // the first launch uploads the graph
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(calls));
  for (int i = 0; i < calls; ++i) {
    stream.synchronize();
    const auto t0 = Clock::now();
    exec.launch(stream);
    const auto t1 = Clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  stream.synchronize();
  return stats_of(std::move(us));
}

/// GPU milliseconds of `calls` replays, events around each, synchronised
/// before the next.
Stats time_replays(const trtutils::core::GraphExec& exec, trtutils::core::StreamView stream,
                   int calls) {
  namespace core = trtutils::core;
  exec.launch(stream);
  core::Event start;
  core::Event end;
  std::vector<double> ms;
  ms.reserve(static_cast<std::size_t>(calls));
  for (int i = 0; i < calls; ++i) {
    start.record(stream);
    exec.launch(stream);
    end.record(stream);
    end.synchronize();
    ms.push_back(static_cast<double>(core::elapsed_ms(start, end)));
  }
  return stats_of(std::move(ms));
}

/// Times a bare cudaGraphLaunch of the context's recorded graph and of a
/// straight line of as many empty kernels, so that the JSON says how much of
/// direct_exec's host time is the launch itself and whether the graph's
/// content (node types, edges, launch attributes) makes it costly.
GraphHostSplit split_graph_host_time(trtutils::runtime::TRTEngine& engine, int calls) {
  namespace core = trtutils::core;
  const core::CudaGraph* recorded = engine.context().recorded_graph();
  TRTUTILS_CHECK(recorded != nullptr, "the graph configuration recorded no graph");
  GraphHostSplit split;
  split.graph = recorded->summary();
  const core::StreamView stream = engine.stream();
  const core::GraphExec as_recorded(*recorded);
  split.launch_us = time_launches(as_recorded, stream, calls);
  core::CudaGraph full_edges = core::clone_graph(*recorded);
  split.full_edges_changed = core::make_programmatic_edges_full(full_edges);
  const core::GraphExec full_edges_exec(full_edges);
  split.full_edges_launch_us = time_launches(full_edges_exec, stream, calls);
  split.replay_gpu_ms = time_replays(as_recorded, stream, calls);
  split.full_edges_replay_gpu_ms = time_replays(full_edges_exec, stream, calls);

  const core::Kernel empty(R"(extern "C" __global__ void trtutils_bench_empty() {})",
                           "trtutils_bench_empty");
  const core::CudaGraph chain = core::capture_graph(stream, [&](core::StreamView s) {
    for (std::size_t i = 0; i < std::max<std::size_t>(split.graph.nodes, 1); ++i) {
      empty.launch(dim3(1), dim3(32), s);
    }
  });
  split.reference_launch_us = time_launches(core::GraphExec(chain), stream, calls);
  return split;
}

ConfigResult run_config(trtutils::runtime::TRTEngine& engine, const std::string& config,
                        const std::vector<const void*>& inputs, const std::vector<void*>& outputs,
                        const Options& options,
                        const std::optional<trtutils::HostTensor>& no_graph_output,
                        std::optional<trtutils::HostTensor>& output_copy) {
  namespace core = trtutils::core;
  ConfigResult result;
  result.config = config;
  const auto t_start = Clock::now();
  const bool graph = config == "graph";
  engine.context().reset_cuda_graph();
  engine.context().set_use_cuda_graph(graph);
  const std::size_t captures_before = engine.context().graph_capture_count();
  const core::StreamView stream = engine.stream();
  const std::span<const void* const> in(inputs.data(), inputs.size());
  const std::span<void* const> out(outputs.data(), outputs.size());

  for (int i = 0; i < options.warmup; ++i) engine.direct_exec(in, out);
  stream.synchronize();

  // GPU latency: events around each call, synchronised before the next.
  std::vector<core::Event> starts;
  std::vector<core::Event> ends;
  starts.reserve(static_cast<std::size_t>(options.iterations));
  ends.reserve(static_cast<std::size_t>(options.iterations));
  for (int i = 0; i < options.iterations; ++i) {
    starts.emplace_back();
    ends.emplace_back();
  }
  std::vector<double> gpu_ms;
  gpu_ms.reserve(starts.size());
  for (std::size_t i = 0; i < starts.size(); ++i) {
    starts[i].record(stream);
    engine.direct_exec(in, out);
    ends[i].record(stream);
    ends[i].synchronize();
    gpu_ms.push_back(static_cast<double>(core::elapsed_ms(starts[i], ends[i])));
  }
  result.gpu_ms = stats_of(std::move(gpu_ms));

  // Host cost of the call alone, from an empty queue.
  std::vector<double> host_us;
  host_us.reserve(static_cast<std::size_t>(options.host_calls));
  for (int i = 0; i < options.host_calls; ++i) {
    stream.synchronize();
    const auto t0 = Clock::now();
    engine.direct_exec(in, out);
    const auto t1 = Clock::now();
    host_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  stream.synchronize();
  result.host_us = stats_of(std::move(host_us));
  result.graph_captures = engine.context().graph_capture_count() - captures_before;
  if (graph) result.split = split_graph_host_time(engine, options.host_calls);

  // The output after all those runs: finite, and (graph) the same as without.
  output_copy = copy_output(engine, outputs.front());
  const auto values = output_copy->values<double>();
  for (const double v : values) {
    if (!std::isfinite(v)) ++result.non_finite;
  }
  if (no_graph_output && no_graph_output->element_count() == output_copy->element_count()) {
    const auto ref = no_graph_output->values<double>();
    double max_abs = 0.0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (std::isfinite(values[i]) && std::isfinite(ref[i])) {
        max_abs = std::max(max_abs, std::abs(values[i] - ref[i]));
      }
    }
    result.max_abs_vs_no_graph = max_abs;
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
  return result;
}

/// The graph's node counts and the split of direct_exec's host time (null
/// for the no-graph configuration). host_ours_median_us = direct_exec's
/// median minus the bare launch's: the checks, pointer comparison and device
/// guard around cudaGraphLaunch.
std::string graph_split_fields(const ConfigResult& r) {
  std::ostringstream out;
  const auto count = [&](const char* name, std::size_t value) {
    out << ", \"" << name << "\": ";
    if (r.split) {
      out << value;
    } else {
      out << "null";
    }
  };
  const trtutils::core::GraphSummary g = r.split ? r.split->graph : trtutils::core::GraphSummary{};
  count("graph_nodes", g.nodes);
  count("graph_kernel_nodes", g.kernel_nodes);
  count("graph_memcpy_nodes", g.memcpy_nodes);
  count("graph_memset_nodes", g.memset_nodes);
  count("graph_other_nodes", g.other_nodes);
  count("graph_edges", g.edges);
  count("graph_programmatic_edges", g.programmatic_edges);
  count("graph_cluster_kernel_nodes", g.cluster_kernel_nodes);
  out << ", \"graph_straight_line\": " << (r.split ? (g.straight_line ? "true" : "false") : "null");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Stats none{nan, nan, nan, nan};
  const Stats& launch = r.split ? r.split->launch_us : none;
  const Stats& reference = r.split ? r.split->reference_launch_us : none;
  out << ", \"host_graph_launch_median_us\": " << json_number(launch.median)
      << ", \"host_graph_launch_p90_us\": " << json_number(launch.p90)
      << ", \"host_graph_launch_min_us\": " << json_number(launch.min)
      << ", \"host_ours_median_us\": " << json_number(r.host_us.median - launch.median)
      << ", \"host_reference_launch_median_us\": " << json_number(reference.median)
      << ", \"host_reference_launch_min_us\": " << json_number(reference.min);
  const Stats& full_launch = r.split ? r.split->full_edges_launch_us : none;
  const Stats& replay = r.split ? r.split->replay_gpu_ms : none;
  const Stats& full_replay = r.split ? r.split->full_edges_replay_gpu_ms : none;
  count("graph_full_edges_changed", r.split ? r.split->full_edges_changed : 0);
  out << ", \"host_full_edges_launch_median_us\": " << json_number(full_launch.median)
      << ", \"gpu_replay_median_ms\": " << json_number(replay.median)
      << ", \"gpu_full_edges_replay_median_ms\": " << json_number(full_replay.median);
  return out.str();
}

std::string common_fields(const Options& options, const LoadedPlan& loaded,
                          const std::string& device_name) {
  std::ostringstream out;
  out << "\"tool\": \"trtutils-bench-engine\", \"model\": " << json_string(options.name)
      << ", \"batch\": " << options.batch << ", \"precision\": "
      << json_string(trtutils::plan::precision_name(options.precision))
      << ", \"device\": " << json_string(device_name)
      << ", \"engine\": " << json_string(loaded.engine_path.string())
      << ", \"engine_cached\": " << (loaded.cached ? "true" : "false")
      << ", \"build_seconds\": " << json_number(loaded.build_seconds)
      << ", \"layers\": " << loaded.plan.layers.size() << ", \"arena_mb\": "
      << json_number(static_cast<double>(loaded.plan.arena_bytes) / (1024.0 * 1024.0));
  return out.str();
}

}  // namespace

int main(int argc, char** argv) {
  std::variant<Options, int> parsed =
      trtutils::tools::bench_engine::parse_options(argc, argv, std::cout, std::cerr);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  const Options options = std::get<Options>(std::move(parsed));
  std::string stage = "setup";
  try {
    TRTUTILS_CHECK(trtutils::core::device_count() > 0,
                   "no CUDA device: trtutils-bench-engine times on the GPU");
    trtutils::core::set_device(options.device);
    const std::string device_name = trtutils::core::device_properties(options.device).name;
    stage = "build";
    LoadedPlan loaded = obtain_plan(options);
    const std::string common = common_fields(options, loaded, device_name);
    if (options.build_only) {
      std::cout << "{" << common << ", \"config\": \"build\"}" << std::endl;
      return 0;
    }
    stage = "load";
    trtutils::runtime::TRTEngineOptions engine_options;
    engine_options.device = options.device;
    const auto load_start = Clock::now();
    trtutils::runtime::TRTEngine engine(std::move(loaded.plan), engine_options);
    // Engine + context creation: kernels loaded, cuDNN execution plans made
    // (runtime-compiled engines compile here), argument arrays packed.
    std::cerr << "bench-engine: engine and context created in "
              << std::chrono::duration<double, std::milli>(Clock::now() - load_start).count()
              << " ms\n";

    stage = "inputs";
    std::mt19937_64 generator(options.seed);
    std::vector<trtutils::core::DeviceBuffer> input_buffers;
    std::vector<const void*> inputs;
    std::vector<std::string> input_shapes;
    for (const trtutils::plan::TensorSpec& spec : engine.input_specs()) {
      TRTUTILS_CHECK(std::all_of(spec.dims.begin(), spec.dims.end(),
                                 [](std::int64_t d) { return d >= 0; }),
                     "input '", spec.name, "' has a dynamic shape ", dims_json(spec.dims),
                     ": the bench needs a static engine");
      const trtutils::HostTensor host = random_input(spec.dims, spec.dtype, generator);
      input_buffers.emplace_back(std::max<std::size_t>(host.byte_size(), 1));
      trtutils::core::memcpy_host_to_device(input_buffers.back().data(), host.data(),
                                            host.byte_size());
      inputs.push_back(input_buffers.back().data());
      input_shapes.push_back(dims_json(spec.dims));
    }
    // The engine's own output buffers (one call returns them).
    const std::vector<void*> outputs =
        engine.direct_exec(std::span<const void* const>(inputs.data(), inputs.size()));
    engine.stream().synchronize();

    std::optional<trtutils::HostTensor> no_graph_output;
    for (const std::string& config : options.configs) {
      stage = config;
      std::optional<trtutils::HostTensor> output;
      const ConfigResult r =
          run_config(engine, config, inputs, outputs, options, no_graph_output, output);
      if (config == "no_graph") no_graph_output = std::move(output);
      std::ostringstream line;
      line << "{" << common << ", \"config\": " << json_string(r.config)
           << ", \"input_shape\": " << (input_shapes.empty() ? "null" : input_shapes.front())
           << ", \"input_dtype\": "
           << json_string(engine.input_specs().empty()
                              ? ""
                              : trtutils::dtype_name(engine.input_specs().front().dtype))
           << ", \"warmup\": " << options.warmup << ", \"iterations\": " << options.iterations
           << ", \"median_ms\": " << json_number(r.gpu_ms.median)
           << ", \"p90_ms\": " << json_number(r.gpu_ms.p90)
           << ", \"min_ms\": " << json_number(r.gpu_ms.min)
           << ", \"mean_ms\": " << json_number(r.gpu_ms.mean)
           << ", \"host_calls\": " << options.host_calls
           << ", \"host_enqueue_median_us\": " << json_number(r.host_us.median)
           << ", \"host_enqueue_p90_us\": " << json_number(r.host_us.p90)
           << ", \"host_enqueue_min_us\": " << json_number(r.host_us.min)
           << graph_split_fields(r)
           << ", \"graph_captures\": " << r.graph_captures
           << ", \"output_non_finite\": " << r.non_finite
           << ", \"graph_vs_no_graph_max_abs\": " << json_number(r.max_abs_vs_no_graph)
           << ", \"seconds\": " << json_number(r.seconds) << "}";
      std::cout << line.str() << std::endl;
    }
  } catch (const std::exception& e) {
    std::cout << "{\"tool\": \"trtutils-bench-engine\", \"model\": " << json_string(options.name)
              << ", \"batch\": " << options.batch << ", \"precision\": "
              << json_string(trtutils::plan::precision_name(options.precision))
              << ", \"stage\": " << json_string(stage) << ", \"error\": " << json_string(e.what())
              << "}" << std::endl;
    std::cerr << "trtutils-bench-engine: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
