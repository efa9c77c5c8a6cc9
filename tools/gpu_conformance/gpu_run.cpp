#include "gpu_run.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "compare.hpp"
#include "test_data_files.hpp"
#include "constant_inputs.hpp"
#include "gpu_compare.hpp"
#include "trtutils/builder/builder.hpp"
#include "trtutils/core/error.hpp"
#include "trtutils/onnx/importer.hpp"
#include "trtutils/runtime/trt_engine.hpp"

namespace trtutils::gpu_conformance {

namespace fs = std::filesystem;
using conformance::data_sets;
using conformance::numbered_files;

namespace {

/// A test failure with its message (wrong result, bad test data).
struct Mismatch {
  std::string message;
};

/// Where an exception came from, for the message and for the verdict
/// (only the builder's UnsupportedError makes a test "unsupported").
enum class Stage { kBuild, kLoad, kRun };

struct StagedError {
  Stage stage;
  std::exception_ptr error;
};

std::map<std::string, HostTensor> read_inputs(const ir::Graph& graph, const fs::path& set_dir) {
  std::vector<const ir::Value*> feedable;
  for (const ir::Value* in : graph.inputs()) {
    if (!in->is_constant()) feedable.push_back(in);
  }
  std::map<std::string, HostTensor> inputs;
  const std::vector<fs::path> files = numbered_files(set_dir, "input");
  for (std::size_t i = 0; i < files.size(); ++i) {
    onnx::NamedTensor named = onnx::read_named_tensor_proto(files[i]);
    std::string name = named.name;
    if (name.empty() || !graph.find_value(name)) {
      if (i >= feedable.size()) {
        throw Mismatch{detail::concat(set_dir.filename().string(), " has ", files.size(),
                                      " inputs, the model takes ", feedable.size())};
      }
      name = feedable[i]->name();
    }
    inputs[name] = std::move(named.tensor);
  }
  return inputs;
}

std::vector<HostTensor> read_expected(const ir::Graph& graph, const fs::path& set_dir) {
  std::vector<HostTensor> expected;
  for (const fs::path& file : numbered_files(set_dir, "output")) {
    expected.push_back(onnx::read_tensor_proto(file));
  }
  if (expected.size() != graph.outputs().size()) {
    throw Mismatch{detail::concat(set_dir.filename().string(), " has ", expected.size(),
                                  " expected outputs, the model ", graph.outputs().size())};
  }
  return expected;
}

/// Graph inputs with a symbolic (or missing) shape take the data's shape:
/// the engine is static, like a TensorRT profile with min = opt = max.
void fix_input_shapes(ir::Graph& graph, const std::map<std::string, HostTensor>& inputs) {
  for (ir::Value* in : graph.inputs()) {
    if (in->is_constant() || ir::is_static(in->shape())) continue;
    const auto it = inputs.find(in->name());
    if (it == inputs.end()) continue;
    ir::DimList dims;
    for (const std::int64_t d : it->second.shape()) dims.emplace_back(d);
    in->set_shape(std::move(dims));
  }
}

std::string join(const std::set<std::string>& names) {
  std::string text;
  for (const std::string& n : names) text += (text.empty() ? "" : ",") + n;
  return text;
}

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const NvrtcError& e) {
    return detail::concat("NvrtcError: ", e.what());
  } catch (const UnsupportedError& e) {
    return detail::concat("UnsupportedError: ", e.what());
  } catch (const ModelError& e) {
    return detail::concat("ModelError: ", e.what());
  } catch (const InvalidArgument& e) {
    return detail::concat("InvalidArgument: ", e.what());
  } catch (const FileError& e) {
    return detail::concat("FileError: ", e.what());
  } catch (const CudaError& e) {
    return detail::concat("CudaError: ", e.what());
  } catch (const std::exception& e) {
    return detail::concat("exception: ", e.what());
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace

GpuOutcome run_gpu_test(const fs::path& test_dir, const GpuRunOptions& options) {
  GpuOutcome outcome;
  try {
    const fs::path model = test_dir / "model.onnx";
    const std::vector<fs::path> sets = data_sets(test_dir);
    if (sets.empty()) throw Mismatch{"no test_data_set_* folder"};
    const ir::Graph graph = onnx::import_model(model);

    std::unique_ptr<runtime::TRTEngine> engine;
    bool built_once = false;
    std::map<std::string, HostTensor> engine_constants;
    std::set<std::string> fixed;
    std::set<std::string> all_fixed;
    for (const fs::path& set : sets) {
      const std::string set_name = set.filename().string();
      const std::map<std::string, HostTensor> inputs = read_inputs(graph, set);
      const std::vector<HostTensor> expected = read_expected(graph, set);

      if (!built_once || !same_constant_values(engine_constants, inputs)) {
        engine.reset();
        plan::Plan plan;
        try {
          auto built = build_fixing_inputs(
              inputs, fixed, [&](const std::map<std::string, HostTensor>& constants) {
                builder::BuildOptions build;
                build.precision = options.precision;
                build.autotune = options.autotune;
                build.timing_cache = options.timing_cache;
                build.target_arch = options.target_arch;
                build.constant_inputs = constants;
                ir::Graph g = onnx::import_model(model);
                fix_input_shapes(g, inputs);
                return builder::build(std::move(g), build);
              });
          fixed = built.fixed;
          all_fixed.insert(fixed.begin(), fixed.end());
          engine_constants = select_inputs(inputs, fixed);
          plan = std::move(built.result);
          built_once = true;
          ++outcome.engines;
        } catch (...) {
          throw StagedError{Stage::kBuild, std::current_exception()};
        }
        if (options.build_only) continue;
        try {
          engine = std::make_unique<runtime::TRTEngine>(std::move(plan));
        } catch (...) {
          throw StagedError{Stage::kLoad, std::current_exception()};
        }
      }
      if (options.build_only) continue;

      std::vector<HostTensor> results;
      try {
        std::vector<HostTensor> feed;
        for (const std::string& name : engine->input_names()) {
          const auto it = inputs.find(name);
          if (it == inputs.end()) {
            throw Mismatch{detail::concat(set_name, ": the engine's input '", name,
                                          "' has no value in the data set")};
          }
          feed.push_back(it->second);
        }
        results = engine->execute(feed);
      } catch (const Mismatch&) {
        throw;
      } catch (...) {
        throw StagedError{Stage::kRun, std::current_exception()};
      }

      const std::vector<std::string> names = engine->output_names();
      for (std::size_t i = 0; i < expected.size(); ++i) {
        const std::string& want = graph.outputs()[i]->name();
        std::size_t j = std::find(names.begin(), names.end(), want) - names.begin();
        if (j == names.size()) {
          if (names.size() != expected.size()) {
            throw Mismatch{detail::concat("the engine has no output '", want, "' (it has ",
                                          names.size(), " outputs)")};
          }
          j = i;
        }
        const std::optional<std::string> difference =
            options.precision == plan::Precision::kFloat32
                ? conformance::compare(results.at(j), expected[i])
                : compare_fp16(results.at(j), expected[i]);
        if (difference) {
          throw Mismatch{detail::concat(set_name, ": output '", want, "': ", *difference)};
        }
      }
    }
    outcome.status = GpuStatus::kPassed;
    outcome.constant_inputs = join(all_fixed);
  } catch (const Mismatch& m) {
    outcome.status = GpuStatus::kFailed;
    outcome.message = m.message;
  } catch (const StagedError& s) {
    bool unsupported = false;
    if (s.stage == Stage::kBuild) {
      try {
        std::rethrow_exception(s.error);
      } catch (const UnsupportedError&) {
        unsupported = true;
      } catch (...) {
      }
    }
    outcome.status = unsupported ? GpuStatus::kUnsupported : GpuStatus::kFailed;
    outcome.message =
        detail::concat(s.stage == Stage::kBuild  ? "build: "
                       : s.stage == Stage::kLoad ? "load: "
                                                 : "run: ",
                       describe(s.error));
  } catch (...) {
    outcome.status = GpuStatus::kFailed;
    outcome.message = describe(std::current_exception());
  }
  return outcome;
}

}  // namespace trtutils::gpu_conformance
