#include "cli_common.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <iomanip>
#include <random>
#include <set>
#include <sstream>

#include "progress_bar.hpp"
#include "trtutils/builder/builder.hpp"
#include "trtutils/core/device.hpp"
#include "trtutils/core/error.hpp"
#include "trtutils/plan/plan_reader.hpp"
#include "trtutils/tensor/npy.hpp"

namespace trtutils::cli {

void add_build_flags(CLI::App& command, BuildFlags& flags, bool with_batch) {
  const std::string group = "Build options";
  CLI::Option* fp16 =
      command.add_flag("--fp16", flags.fp16, "store activations and weights as fp16")->group(group);
  command.add_flag("--bf16", flags.bf16, "store activations and weights as bf16")
      ->group(group)
      ->excludes(fp16);
  if (with_batch) {
    command
        .add_option("--batch", flags.batch,
                    "batch size for inputs with a dynamic axis 0: B (a static engine) or "
                    "MIN:OPT:MAX (the engine takes any batch in MIN..MAX, built once per bucket: "
                    "MIN, OPT, MAX and the powers of two between)")
        ->group(group);
  }
  command
      .add_option("--layout", flags.layout,
                  "convolution layout: auto (NHWC for --fp16/--bf16, else NCHW), nchw, nhwc")
      ->check(CLI::IsMember({"auto", "nchw", "nhwc"}))
      ->capture_default_str()
      ->group(group);
  command
      .add_option("--timing-cache", flags.timing_cache,
                  "autotuning results reused across builds (read if present, written back)")
      ->group(group);
  command
      .add_option("--workspace", flags.workspace_mib,
                  "most scratch memory a cuDNN / cuBLASLt algorithm may use, MiB")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1} << 20))
      ->group(group);
  command
      .add_option("--constant-input", flags.constant_inputs,
                  "NAME=FILE.npy: fix a (shape-deciding) input's value at build time; repeatable")
      ->group(group);
  command
      .add_flag("--no-autotune", flags.no_autotune,
                "do not time cuDNN / cuBLASLt candidates (with --target-arch, builds "
                "without a GPU)")
      ->group(group);
  command
      .add_flag("--no-runtime-fusion", flags.no_runtime_fusion,
                "only precompiled cuDNN engines: faster engine loading, slower inference "
                "(no kernels compiled at load)")
      ->group(group);
  command
      .add_option("--target-arch", flags.target_arch,
                  "GPU architecture to build for, e.g. sm_90 (default: this GPU's)")
      ->group(group);
  command
      .add_option("--fp32-nodes", flags.fp32_nodes,
                  "REGEX: with --fp16/--bf16, nodes whose name matches stay fp32 (e.g. the "
                  "first layers of a model that amplifies rounding); repeatable")
      ->group(group);
  command
      .add_option("--kernel-cache-dir", flags.kernel_cache_dir,
                  "disk cache of compiled NVRTC kernels (default: the library's)")
      ->group(group);
  command.add_flag("--no-fuse", flags.no_fuse, "skip the fusion passes")->group(group);
}

builder::BatchProfile parse_batch(const std::string& text) {
  std::vector<std::int64_t> values;
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = text.find(':', start);
    const std::string part =
        text.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || error != std::errc() || end != part.data() + part.size() || value < 1) {
      throw UsageError(detail::concat("--batch '", text,
                                      "': give a batch size B or MIN:OPT:MAX, positive integers"));
    }
    values.push_back(value);
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (values.size() == 1) return {values[0], values[0], values[0]};
  if (values.size() != 3) {
    throw UsageError(detail::concat("--batch '", text, "': give B or MIN:OPT:MAX"));
  }
  if (!(values[0] <= values[1] && values[1] <= values[2])) {
    throw UsageError(detail::concat("--batch '", text, "': needs MIN <= OPT <= MAX"));
  }
  return {values[0], values[1], values[2]};
}

std::map<std::string, HostTensor> read_named_tensors(const std::vector<std::string>& pairs,
                                                     const std::string& flag) {
  std::map<std::string, HostTensor> tensors;
  for (const std::string& pair : pairs) {
    const std::size_t equals = pair.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == pair.size()) {
      throw UsageError(detail::concat(flag, " '", pair, "': expected NAME=FILE.npy"));
    }
    const std::string name = pair.substr(0, equals);
    if (tensors.count(name) != 0) {
      throw UsageError(detail::concat(flag, ": '", name, "' is given twice"));
    }
    tensors.emplace(name, read_npy(pair.substr(equals + 1)));
  }
  return tensors;
}

builder::BuildOptions to_build_options(const BuildFlags& flags) {
  builder::BuildOptions options;
  options.precision = flags.fp16   ? plan::Precision::kFloat16
                      : flags.bf16 ? plan::Precision::kBFloat16
                                   : plan::Precision::kFloat32;
  options.max_workspace_bytes = flags.workspace_mib << 20;
  options.target_arch = flags.target_arch;
  options.autotune = !flags.no_autotune;
  options.cudnn_runtime_fusion = !flags.no_runtime_fusion;
  if (!flags.batch.empty()) options.batch = parse_batch(flags.batch);
  options.constant_inputs = read_named_tensors(flags.constant_inputs, "--constant-input");
  options.timing_cache = flags.timing_cache;
  options.kernel_cache_dir = flags.kernel_cache_dir;
  options.fuse = !flags.no_fuse;
  options.fp32_nodes = flags.fp32_nodes;
  options.layout = builder::layout_from_name(flags.layout);
  return options;
}

HostTensor random_tensor(const plan::TensorSpec& spec, std::uint64_t seed) {
  // A dynamic dim with a profile (a dynamic-batch engine's batch) takes its opt.
  std::vector<std::int64_t> dims = spec.dims;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 0 && spec.profile) dims[i] = spec.profile->opt.at(i);
  }
  for (const std::int64_t d : dims) {
    if (d < 0) {
      throw InvalidArgument(detail::concat("input '", spec.name, "' has a dynamic shape ",
                                           dims_text(spec.dims),
                                           ": give its value with --input NAME=FILE.npy"));
    }
  }
  std::mt19937_64 generator(seed);
  std::uniform_real_distribution<double> real(0.0, 1.0);
  std::uniform_int_distribution<int> integer(0, 9);
  HostTensor tensor(Shape(dims.begin(), dims.end()), spec.dtype);
  const bool floating = is_floating_point(spec.dtype);
  const bool boolean = spec.dtype == DType::kBool;
  for (std::int64_t i = 0; i < tensor.element_count(); ++i) {
    const double value = floating  ? real(generator)
                         : boolean ? static_cast<double>(integer(generator) % 2)
                                   : static_cast<double>(integer(generator));
    set_element_from_double(tensor.view(), i, value);
  }
  return tensor;
}

std::vector<HostTensor> prepare_inputs(const std::vector<plan::TensorSpec>& specs,
                                       const std::map<std::string, HostTensor>& given,
                                       std::uint64_t seed, std::vector<std::string>* sources) {
  std::set<std::string> names;
  for (const plan::TensorSpec& spec : specs) {
    if (spec.is_input) names.insert(spec.name);
  }
  for (const auto& [name, tensor] : given) {
    if (names.count(name) == 0) {
      std::string known;
      for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
      throw UsageError(detail::concat("--input '", name, "': the model has no such input (inputs: ",
                                      known.empty() ? "none" : known, ")"));
    }
  }
  std::vector<HostTensor> inputs;
  std::uint64_t index = 0;
  for (const plan::TensorSpec& spec : specs) {
    if (!spec.is_input) continue;
    const auto found = given.find(spec.name);
    if (found == given.end()) {
      inputs.push_back(random_tensor(spec, seed + index));
      if (sources) sources->push_back("random");
    } else if (found->second.dtype() != spec.dtype) {
      inputs.push_back(found->second.cast(spec.dtype));
      if (sources) {
        sources->push_back(detail::concat("file (cast from ", dtype_name(found->second.dtype()),
                                          " to ", dtype_name(spec.dtype), ")"));
      }
    } else {
      inputs.push_back(found->second);
      if (sources) sources->push_back("file");
    }
    ++index;
  }
  return inputs;
}

plan::Plan load_or_build_plan(const std::filesystem::path& model, const BuildFlags& flags,
                              bool quiet) {
  if (!is_onnx_path(model)) return plan::read_plan(model);
  builder::BuildOptions options = to_build_options(flags);
  ProgressBar bar(stderr, "build", !quiet);
  options.progress = [&bar](std::string_view stage, double fraction) {
    bar.update(stage, fraction);
  };
  plan::Plan plan = builder::build(model, options);
  bar.finish();
  return plan;
}

int visible_gpus() noexcept { return core::device_count(); }

void require_gpu(const std::string& what) {
  if (visible_gpus() > 0) return;
  throw NoGpuError(detail::concat(
      what,
      " needs an NVIDIA GPU and no CUDA device is visible (no driver or no device): run "
      "it on a GPU machine; `trtutils inspect` and `trtutils build --no-autotune "
      "--target-arch sm_XX` work without one"));
}

std::string dims_text(const std::vector<std::int64_t>& dims) {
  std::string text = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    text += (i ? "," : "") + (dims[i] < 0 ? std::string("?") : std::to_string(dims[i]));
  }
  return text + "]";
}

std::string bytes_text(std::uint64_t bytes) {
  if (bytes < 1024) return detail::concat(bytes, " B");
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  int unit = 0;
  while (value >= 1024.0 && unit < 3) {
    value /= 1024.0;
    ++unit;
  }
  return fixed_text(value, value < 10.0 ? 2 : 1) + " " + units[unit];
}

std::string fixed_text(double value, int digits) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << value;
  return out.str();
}

std::string file_name_for(const std::string& tensor_name) {
  std::string name = tensor_name.empty() ? std::string("tensor") : tensor_name;
  for (char& c : name) {
    const bool plain =
        std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    if (!plain) c = '_';
  }
  if (name.front() == '.') name.front() = '_';
  return name;
}

std::string utc_text(std::int64_t unix_seconds) {
  const std::time_t time = static_cast<std::time_t>(unix_seconds);
  std::tm parts{};
  gmtime_r(&time, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &parts);
  return text;
}

bool is_onnx_path(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".onnx";
}

}  // namespace trtutils::cli
