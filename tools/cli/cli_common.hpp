#pragma once
// Shared pieces of the `trtutils` command line: exit codes, the flags that
// several subcommands take (inputs, build options, device, --json), input
// loading, random inputs, byte/shape formatting and the GPU presence check.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "trtutils/builder/build_options.hpp"
#include "trtutils/plan/plan.hpp"
#include "trtutils/tensor/host_tensor.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace trtutils::cli {

/// Exit statuses of every subcommand.
inline constexpr int kExitOk = 0;
/// A failure, or (compare) an output over tolerance.
inline constexpr int kExitFailure = 1;
/// Bad usage: unknown flag, missing or malformed argument.
inline constexpr int kExitUsage = 2;

/// Thrown by a subcommand for a usage problem found after parsing (a
/// malformed `name=file.npy`, an input the model does not have...): exit 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown when the subcommand needs a GPU and none is visible: exit 1 with
/// the message, before any CUDA work.
class NoGpuError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Flags that decide how an ONNX model is built (build, and bench/compare
/// when they are given an .onnx file).
struct BuildFlags {
  bool fp16 = false;
  bool bf16 = false;
  std::string batch;  // "B" or "MIN:OPT:MAX"
  std::filesystem::path timing_cache;
  std::uint64_t workspace_mib = 256;
  std::vector<std::string> constant_inputs;  // "name=file.npy"
  bool no_autotune = false;
  bool no_runtime_fusion = false;
  std::string target_arch;
  std::filesystem::path kernel_cache_dir;
  bool no_fuse = false;
  std::vector<std::string> fp32_nodes;  // regexes of node names kept in fp32
  std::string layout = "auto";  // convolution layout: auto, nchw, nhwc
};

/// Adds the BuildFlags options to `command` (--batch only when `with_batch`:
/// bench has its own).
void add_build_flags(CLI::App& command, BuildFlags& flags, bool with_batch = true);

/// The builder's options for these flags (no progress callback). UsageError
/// for a malformed batch or constant input; FileError for an unreadable .npy.
builder::BuildOptions to_build_options(const BuildFlags& flags);

/// "B" -> {B, B, B}; "MIN:OPT:MAX" -> as given. UsageError otherwise.
builder::BatchProfile parse_batch(const std::string& text);

/// "name=file.npy" pairs read into tensors; `flag` names the option in
/// messages. UsageError for a missing '=' or an empty name, a name given twice.
std::map<std::string, HostTensor> read_named_tensors(const std::vector<std::string>& pairs,
                                                     const std::string& flag);

/// Inputs in `specs` order (inputs only): given tensors (cast to the declared
/// dtype when they differ, noted in `notes`), random ones for the rest
/// (floats in [0, 1), integers in [0, 10), booleans 0/1, seeded). UsageError
/// for a given name that is not an input of the model.
std::vector<HostTensor> prepare_inputs(const std::vector<plan::TensorSpec>& specs,
                                       const std::map<std::string, HostTensor>& given,
                                       std::uint64_t seed, std::vector<std::string>* sources);

/// The plan of an .engine file, or of an .onnx file built with `flags` (a
/// progress bar on stderr unless `quiet`).
plan::Plan load_or_build_plan(const std::filesystem::path& model, const BuildFlags& flags,
                              bool quiet);

/// A random tensor of the spec's static dims and dtype.
HostTensor random_tensor(const plan::TensorSpec& spec, std::uint64_t seed);

/// Throws NoGpuError naming `what` when no CUDA device is visible.
void require_gpu(const std::string& what);
/// How many CUDA devices are visible (0 without a driver).
int visible_gpus() noexcept;

/// "[1,3,224,224]".
std::string dims_text(const std::vector<std::int64_t>& dims);
/// "12.3 MiB", "512 B".
std::string bytes_text(std::uint64_t bytes);
/// Fixed-point with `digits` decimals.
std::string fixed_text(double value, int digits);
/// A file name for a tensor name (characters other than [A-Za-z0-9._-] become '_').
std::string file_name_for(const std::string& tensor_name);
/// "2024-05-01 12:00:00 UTC" for a Unix time.
std::string utc_text(std::int64_t unix_seconds);
/// True when `path` ends in ".onnx" (case-insensitive).
bool is_onnx_path(const std::filesystem::path& path);

}  // namespace trtutils::cli
