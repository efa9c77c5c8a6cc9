// trtutils run MODEL.engine [--input NAME=FILE.npy]... [--output-dir D] [--seed N]
//              [--save-inputs] [--device N] [--json]
//
// Runs the engine once on the given inputs (random ones for inputs not
// given), writes every output as D/<output name>.npy and prints each
// output's shape, dtype and value range. An .onnx model is built first (with
// the build options).
#include <chrono>
#include <cmath>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "commands.hpp"
#include "table.hpp"
#include "trtutils/runtime/trt_engine.hpp"
#include "trtutils/tensor/npy.hpp"

namespace trtutils::cli {

namespace {

namespace fs = std::filesystem;

struct RunArgs {
  fs::path model;
  std::vector<std::string> inputs;
  fs::path output_dir;
  std::uint64_t seed = 0;
  bool save_inputs = false;
  int device = 0;
  bool json = false;
  bool quiet = false;
  BuildFlags flags;
};

struct ValueRange {
  double min = std::numeric_limits<double>::quiet_NaN();
  double max = std::numeric_limits<double>::quiet_NaN();
  double mean = std::numeric_limits<double>::quiet_NaN();
  std::int64_t non_finite = 0;
};

ValueRange value_range(const HostTensor& tensor) {
  ValueRange range;
  double sum = 0.0;
  std::int64_t finite = 0;
  for (std::int64_t i = 0; i < tensor.element_count(); ++i) {
    const double v = element_as_double(tensor.view(), i);
    if (!std::isfinite(v)) {
      ++range.non_finite;
      continue;
    }
    range.min = finite == 0 ? v : std::min(range.min, v);
    range.max = finite == 0 ? v : std::max(range.max, v);
    sum += v;
    ++finite;
  }
  if (finite > 0) range.mean = sum / static_cast<double>(finite);
  return range;
}

nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

std::string number_text(double v) {
  if (!std::isfinite(v)) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

/// bf16 has no NumPy dtype: such outputs are written as f32.
void write_tensor(const fs::path& path, const HostTensor& tensor) {
  if (tensor.dtype() == DType::kBFloat16) {
    write_npy(path, tensor.cast(DType::kFloat32).view());
  } else {
    write_npy(path, tensor.view());
  }
}

int run_run(const RunArgs& args) {
  const std::map<std::string, HostTensor> given = read_named_tensors(args.inputs, "--input");
  require_gpu("running an engine");
  plan::Plan plan = load_or_build_plan(args.model, args.flags, args.quiet || args.json);
  std::vector<std::string> sources;
  const std::vector<HostTensor> inputs = prepare_inputs(plan.io, given, args.seed, &sources);

  runtime::TRTEngineOptions options;
  options.device = args.device;
  runtime::TRTEngine engine(std::move(plan), options);
  const auto start = std::chrono::steady_clock::now();
  const std::vector<HostTensor> outputs = engine.execute(inputs);
  const double run_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  const std::vector<std::string> input_names = engine.input_names();
  const std::vector<std::string> output_names = engine.output_names();
  if (!args.output_dir.empty()) fs::create_directories(args.output_dir);

  nlohmann::json json;
  json["model"] = args.model.string();
  json["run_ms"] = run_ms;
  json["inputs"] = nlohmann::json::array();
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    nlohmann::json entry = {{"name", input_names[i]},
                            {"dtype", std::string(dtype_name(inputs[i].dtype()))},
                            {"dims", inputs[i].shape()},
                            {"source", sources[i]}};
    if (args.save_inputs && !args.output_dir.empty()) {
      const fs::path path = args.output_dir / ("input_" + file_name_for(input_names[i]) + ".npy");
      write_tensor(path, inputs[i]);
      entry["file"] = path.string();
    }
    json["inputs"].push_back(entry);
  }
  json["outputs"] = nlohmann::json::array();
  Table table({{"output"},
               {"dtype"},
               {"shape"},
               {"min", Table::Align::kRight},
               {"max", Table::Align::kRight},
               {"mean", Table::Align::kRight},
               {"file"}});
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const ValueRange range = value_range(outputs[i]);
    std::string file;
    if (!args.output_dir.empty()) {
      file = (args.output_dir / (file_name_for(output_names[i]) + ".npy")).string();
      write_tensor(file, outputs[i]);
    }
    json["outputs"].push_back(
        {{"name", output_names[i]},
         {"dtype", std::string(dtype_name(outputs[i].dtype()))},
         {"dims", outputs[i].shape()},
         {"min", number_or_null(range.min)},
         {"max", number_or_null(range.max)},
         {"mean", number_or_null(range.mean)},
         {"non_finite", range.non_finite},
         {"file", file.empty() ? nlohmann::json(nullptr) : nlohmann::json(file)}});
    table.add_row({output_names[i], std::string(dtype_name(outputs[i].dtype())),
                   dims_text(outputs[i].shape()), number_text(range.min), number_text(range.max),
                   number_text(range.mean), file.empty() ? "-" : file});
  }
  if (args.json) {
    std::cout << json.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "ran " << args.model.string() << " in " << fixed_text(run_ms, 2)
            << " ms (first run, host to host)\n\ninputs\n";
  Table input_table({{"input"}, {"dtype"}, {"shape"}, {"source"}});
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    input_table.add_row({input_names[i], std::string(dtype_name(inputs[i].dtype())),
                         dims_text(inputs[i].shape()), sources[i]});
  }
  input_table.print(std::cout);
  std::cout << "\noutputs\n";
  table.print(std::cout);
  if (args.output_dir.empty()) std::cout << "(give --output-dir to save the outputs as .npy)\n";
  return kExitOk;
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* command = app.add_subcommand(
      "run",
      "Run an engine once on .npy inputs (random ones where none is given) and save the "
      "outputs as .npy.");
  command->add_option("MODEL", args->model, "the .engine file (an .onnx file is built first)")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("-i,--input", args->inputs,
                      "NAME=FILE.npy: an input's value; repeatable (inputs not given are random)");
  command->add_option("-d,--output-dir", args->output_dir,
                      "folder to write each output to as <name>.npy (created if missing)");
  command->add_option("--seed", args->seed, "seed of the random inputs")->capture_default_str();
  command->add_flag("--save-inputs", args->save_inputs,
                    "also write the inputs used to the output folder as input_<name>.npy");
  command->add_option("--device", args->device, "CUDA device")->capture_default_str();
  command->add_flag("--json", args->json, "print the report as JSON");
  command->add_flag("-q,--quiet", args->quiet, "no build progress bar (.onnx)");
  add_build_flags(*command, args->flags);
  return {command, [args] { return run_run(*args); }};
}

}  // namespace trtutils::cli
