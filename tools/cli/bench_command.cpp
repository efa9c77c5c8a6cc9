// trtutils bench MODEL.engine|MODEL.onnx [--warmup N] [--iterations N] [--batch B]
//                [--cuda-graph] [--device N] [--seed N] [--json] [build options]
//
// Times the engine on random inputs already on the GPU (no transfers in the
// loop). Each iteration: host clock, start event, enqueue, end event,
// synchronise, host clock. Reports the host wall latency per call
// (min/mean/median/p90/p99/max), the GPU time between the events, the host
// overhead per call (wall minus GPU) and the time spent inside enqueue, and
// the throughput (batch items per second of wall time).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "cli_common.hpp"
#include "commands.hpp"
#include "progress_bar.hpp"
#include "table.hpp"
#include "trtutils/core/device.hpp"
#include "trtutils/core/event.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/core/stream.hpp"
#include "trtutils/plan/batch_buckets.hpp"
#include "trtutils/runtime/engine.hpp"
#include "trtutils/runtime/execution_context.hpp"

namespace trtutils::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct BenchArgs {
  fs::path model;
  int warmup = 10;
  int iterations = 100;
  std::int64_t batch = 0;
  bool cuda_graph = false;
  int device = 0;
  std::uint64_t seed = 0;
  bool json = false;
  bool quiet = false;
  BuildFlags flags;
};

struct Stats {
  double min = 0, mean = 0, median = 0, p90 = 0, p99 = 0, max = 0;
};

/// Linear interpolation between the closest ranks (NumPy's default percentile).
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0.0;
  const double rank = p / 100.0 * static_cast<double>(sorted.size() - 1);
  const auto low = static_cast<std::size_t>(rank);
  const std::size_t high = std::min(low + 1, sorted.size() - 1);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - static_cast<double>(low));
}

Stats stats_of(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  Stats s;
  if (values.empty()) return s;
  s.min = values.front();
  s.max = values.back();
  s.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  s.median = percentile(values, 50.0);
  s.p90 = percentile(values, 90.0);
  s.p99 = percentile(values, 99.0);
  return s;
}

nlohmann::json stats_json(const Stats& s) {
  return {{"min", s.min}, {"mean", s.mean}, {"median", s.median},
          {"p90", s.p90}, {"p99", s.p99},   {"max", s.max}};
}

/// The batch of the engine: axis 0 of its first input of rank >= 1 (1 if none).
std::int64_t engine_batch(const plan::Plan& plan) {
  for (const plan::TensorSpec& spec : plan.io) {
    if (spec.is_input && !spec.dims.empty()) return spec.dims[0];
  }
  return 1;
}

int run_bench(BenchArgs args) {
  if (args.batch > 0) args.flags.batch = std::to_string(args.batch);
  require_gpu("benchmarking an engine");
  const plan::Plan plan = load_or_build_plan(args.model, args.flags, args.quiet || args.json);
  // A dynamic-batch engine runs the asked batch (default: its opt).
  const std::int64_t batch = plan.batch_range ? (args.batch > 0 ? args.batch : plan.batch_range->opt)
                                              : engine_batch(plan);
  if (args.batch > 0 && !plan.batch_range && batch != args.batch) {
    throw InvalidArgument(detail::concat(
        args.model.string(), " was built for batch ", batch, ", not ", args.batch,
        ": rebuild it with `trtutils build --batch ", args.batch, "` (or bench the .onnx model)"));
  }
  std::vector<plan::TensorSpec> io_specs = plan.io;
  for (plan::TensorSpec& spec : io_specs) {
    if (plan::is_batched(spec)) {
      spec.dims[0] = batch;
      spec.profile.reset();
    }
  }

  core::set_device(args.device);
  const std::string gpu_name = core::device_properties(args.device).name;
  std::vector<HostTensor> inputs = prepare_inputs(io_specs, {}, args.seed, nullptr);
  const std::shared_ptr<const runtime::Engine> engine = runtime::Engine::from_plan(plan);
  std::unique_ptr<runtime::ExecutionContext> context = engine->create_execution_context();
  context->set_use_cuda_graph(args.cuda_graph);
  if (plan.batch_range) context->set_batch(batch);
  core::Stream stream;

  std::vector<core::DeviceBuffer> buffers;
  std::vector<void*> io;
  std::size_t next_input = 0;
  for (const plan::TensorSpec& spec : io_specs) {
    std::size_t bytes = dtype_size(spec.dtype);
    for (const std::int64_t d : spec.dims) bytes *= static_cast<std::size_t>(d);
    buffers.emplace_back(std::max<std::size_t>(bytes, 1));
    if (spec.is_input) {
      const HostTensor& input = inputs[next_input++];
      core::memcpy_host_to_device(buffers.back().data(), input.data(), input.byte_size());
    }
    io.push_back(buffers.back().data());
  }

  ProgressBar bar(args.json ? stderr : stdout, "bench", !args.quiet);
  const double total = static_cast<double>(args.warmup + args.iterations);
  for (int i = 0; i < args.warmup; ++i) {
    context->enqueue(stream, std::span<void* const>(io));
    stream.synchronize();
    bar.update("warm-up", static_cast<double>(i + 1) / total);
  }
  core::Event start;
  core::Event end;
  std::vector<double> wall_ms, gpu_ms, enqueue_ms, overhead_ms;
  const auto loop_start = Clock::now();
  for (int i = 0; i < args.iterations; ++i) {
    const auto t0 = Clock::now();
    start.record(stream);
    context->enqueue(stream, std::span<void* const>(io));
    end.record(stream);
    const auto t1 = Clock::now();
    end.synchronize();
    const auto t2 = Clock::now();
    const double wall = std::chrono::duration<double, std::milli>(t2 - t0).count();
    const double gpu = static_cast<double>(core::elapsed_ms(start, end));
    wall_ms.push_back(wall);
    gpu_ms.push_back(gpu);
    enqueue_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    overhead_ms.push_back(std::max(0.0, wall - gpu));
    bar.update("timing", static_cast<double>(args.warmup + i + 1) / total);
  }
  const double loop_seconds = std::chrono::duration<double>(Clock::now() - loop_start).count();
  bar.finish();

  const Stats latency = stats_of(wall_ms);
  const Stats gpu = stats_of(gpu_ms);
  const Stats enqueue = stats_of(enqueue_ms);
  const Stats overhead = stats_of(overhead_ms);
  const double batches_per_second = static_cast<double>(args.iterations) / loop_seconds;

  nlohmann::json json;
  json["model"] = args.model.string();
  json["gpu"] = gpu_name;
  json["device"] = args.device;
  json["cuda_graph"] = args.cuda_graph;
  json["graph_captures"] = context->graph_capture_count();
  json["batch"] = batch;
  json["warmup"] = args.warmup;
  json["iterations"] = args.iterations;
  json["latency_ms"] = stats_json(latency);
  json["gpu_ms"] = stats_json(gpu);
  json["enqueue_ms"] = stats_json(enqueue);
  json["host_overhead_ms"] = stats_json(overhead);
  json["throughput"] = {{"batches_per_second", batches_per_second},
                        {"items_per_second", batches_per_second * static_cast<double>(batch)}};
  if (args.json) {
    std::cout << json.dump(2) << "\n";
    return kExitOk;
  }
  std::ostream& out = std::cout;
  out << "bench " << args.model.string() << " on " << gpu_name << ": batch " << batch << ", "
      << args.iterations << " iterations after " << args.warmup << " warm-up, CUDA graph "
      << (args.cuda_graph ? "on" : "off") << "\n\n";
  Table table({{"ms"},
               {"min", Table::Align::kRight},
               {"mean", Table::Align::kRight},
               {"median", Table::Align::kRight},
               {"p90", Table::Align::kRight},
               {"p99", Table::Align::kRight},
               {"max", Table::Align::kRight}});
  const auto row = [&table](const std::string& name, const Stats& s) {
    table.add_row({name, fixed_text(s.min, 3), fixed_text(s.mean, 3), fixed_text(s.median, 3),
                   fixed_text(s.p90, 3), fixed_text(s.p99, 3), fixed_text(s.max, 3)});
  };
  row("latency (host wall)", latency);
  row("GPU time (events)", gpu);
  row("host overhead", overhead);
  row("inside enqueue", enqueue);
  table.print(out);
  out << "\nthroughput: " << fixed_text(batches_per_second * static_cast<double>(batch), 1)
      << " items/s (" << fixed_text(batches_per_second, 1) << " batches/s)\n";
  return kExitOk;
}

}  // namespace

Command add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* command = app.add_subcommand(
      "bench",
      "Measure an engine's latency (host wall and GPU events), host overhead and "
      "throughput on random inputs.");
  command->add_option("MODEL", args->model, "an .engine file, or an .onnx file to build first")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("--warmup", args->warmup, "untimed runs first")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000000));
  command->add_option("-n,--iterations", args->iterations, "timed runs")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000000));
  command
      ->add_option("--batch", args->batch,
                   "batch size: an .onnx model is built for it; a dynamic-batch engine runs it "
                   "(default: its opt); a static engine must have it")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 31));
  command->add_flag("--cuda-graph", args->cuda_graph,
                    "record the engine into a CUDA graph once and replay it");
  command->add_option("--device", args->device, "CUDA device")->capture_default_str();
  command->add_option("--seed", args->seed, "seed of the random inputs")->capture_default_str();
  command->add_flag("--json", args->json, "print the results as JSON (progress goes to stderr)");
  command->add_flag("-q,--quiet", args->quiet, "no progress bars");
  add_build_flags(*command, args->flags, /*with_batch=*/false);
  return {command, [args] { return run_bench(*args); }};
}

}  // namespace trtutils::cli
