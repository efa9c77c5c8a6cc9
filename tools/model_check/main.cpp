// trtutils-model-check: whole-model correctness of the engine against a
// PyTorch float64 oracle (bench/models/export_models.py writes the folders).
//
// For each model folder DIR (model.onnx, input.npy or input_<i>.npy,
// output_<i>.npy) and each precision asked for: build the ONNX model with the
// builder, save the plan to DIR/model.<prec>.engine, load that file with the
// runtime's TRTEngine, run it on the inputs and compare every output with
// output_<i>.npy by relative L2 error ||out - ref|| / ||ref|| (in double).
// Optionally the CPU ReferenceExecutor runs the same model in fp32, for
// information. Prints a table and ends with "model-check: N passed, N failed"
// (one count per model and precision).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>

#include <nlohmann/json.hpp>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model_check_options.hpp"
#include "trtutils/builder/build_options.hpp"
#include "trtutils/builder/builder.hpp"
#include "trtutils/core/error.hpp"
#include "trtutils/onnx/importer.hpp"
#include "trtutils/ops/reference_executor.hpp"
#include "trtutils/plan/plan.hpp"
#include "trtutils/plan/plan_writer.hpp"
#include "trtutils/runtime/trt_engine.hpp"
#include "trtutils/tensor/host_tensor.hpp"
#include "trtutils/tensor/npy.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

using trtutils::tools::model_check::Options;

struct OutputCheck {
  std::string name;
  std::string shape;
  double rel_l2 = std::numeric_limits<double>::infinity();
  double max_abs = std::numeric_limits<double>::infinity();
  std::string problem;  // shape / count mismatch, non-finite values
};

struct Result {
  std::string model;
  std::string precision;  // "fp32", "fp16", or "cpu-ref" (information only)
  double tolerance = 0.0;
  double build_seconds = 0.0;
  double run_ms = 0.0;  // median host-to-host execute(), 0 when not timed
  std::size_t layers = 0;
  double arena_mb = 0.0;
  std::vector<OutputCheck> outputs;
  std::string error;
  bool counted = true;  // cpu-ref rows are information, not pass/fail
  bool passed() const {
    if (!error.empty() || outputs.empty()) return false;
    return std::all_of(outputs.begin(), outputs.end(), [&](const OutputCheck& o) {
      return o.problem.empty() && std::isfinite(o.rel_l2) && o.rel_l2 <= tolerance;
    });
  }
};

std::string shape_text(const trtutils::Shape& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    text += (i ? "," : "") + std::to_string(shape[i]);
  }
  return text + "]";
}

/// ||out - ref|| / ||ref|| and max |out - ref| in double; a count or shape
/// mismatch or a non-finite value is reported as a problem.
OutputCheck compare(const std::string& name, const trtutils::HostTensor& out,
                    const trtutils::HostTensor& ref) {
  OutputCheck check;
  check.name = name;
  check.shape = shape_text(out.shape());
  if (out.element_count() != ref.element_count()) {
    check.problem = trtutils::detail::concat("output has ", out.element_count(), " elements ",
                                             shape_text(out.shape()), ", reference ",
                                             ref.element_count(), " ", shape_text(ref.shape()));
    return check;
  }
  if (out.shape() != ref.shape()) {
    check.problem =
        trtutils::detail::concat("shape ", shape_text(out.shape()),
                                 " differs from the reference's ", shape_text(ref.shape()));
  }
  const trtutils::HostTensor a = out.cast(trtutils::DType::kFloat64);
  const trtutils::HostTensor b = ref.cast(trtutils::DType::kFloat64);
  const auto av = a.values<double>();
  const auto bv = b.values<double>();
  double diff2 = 0.0;
  double ref2 = 0.0;
  double max_abs = 0.0;
  std::int64_t non_finite = 0;
  for (std::size_t i = 0; i < av.size(); ++i) {
    if (!std::isfinite(av[i])) {
      ++non_finite;
      continue;
    }
    const double d = av[i] - bv[i];
    diff2 += d * d;
    ref2 += bv[i] * bv[i];
    max_abs = std::max(max_abs, std::abs(d));
  }
  if (non_finite > 0) {
    check.problem = trtutils::detail::concat(non_finite, " non-finite value(s) in the output");
    return check;
  }
  check.max_abs = max_abs;
  if (ref2 == 0.0) {
    // An all-zero oracle (e.g. a zero-initialised head) would let any engine
    // that also prints zeros pass; refuse to call that a match.
    check.problem = "the reference output is all zeros: the comparison would prove nothing";
    return check;
  }
  check.rel_l2 = std::sqrt(diff2 / ref2);
  return check;
}

/// input.npy, or input_0.npy, input_1.npy, ... in engine-input order.
std::vector<trtutils::HostTensor> read_inputs(const fs::path& dir) {
  std::vector<trtutils::HostTensor> inputs;
  if (fs::exists(dir / "input.npy")) {
    inputs.push_back(trtutils::read_npy(dir / "input.npy"));
    return inputs;
  }
  for (int i = 0; fs::exists(dir / ("input_" + std::to_string(i) + ".npy")); ++i) {
    inputs.push_back(trtutils::read_npy(dir / ("input_" + std::to_string(i) + ".npy")));
  }
  TRTUTILS_CHECK(!inputs.empty(), "no input.npy or input_0.npy in ", dir.string(),
                 ": export the model with bench/models/export_models.py");
  return inputs;
}

std::vector<trtutils::HostTensor> read_references(const fs::path& dir) {
  std::vector<trtutils::HostTensor> refs;
  for (int i = 0; fs::exists(dir / ("output_" + std::to_string(i) + ".npy")); ++i) {
    refs.push_back(trtutils::read_npy(dir / ("output_" + std::to_string(i) + ".npy")));
  }
  TRTUTILS_CHECK(!refs.empty(), "no output_0.npy in ", dir.string(),
                 ": export the model with bench/models/export_models.py");
  return refs;
}

std::string model_name(const fs::path& dir) {
  fs::path p = dir.lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

/// Inputs converted to what the engine declares (the export writes f32).
std::vector<trtutils::HostTensor> fit_inputs(const trtutils::runtime::TRTEngine& engine,
                                             const std::vector<trtutils::HostTensor>& inputs) {
  const auto dtypes = engine.input_dtypes();
  TRTUTILS_CHECK(dtypes.size() == inputs.size(), "the engine has ", dtypes.size(),
                 " input(s), the folder ", inputs.size());
  std::vector<trtutils::HostTensor> fitted;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    fitted.push_back(inputs[i].dtype() == dtypes[i] ? inputs[i] : inputs[i].cast(dtypes[i]));
  }
  return fitted;
}

/// The model folder's fp32_nodes.txt: one regex per line, '#' starts a comment.
std::vector<std::string> read_fp32_nodes(const fs::path& dir) {
  std::vector<std::string> patterns;
  std::ifstream in(dir / "fp32_nodes.txt");
  for (std::string line; std::getline(in, line);) {
    line = line.substr(0, line.find('#'));
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    patterns.push_back(line.substr(first, line.find_last_not_of(" \t\r") - first + 1));
  }
  return patterns;
}

void check_engine(const fs::path& dir, trtutils::plan::Precision precision, const Options& options,
                  const std::vector<std::string>& fp32_nodes,
                  const std::vector<trtutils::HostTensor>& inputs,
                  const std::vector<trtutils::HostTensor>& refs, Result& result) {
  namespace tb = trtutils::builder;
  tb::BuildOptions build_options;
  build_options.precision = precision;
  build_options.fp32_nodes = fp32_nodes;
  build_options.autotune = options.autotune;
  build_options.timing_cache = options.timing_cache;
  build_options.target_arch = options.target_arch;
  if (options.verbose) {
    build_options.progress = [name = result.model, prec = result.precision, last = std::string()](
                                 std::string_view stage, double fraction) mutable {
      if (stage == last) return;
      last = std::string(stage);
      std::cerr << "  [" << name << " " << prec << "] " << stage << " (" << std::fixed
                << std::setprecision(0) << fraction * 100.0 << "%)\n";
    };
  }
  const auto t0 = Clock::now();
  trtutils::plan::Plan plan = tb::build(dir / "model.onnx", build_options);
  result.build_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  result.layers = plan.layers.size();
  result.arena_mb = static_cast<double>(plan.arena_bytes) / (1024.0 * 1024.0);

  // Through the file: what a deployment does.
  const fs::path engine_path = dir / ("model." + result.precision + ".engine");
  trtutils::plan::write_plan(engine_path, plan);
  trtutils::runtime::TRTEngine engine(engine_path);

  const std::vector<trtutils::HostTensor> fitted = fit_inputs(engine, inputs);
  const std::vector<trtutils::HostTensor> outputs = engine.execute(fitted);
  const std::vector<std::string> names = engine.output_names();
  if (outputs.size() != refs.size()) {
    result.error = trtutils::detail::concat("the engine has ", outputs.size(),
                                            " output(s), the reference ", refs.size());
  }
  for (std::size_t i = 0; i < std::min(outputs.size(), refs.size()); ++i) {
    result.outputs.push_back(
        compare(i < names.size() ? names[i] : std::to_string(i), outputs[i], refs[i]));
  }

  if (options.runs > 0) {
    std::vector<double> ms;
    for (int r = 0; r < options.runs; ++r) {
      const auto s = Clock::now();
      (void)engine.execute(fitted);
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
    }
    std::sort(ms.begin(), ms.end());
    result.run_ms = ms[ms.size() / 2];
  }
}

void check_cpu_reference(const fs::path& dir, const std::vector<trtutils::HostTensor>& inputs,
                         const std::vector<trtutils::HostTensor>& refs, Result& result) {
  const auto t0 = Clock::now();
  trtutils::ir::Graph graph = trtutils::onnx::import_model(dir / "model.onnx");
  trtutils::ops::ReferenceExecutor executor(graph);
  trtutils::ops::TensorMap feed;
  std::size_t next = 0;
  for (const trtutils::ir::Value* input : graph.inputs()) {
    if (input->is_constant()) continue;
    TRTUTILS_CHECK(next < inputs.size(), "the model has more inputs than the folder holds");
    const trtutils::HostTensor& given = inputs[next++];
    feed.emplace(input->name(),
                 given.dtype() == input->dtype() ? given : given.cast(input->dtype()));
  }
  const trtutils::ops::TensorMap outputs = executor.run(feed);
  result.build_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  for (std::size_t i = 0; i < std::min(graph.outputs().size(), refs.size()); ++i) {
    const std::string& name = graph.outputs()[i]->name();
    const auto found = outputs.find(name);
    TRTUTILS_CHECK(found != outputs.end(), "the reference executor returned no output '", name,
                   "'");
    result.outputs.push_back(compare(name, found->second, refs[i]));
  }
}

std::string sci(double v) {
  if (!std::isfinite(v)) return "inf";
  std::ostringstream out;
  out << std::scientific << std::setprecision(2) << v;
  return out.str();
}

std::string fixed(double v, int digits) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << v;
  return out.str();
}

std::string verdict(const Result& r) {
  if (!r.counted) return r.error.empty() ? "info" : "error";
  return r.passed() ? "PASS" : "FAIL";
}

void print_header(std::ostream& out) {
  out << std::left << std::setw(20) << "model" << std::setw(11) << "prec" << std::right
      << std::setw(9) << "build s" << std::setw(8) << "layers" << std::setw(10) << "run ms"
      << "  " << std::left << std::setw(18) << "output" << std::setw(16) << "shape" << std::right
      << std::setw(10) << "rel L2" << std::setw(10) << "max abs" << std::setw(9) << "tol"
      << "  result\n";
  out << std::string(123, '-') << "\n";
}

void print_result(std::ostream& out, const Result& r) {
  const auto lead = [&](std::ostream& o) -> std::ostream& {
    return o << std::left << std::setw(20) << r.model << std::setw(11) << r.precision << std::right
             << std::setw(9) << fixed(r.build_seconds, 1) << std::setw(8)
             << (r.counted && r.layers ? std::to_string(r.layers) : std::string("-"))
             << std::setw(10) << (r.run_ms > 0.0 ? fixed(r.run_ms, 2) : std::string("-")) << "  ";
  };
  const std::string tol = r.counted ? sci(r.tolerance) : std::string("-");
  if (r.outputs.empty()) {
    lead(out) << std::left << std::setw(18) << "-" << std::setw(16) << "-" << std::right
              << std::setw(10) << "-" << std::setw(10) << "-" << std::setw(9) << tol << "  "
              << verdict(r) << "\n";
  }
  for (const OutputCheck& o : r.outputs) {
    const bool ok = o.problem.empty() && std::isfinite(o.rel_l2) && o.rel_l2 <= r.tolerance;
    lead(out) << std::left << std::setw(18) << o.name.substr(0, 17) << std::setw(16) << o.shape
              << std::right << std::setw(10) << sci(o.rel_l2) << std::setw(10) << sci(o.max_abs)
              << std::setw(9) << tol << "  "
              << (r.counted ? (ok && r.error.empty() ? "PASS" : "FAIL") : verdict(r)) << "\n";
    if (!o.problem.empty()) out << "    ! " << o.problem << "\n";
  }
  if (!r.error.empty()) {
    std::istringstream lines(r.error);
    std::string line;
    int shown = 0;
    while (std::getline(lines, line)) {
      if (shown++ == 40) {
        out << "    ! ... (more in the JSON)\n";
        break;
      }
      out << "    ! " << line << "\n";
    }
  }
  out.flush();
}

// JSON text for one value, escaped by nlohmann_json (as the CLI does).
std::string json_string(std::string_view text) { return nlohmann::json(std::string(text)).dump(); }

// Non-finite numbers have no JSON spelling: null.
std::string json_number(double v) {
  return std::isfinite(v) ? nlohmann::json(v).dump() : std::string("null");
}

void write_json(const fs::path& path, const std::vector<Result>& results, int passed, int failed) {
  std::ofstream out(path);
  TRTUTILS_CHECK(out.good(), "cannot write ", path.string());
  out << "{\n  \"passed\": " << passed << ",\n  \"failed\": " << failed << ",\n  \"results\": [";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const Result& r = results[i];
    out << (i ? ",\n" : "\n") << "    {\"model\": " << json_string(r.model)
        << ", \"precision\": " << json_string(r.precision)
        << ", \"counted\": " << (r.counted ? "true" : "false")
        << ", \"result\": " << json_string(verdict(r))
        << ", \"tolerance\": " << json_number(r.counted ? r.tolerance : 0.0)
        << ", \"build_seconds\": " << json_number(r.build_seconds)
        << ", \"run_ms\": " << json_number(r.run_ms) << ", \"layers\": " << r.layers
        << ", \"arena_mb\": " << json_number(r.arena_mb) << ", \"outputs\": [";
    for (std::size_t j = 0; j < r.outputs.size(); ++j) {
      const OutputCheck& o = r.outputs[j];
      out << (j ? ", " : "") << "{\"name\": " << json_string(o.name)
          << ", \"shape\": " << json_string(o.shape) << ", \"rel_l2\": " << json_number(o.rel_l2)
          << ", \"max_abs\": " << json_number(o.max_abs)
          << ", \"problem\": " << json_string(o.problem) << "}";
    }
    out << "], \"error\": " << json_string(r.error) << "}";
  }
  out << "\n  ]\n}\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::variant<Options, int> parsed =
      trtutils::tools::model_check::parse_options(argc, argv, std::cout, std::cerr);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  const Options options = std::get<Options>(std::move(parsed));

  std::vector<Result> results;
  int passed = 0;
  int failed = 0;
  print_header(std::cout);
  for (const fs::path& dir : options.dirs) {
    const std::string name = model_name(dir);
    std::vector<trtutils::HostTensor> inputs;
    std::vector<trtutils::HostTensor> refs;
    std::string load_error;
    try {
      TRTUTILS_CHECK(fs::exists(dir / "model.onnx"), "no model.onnx in ", dir.string());
      inputs = read_inputs(dir);
      refs = read_references(dir);
    } catch (const std::exception& e) {
      load_error = e.what();
    }
    const std::vector<std::string> fp32_nodes = read_fp32_nodes(dir);
    for (const trtutils::plan::Precision precision : options.precisions) {
      const bool reduced = precision != trtutils::plan::Precision::kFloat32;
      // With fp32_nodes.txt a reduced-precision build runs twice: pure (for
      // information, next to the counted mixed build) and mixed.
      for (const bool mixed : {false, true}) {
        if (mixed && (!reduced || fp32_nodes.empty())) continue;
        Result result;
        result.model = name;
        result.precision = std::string(trtutils::plan::precision_name(precision)) +
                           (mixed ? "-mixed" : "");
        result.tolerance = reduced ? options.fp16_tolerance : options.fp32_tolerance;
        result.counted = !(reduced && !mixed && !fp32_nodes.empty());
        if (!load_error.empty()) {
          result.error = load_error;
        } else {
          try {
            check_engine(dir, precision, options, mixed ? fp32_nodes : std::vector<std::string>{},
                         inputs, refs, result);
          } catch (const std::exception& e) {
            result.error = e.what();
          }
        }
        if (result.counted) (result.passed() ? passed : failed) += 1;
        print_result(std::cout, result);
        results.push_back(std::move(result));
      }
    }
    std::error_code ec;
    const auto onnx_bytes = fs::file_size(dir / "model.onnx", ec);
    const bool small =
        !ec && static_cast<double>(onnx_bytes) <= options.cpu_reference_max_mb * 1024.0 * 1024.0;
    if (load_error.empty() && (options.cpu_reference || small)) {
      Result result;
      result.model = name;
      result.precision = "cpu-ref";
      result.counted = false;
      result.tolerance = options.fp32_tolerance;
      try {
        check_cpu_reference(dir, inputs, refs, result);
      } catch (const std::exception& e) {
        result.error = e.what();
      }
      print_result(std::cout, result);
      results.push_back(std::move(result));
    }
  }
  if (!options.json.empty()) {
    try {
      write_json(options.json, results, passed, failed);
    } catch (const std::exception& e) {
      std::cerr << "trtutils-model-check: " << e.what() << "\n";
      failed += 1;
    }
  }
  std::cout << "model-check: " << passed << " passed, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}
