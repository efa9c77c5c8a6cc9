// trtutils-bench-preprocess [--iterations N] [--batches 1,32] [--variants sweep|default]
//                           [--json FILE] [--markdown FILE]
//
// Letterbox + normalise (ImageNet mean/std) of 1920x1080 BGR8 images to a Bx3x640x640
// RGB NCHW tensor, f32 and f16, on the GPU, against the device's copy bandwidth
// measured in the same run (a 256 MiB device-to-device cudaMemcpy, bytes read +
// written). For each output type and batch:
//
//   idle queue    one Preprocessor::run between two events, the stream synchronised
//                 before the next: the latency of one call including its launch
//   back-to-back  M calls queued one after another between two events, time / M
//   graph         the same M calls captured once into a CUDA graph and replayed,
//                 time / M (batches up to kPreprocessInlineImages: a larger batch
//                 uploads its parameter table from pageable memory, not capturable)
//
// All three rotate through K distinct source/output buffer sets whose total size
// is over 200 MB (4x the H100's 50 MB L2), so no call finds its data in cache.
// Bytes counted two ways: "whole" = whole source images + output (what a resize of
// any ratio must read), "read" = the 32-byte sectors of source rows the kernel
// actually reads (preprocess_source_bytes_read: 1920 -> 640 is an exact 1/3, so
// only every third row has a weighted tap) + output. The 70% target is judged on
// steady state (the graph where there is one, else back-to-back) with "read"
// bytes, the stricter of the two. Also: the GPU output checked bit for bit against
// the CPU reference, and that reference's time (one thread; same formulas as
// OpenCV's INTER_LINEAR letterbox in float). JSON on stdout (and --json), a
// markdown table with --markdown. Without a GPU: the CPU reference only.
//
// Launch variants (--variants sweep, the default): every PreprocessTuning of block rows
// {2, 4, 8, 16} x staging loads {1, 4, 8} x PDL {off, on} is timed on the same buffers
// and checked bit for bit, side by side ("variants" per result, "fastest_variant"); the
// headline numbers are the library default's. Context ("small_copy"): a device-to-device
// cudaMemcpyAsync moving the same bytes (read + written) timed the same way, i.e. what a
// plain copy reaches at this size; the target stays the 256 MiB copy bandwidth.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "trtutils/core/cuda_graph.hpp"
#include "trtutils/core/device.hpp"
#include "trtutils/core/event.hpp"
#include "trtutils/core/kernel.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/core/stream.hpp"
#include "trtutils/image/preprocess.hpp"

namespace {

namespace core = trtutils::core;
using namespace trtutils::image;
using nlohmann::json;

constexpr int kWidth = 1920;
constexpr int kHeight = 1080;
constexpr double kMinRotationBytes = 200e6;
constexpr int kCallsPerTiming = 100;
constexpr int kSteadyRepeats = 30;
constexpr double kTargetPercent = 70.0;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

// Median of `iterations` timings of work(i), each between two events with the
// stream idle before it.
template <typename F>
double median_idle_ms(int iterations, core::StreamView stream, F&& work) {
  core::Event start, stop;
  for (int i = 0; i < 20; ++i) work(i);  // warm-up: kernel load, clocks
  stream.synchronize();
  std::vector<double> times;
  for (int i = 0; i < iterations; ++i) {
    start.record(stream);
    work(i);
    stop.record(stream);
    stop.synchronize();
    times.push_back(core::elapsed_ms(start, stop));
  }
  return median(times);
}

double copy_bandwidth_gbs(core::StreamView stream) {
  const std::size_t bytes = 256u << 20;
  core::DeviceBuffer a(bytes), b(bytes);
  core::memset_device(a, 1);
  const double ms = median_idle_ms(50, stream, [&](int) {
    core::memcpy_device_to_device_async(b.data(), a.data(), bytes, stream);
  });
  return 2.0 * static_cast<double>(bytes) / (ms * 1e-3) / 1e9;
}

double cpu_reference_ms(const ImageView& image, const PreprocessOptions& options) {
  std::vector<double> times;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto out = preprocess_reference(std::span(&image, 1), options);
    const auto t1 = std::chrono::steady_clock::now();
    times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    if (out.byte_size() == 0) std::abort();
  }
  return median(times);
}

PreprocessOptions job_options(trtutils::DType dtype) {
  PreprocessOptions options;  // 640x640 letterbox, pad 114, NCHW, RGB, scale 1/255
  options.output_dtype = dtype;
  options.mean = {0.485f, 0.456f, 0.406f};
  options.std = {0.229f, 0.224f, 0.225f};
  return options;
}

// K sets of `batch` device images (same pixels) and one output each.
struct BufferSets {
  std::vector<core::DeviceBuffer> sources;
  std::vector<core::DeviceBuffer> outputs;
  std::vector<std::vector<ImageView>> views;  // per set
  std::size_t output_bytes = 0;
};

BufferSets make_sets(const std::vector<std::uint8_t>& pixels, int batch, std::size_t output_bytes) {
  BufferSets sets;
  sets.output_bytes = output_bytes;
  const double per_set = static_cast<double>(batch) * static_cast<double>(pixels.size()) +
                         static_cast<double>(output_bytes);
  const int count = std::max(2, static_cast<int>(std::ceil(kMinRotationBytes / per_set)));
  for (int k = 0; k < count; ++k) {
    std::vector<ImageView> views;
    for (int b = 0; b < batch; ++b) {
      sets.sources.emplace_back(pixels.size());
      core::memcpy_host_to_device(sets.sources.back().data(), pixels.data(), pixels.size());
      views.push_back({sets.sources.back().data(), kWidth, kHeight, 0, PixelFormat::kBGR8,
                       MemoryKind::kDevice});
    }
    sets.views.push_back(std::move(views));
    sets.outputs.emplace_back(output_bytes);
  }
  return sets;
}

// One (dtype, batch) job: its buffers, the CPU reference and the bytes it moves,
// shared by every launch variant timed on it.
struct Job {
  PreprocessOptions options;
  int batch = 1;
  std::size_t out_bytes = 0;
  BufferSets sets;
  trtutils::HostTensor cpu;
  double bytes_read = 0.0;   // source sectors the kernel reads + output
  double bytes_whole = 0.0;  // whole source images + output
};

struct Timing {
  bool bit_exact = false;
  double idle_ms = 0.0;
  double back_to_back_ms = 0.0;
  double graph_ms = 0.0;  // 0: not capturable (table batches)
  double steady_ms() const { return graph_ms > 0.0 ? graph_ms : back_to_back_ms; }
};

// Median over kSteadyRepeats of (time of `calls` calls) / calls, each repeat between
// two events; the graph variant captures the calls once and replays them.
template <typename Call>
double steady_ms(int calls, bool graph, core::StreamView stream, Call&& call) {
  core::Event start, stop;
  std::vector<double> times;
  core::GraphReplay replay;
  if (graph) {
    replay.capture(stream, [&](core::StreamView s) {
      for (int i = 0; i < calls; ++i) call(i, s);
    });
    for (int i = 0; i < 3; ++i) replay.launch(stream);
  }
  for (int rep = 0; rep < kSteadyRepeats; ++rep) {
    start.record(stream);
    if (graph) {
      replay.launch(stream);
    } else {
      for (int i = 0; i < calls; ++i) call(rep * calls + i, stream);
    }
    stop.record(stream);
    stop.synchronize();
    times.push_back(core::elapsed_ms(start, stop) / calls);
  }
  return median(times);
}

Timing time_tuning(Job& job, const PreprocessTuning& tuning, int iterations,
                   core::StreamView stream) {
  Preprocessor pre(job.options, tuning);
  const int set_count = static_cast<int>(job.sets.views.size());
  std::vector<ImageTransform> transforms(static_cast<std::size_t>(job.batch));
  auto call = [&](int i, core::StreamView s) {
    const auto k = static_cast<std::size_t>(i % set_count);
    pre.run(job.sets.views[k], job.sets.outputs[k].data(), job.out_bytes, transforms, s);
  };
  Timing t;
  // Bit-exact check of set 0 against the CPU reference (also compiles the kernel).
  core::memset_device(job.sets.outputs[0], 0x7F);
  call(0, stream);
  stream.synchronize();
  std::vector<std::uint8_t> gpu(job.out_bytes);
  core::memcpy_device_to_host(gpu.data(), job.sets.outputs[0].data(), job.out_bytes);
  t.bit_exact = std::memcmp(gpu.data(), job.cpu.data(), job.out_bytes) == 0;

  t.idle_ms = median_idle_ms(iterations, stream, [&](int i) { call(i, stream); });
  const int calls = std::max(kCallsPerTiming, set_count);
  t.back_to_back_ms = steady_ms(calls, false, stream, call);
  if (preprocess_params_by_value(static_cast<std::size_t>(job.batch)))
    t.graph_ms = steady_ms(calls, true, stream, call);
  return t;
}

// A device-to-device cudaMemcpyAsync moving the job's bytes (copy of bytes_read / 2:
// read + written = what the kernel reads + writes), timed like the kernel: graph of
// 100 copies and idle-queue, rotating through buffers totalling over 200 MB.
json small_copy(double bytes_moved, int iterations, double copy_gbs, core::StreamView stream) {
  const auto bytes = static_cast<std::size_t>(bytes_moved / 2.0) / 256 * 256;
  const int count = std::max(
      2, static_cast<int>(std::ceil(kMinRotationBytes / (2.0 * static_cast<double>(bytes)))));
  std::vector<core::DeviceBuffer> from, to;
  for (int k = 0; k < count; ++k) {
    from.emplace_back(bytes);
    to.emplace_back(bytes);
    core::memset_device(from.back(), k);
  }
  auto copy = [&](int i, core::StreamView s) {
    const auto k = static_cast<std::size_t>(i % count);
    core::memcpy_device_to_device_async(to[k].data(), from[k].data(), bytes, s);
  };
  const int calls = std::max(kCallsPerTiming, count);
  const double graph = steady_ms(calls, true, stream, copy);
  const double back_to_back = steady_ms(calls, false, stream, copy);
  const double idle = median_idle_ms(iterations, stream, [&](int i) { copy(i, stream); });
  const double moved = 2.0 * static_cast<double>(bytes);
  json r;
  r["copy_bytes"] = static_cast<long long>(bytes);
  r["bytes_moved"] = static_cast<long long>(moved);
  r["graph_us"] = graph * 1e3;
  r["back_to_back_us"] = back_to_back * 1e3;
  r["idle_us"] = idle * 1e3;
  r["steady_GBps"] = moved / (graph * 1e-3) / 1e9;
  r["steady_percent_of_copy"] = 100.0 * moved / (graph * 1e-3) / 1e9 / copy_gbs;
  return r;
}

// The launch variants timed side by side: block rows x staging loads x PDL.
std::vector<PreprocessTuning> tunings(const std::string& which) {
  if (which == "default") return {PreprocessTuning{}};
  std::vector<PreprocessTuning> list;
  for (const int rows : {2, 4, 8, 16}) {
    for (const int loads : {1, 4, 8}) {
      for (const bool pdl : {false, true}) {
        PreprocessTuning t;
        t.tile_rows = rows;
        t.staging_loads = loads;
        t.programmatic_dependent_launch = pdl;
        list.push_back(t);
      }
    }
  }
  return list;
}

bool is_default(const PreprocessTuning& t) {
  const PreprocessTuning d;
  return t.tile_rows == d.tile_rows && t.staging_loads == d.staging_loads &&
         t.programmatic_dependent_launch == d.programmatic_dependent_launch;
}

json measure(trtutils::DType dtype, int batch, const std::vector<std::uint8_t>& pixels,
             int iterations, double copy_gbs, const std::vector<PreprocessTuning>& variants,
             core::StreamView stream) {
  Job job;
  job.options = job_options(dtype);
  job.batch = batch;
  job.out_bytes =
      Preprocessor(job.options).output_bytes(static_cast<std::size_t>(batch), PixelFormat::kBGR8);
  job.sets = make_sets(pixels, batch, job.out_bytes);
  const ImageView host_image{pixels.data(),      kWidth,           kHeight, 0,
                             PixelFormat::kBGR8, MemoryKind::kHost};
  const std::vector<ImageView> host_batch(static_cast<std::size_t>(batch), host_image);
  job.cpu = preprocess_reference(host_batch, job.options);
  const double output_per_image = static_cast<double>(job.out_bytes) / batch;
  job.bytes_whole = batch * (static_cast<double>(pixels.size()) + output_per_image);
  job.bytes_read =
      batch * (static_cast<double>(preprocess_source_bytes_read(host_image, job.options)) +
               output_per_image);
  auto percent = [&](double bytes, double ms) {
    return 100.0 * bytes / (ms * 1e-3) / 1e9 / copy_gbs;
  };

  json r;
  r["dtype"] = std::string(trtutils::dtype_name(dtype));
  r["batch"] = batch;
  r["params"] =
      preprocess_params_by_value(static_cast<std::size_t>(batch)) ? "by value" : "uploaded table";
  r["tuning"] = tuning_name(PreprocessTuning{});
  const int set_count = static_cast<int>(job.sets.views.size());
  r["rotation_sets"] = set_count;
  r["rotation_MB"] = static_cast<double>(set_count) *
                     (static_cast<double>(batch) * static_cast<double>(pixels.size()) +
                      static_cast<double>(job.out_bytes)) /
                     1e6;

  // The library default first (the headline), then the other variants.
  std::vector<PreprocessTuning> order = {PreprocessTuning{}};
  for (const auto& t : variants)
    if (!is_default(t)) order.push_back(t);
  json rows = json::array();
  Timing headline;
  double fastest_ms = 0.0;
  std::string fastest;
  for (const PreprocessTuning& tuning : order) {
    const Timing t = time_tuning(job, tuning, is_default(tuning) ? iterations : 200, stream);
    if (is_default(tuning)) headline = t;
    json v;
    v["tuning"] = tuning_name(tuning);
    v["tile_rows"] = tuning.tile_rows;
    v["staging_loads"] = tuning.staging_loads;
    v["pdl"] = tuning.programmatic_dependent_launch;
    v["library_default"] = is_default(tuning);
    v["bit_exact_vs_cpu"] = t.bit_exact;
    v["idle_us"] = t.idle_ms * 1e3;
    v["back_to_back_us"] = t.back_to_back_ms * 1e3;
    v["graph_us"] = t.graph_ms > 0.0 ? json(t.graph_ms * 1e3) : json(nullptr);
    v["steady_us"] = t.steady_ms() * 1e3;
    v["steady_percent_of_copy_read"] = percent(job.bytes_read, t.steady_ms());
    rows.push_back(v);
    if (t.bit_exact && (fastest.empty() || t.steady_ms() < fastest_ms)) {
      fastest_ms = t.steady_ms();
      fastest = tuning_name(tuning);
    }
  }
  r["variants"] = rows;
  r["fastest_variant"] = fastest;
  r["fastest_variant_steady_us"] = fastest_ms * 1e3;
  r["small_copy"] = small_copy(job.bytes_read, iterations, copy_gbs, stream);

  const double steady = headline.steady_ms();
  r["bit_exact_vs_cpu"] = headline.bit_exact;
  r["idle_us"] = headline.idle_ms * 1e3;
  r["back_to_back_us"] = headline.back_to_back_ms * 1e3;
  r["graph_us"] = headline.graph_ms > 0.0 ? json(headline.graph_ms * 1e3) : json(nullptr);
  r["steady_us"] = steady * 1e3;
  r["steady_method"] = headline.graph_ms > 0.0 ? "graph" : "back-to-back";
  r["bytes_whole"] = static_cast<long long>(job.bytes_whole);
  r["bytes_read"] = static_cast<long long>(job.bytes_read);
  r["idle_percent_of_copy_read"] = percent(job.bytes_read, headline.idle_ms);
  r["idle_percent_of_copy_whole"] = percent(job.bytes_whole, headline.idle_ms);
  r["steady_GBps_read"] = job.bytes_read / (steady * 1e-3) / 1e9;
  r["steady_percent_of_copy_read"] = percent(job.bytes_read, steady);
  r["steady_percent_of_copy_whole"] = percent(job.bytes_whole, steady);
  r["target_met"] = percent(job.bytes_read, steady) >= kTargetPercent;
  if (batch == 1) {
    // Host memory in: the upload is part of the call (latency only, not judged).
    Preprocessor pre(job.options);
    std::vector<ImageTransform> transforms(1);
    r["idle_us_host_input"] =
        median_idle_ms(std::max(50, iterations / 4), stream,
                       [&](int i) {
                         const auto k = static_cast<std::size_t>(i % set_count);
                         pre.run(std::span(&host_image, 1), job.sets.outputs[k].data(),
                                 job.out_bytes, transforms, stream);
                       }) *
        1e3;
  }
  r["cpu_reference_ms_per_image"] = cpu_reference_ms(host_image, job.options);
  return r;
}

std::string fixed(double v, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  return buffer;
}

std::string markdown(const json& doc) {
  std::ostringstream md;
  md << "# Pre-processing benchmark (trtutils-bench-preprocess)\n\n"
     << "Device: " << doc["device"].get<std::string>() << "; device-to-device copy "
     << fixed(doc["d2d_copy_GBps"].get<double>(), 0)
     << " GB/s (bytes read + written). Job: " << doc["job"].get<std::string>() << ".\n\n"
     << "| out | batch | params | idle-queue us | back-to-back us | graph us | bytes read (whole) "
        "| steady % of copy, read bytes (whole) | target 70% | bit-exact | CPU ref ms/img |\n"
     << "|---|---:|---|---:|---:|---:|---:|---:|---|---|---:|\n";
  for (const json& r : doc["results"]) {
    md << "| " << r["dtype"].get<std::string>() << " | " << r["batch"].get<int>() << " | "
       << r["params"].get<std::string>() << " | " << fixed(r["idle_us"].get<double>(), 2) << " | "
       << fixed(r["back_to_back_us"].get<double>(), 2) << " | "
       << (r["graph_us"].is_null() ? std::string("n/a") : fixed(r["graph_us"].get<double>(), 2))
       << " | " << r["bytes_read"].get<long long>() << " (" << r["bytes_whole"].get<long long>()
       << ") | " << fixed(r["steady_percent_of_copy_read"].get<double>(), 1) << "% ("
       << fixed(r["steady_percent_of_copy_whole"].get<double>(), 1) << "%) | "
       << (r["target_met"].get<bool>() ? "met" : "missed") << " | "
       << (r["bit_exact_vs_cpu"].get<bool>() ? "yes" : "NO") << " | "
       << fixed(r["cpu_reference_ms_per_image"].get<double>(), 1) << " |\n";
  }
  for (const json& r : doc["results"]) {
    md << "\n"
       << r["dtype"].get<std::string>() << " batch " << r["batch"].get<int>()
       << ": fastest bit-exact variant " << r["fastest_variant"].get<std::string>() << " ("
       << fixed(r["fastest_variant_steady_us"].get<double>(), 2) << " us); library default "
       << r["tuning"].get<std::string>() << " (" << fixed(r["steady_us"].get<double>(), 2)
       << " us); a " << r["small_copy"]["bytes_moved"].get<long long>()
       << "-byte device copy in the same graph loop: "
       << fixed(r["small_copy"]["graph_us"].get<double>(), 2) << " us ("
       << fixed(r["small_copy"]["steady_percent_of_copy"].get<double>(), 1)
       << "% of the 256 MiB copy).\n";
  }
  md << "\nSteady state = the CUDA graph of " << kCallsPerTiming
     << " calls where there is one (batches up to " << kPreprocessInlineImages
     << "), else back-to-back calls; both rotate through buffer sets totalling over 200 MB, "
        "so L2 (50 MB on H100) does not hold them. The target is judged on steady state with "
        "'read' bytes (source rows the kernel reads, in 32-byte sectors, + output); 'whole' "
        "counts the whole source image. Idle-queue = one call between events from an idle "
        "stream (includes the launch). CPU ref = preprocess_reference, one thread (OpenCV-style "
        "INTER_LINEAR letterbox in float).\n";
  return md.str();
}

std::vector<int> parse_batches(const std::string& text) {
  std::vector<int> batches;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const int b = std::atoi(item.c_str());
    if (b < 1 || b > 4096) throw std::invalid_argument("--batches: " + item + " is not 1..4096");
    batches.push_back(b);
  }
  return batches;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    int iterations = 500;
    std::string batches_text = "1,32";
    std::string json_path, markdown_path, variants_text = "sweep";
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      const bool has_value = i + 1 < argc;
      if (arg == "--iterations" && has_value)
        iterations = std::max(200, std::atoi(argv[++i]));
      else if (arg == "--batches" && has_value)
        batches_text = argv[++i];
      else if (arg == "--json" && has_value)
        json_path = argv[++i];
      else if (arg == "--markdown" && has_value)
        markdown_path = argv[++i];
      else if (arg == "--variants" && has_value)
        variants_text = argv[++i];
      else
        throw std::invalid_argument(
            "usage: trtutils-bench-preprocess [--iterations N>=200] [--batches 1,32] "
            "[--variants sweep|default] [--json FILE] [--markdown FILE]; got '" +
            arg + "'");
    }
    if (variants_text != "sweep" && variants_text != "default")
      throw std::invalid_argument("--variants: '" + variants_text +
                                  "' is neither 'sweep' (every launch variant) nor 'default'");
    const std::vector<PreprocessTuning> variants = tunings(variants_text);
    const std::vector<int> batches = parse_batches(batches_text);
    std::vector<std::uint8_t> pixels(static_cast<std::size_t>(kWidth) * kHeight * 3);
    std::mt19937 rng(7);
    for (auto& p : pixels) p = static_cast<std::uint8_t>(rng());

    json doc;
    doc["job"] =
        "1920x1080 BGR8 -> Bx3x640x640 RGB NCHW letterbox (pad 114), /255, ImageNet mean/std";
    doc["target_percent_of_copy"] = kTargetPercent;
    if (core::device_count() == 0) {
      const ImageView host_image{pixels.data(),      kWidth,           kHeight, 0,
                                 PixelFormat::kBGR8, MemoryKind::kHost};
      doc["device"] = nullptr;
      doc["note"] = "no CUDA device: CPU reference only";
      doc["cpu_reference_ms_f32"] =
          cpu_reference_ms(host_image, job_options(trtutils::DType::kFloat32));
      std::puts(doc.dump(2).c_str());
      if (!json_path.empty()) std::ofstream(json_path) << doc.dump(2) << "\n";
      return 0;
    }
    const auto props = core::device_properties(core::current_device());
    core::Stream stream;
    const double copy_gbs = copy_bandwidth_gbs(stream);
    doc["device"] = props.name;
    doc["iterations"] = iterations;
    doc["d2d_copy_GBps"] = copy_gbs;
    doc["arch"] = core::current_device_arch();
    doc["pdl_supported"] =
        core::supports_programmatic_dependent_launch(core::current_device_arch());
    doc["variants"] = variants_text;
    doc["results"] = json::array();
    for (const auto dtype : {trtutils::DType::kFloat32, trtutils::DType::kFloat16}) {
      for (const int batch : batches)
        doc["results"].push_back(
            measure(dtype, batch, pixels, iterations, copy_gbs, variants, stream));
    }
    const std::string text = doc.dump(2);
    std::puts(text.c_str());
    if (!json_path.empty()) std::ofstream(json_path) << text << "\n";
    if (!markdown_path.empty()) std::ofstream(markdown_path) << markdown(doc);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
