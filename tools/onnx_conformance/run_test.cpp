#include "run_test.hpp"

#include <algorithm>
#include <optional>
#include <regex>
#include <vector>

#include "compare.hpp"
#include "test_data_files.hpp"
#include "trtutils/onnx/importer.hpp"
#include "trtutils/ops/reference_executor.hpp"
#include "trtutils/ops/registry.hpp"
#include "trtutils/passes/passes.hpp"

namespace trtutils::conformance {

namespace fs = std::filesystem;

const char* status_name(Status status) {
  switch (status) {
    case Status::kPassed:
      return "passed";
    case Status::kFailed:
      return "failed";
    case Status::kUnsupported:
      return "unsupported";
  }
  return "?";
}

std::set<std::string> model_op_types(const fs::path& test_dir) {
  std::set<std::string> types;
  try {
    onnx::ImportOptions options;
    options.check_support = false;
    const ir::Graph graph = onnx::import_model(test_dir / "model.onnx", options);
    for (const ir::Node* node : graph.nodes()) types.insert(node->op_type());
  } catch (const std::exception&) {
    // Keyed by name alone, then.
  }
  return types;
}

TestSuite discover_tests(const fs::path& data, const std::string& filter,
                         const std::set<std::string>& scope) {
  std::optional<std::regex> pattern;
  if (!filter.empty()) pattern.emplace(filter);
  TestSuite suite;
  suite.candidates = scope;
  for (const std::string& op : ops::OpRegistry::builtin().op_types()) suite.candidates.insert(op);
  for (const auto& entry : fs::directory_iterator(data)) {
    if (!fs::exists(entry.path() / "model.onnx")) continue;
    std::set<std::string> types = model_op_types(entry.path());
    suite.candidates.insert(types.begin(), types.end());
    suite.op_types[entry.path()] = std::move(types);
    if (pattern && !std::regex_search(entry.path().filename().string(), *pattern)) continue;
    suite.tests.push_back(entry.path());
  }
  std::sort(suite.tests.begin(), suite.tests.end());
  return suite;
}

namespace {

/// A test failure with a message (not a trtutils error of the code under test).
struct Mismatch {
  std::string message;
};

/// Feeds input_i to the graph input of the TensorProto's name when it has
/// one, else to the i-th graph input that is not an initializer (what ONNX's
/// backend runner does).
ops::TensorMap read_inputs(const ir::Graph& graph, const fs::path& set_dir) {
  std::vector<const ir::Value*> feedable;
  for (const ir::Value* in : graph.inputs()) {
    if (!in->is_constant()) feedable.push_back(in);
  }
  ops::TensorMap inputs;
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

/// Drops the dtypes/shapes the file declares for computed values, so that
/// what infer_shapes ends with is the shape rules' own answer (infer_shapes
/// otherwise refines a rule's unknowns with the declaration).
void forget_declared_types(ir::Graph& graph) {
  for (ir::Node* node : graph.nodes()) {
    for (ir::Value* out : node->outputs()) {
      if (!out) continue;
      out->set_dtype(DType::kUndefined);
      out->set_shape(std::nullopt);
    }
  }
}

/// The shape rules' answer for each graph output must agree with the
/// expected tensor wherever it is known.
void check_inferred_outputs(const ir::Graph& graph, const std::vector<HostTensor>& expected) {
  for (std::size_t i = 0; i < expected.size() && i < graph.outputs().size(); ++i) {
    const ir::Value& out = *graph.outputs()[i];
    const HostTensor& want = expected[i];
    if (out.dtype() == DType::kUndefined) {
      throw Mismatch{detail::concat("shape rule left the dtype of output '", out.name(),
                                    "' undefined (expected ", dtype_name(want.dtype()), ")")};
    }
    bool agrees = out.dtype() == DType::kUndefined || out.dtype() == want.dtype();
    if (out.shape()) {
      agrees = agrees && out.shape()->size() == want.shape().size();
      for (std::size_t d = 0; agrees && d < want.shape().size(); ++d) {
        const ir::Dim& dim = (*out.shape())[d];
        agrees = !dim.is_static() || dim.value == want.shape()[d];
      }
    }
    if (!agrees) {
      throw Mismatch{detail::concat("shape rule disagrees: output '", out.name(), "' inferred ",
                                    dtype_name(out.dtype()), ir::to_string(out.shape()),
                                    ", expected ", dtype_name(want.dtype()),
                                    shape_to_string(want.shape()))};
    }
  }
}

std::string unknown_output_shapes(const ir::Graph& graph) {
  for (const ir::Value* in : graph.inputs()) {
    if (!ir::is_static(in->shape())) return {};
  }
  std::string list;
  for (const ir::Value* out : graph.outputs()) {
    if (ir::is_static(out->shape())) continue;
    list += detail::concat(list.empty() ? "" : "; ", out->name(), ": ", dtype_name(out->dtype()),
                           ir::to_string(out->shape()));
  }
  return list;
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

void compare_outputs(const ir::Graph& graph, const ops::TensorMap& results,
                     const std::vector<HostTensor>& expected, const fs::path& set_dir) {
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const std::string& name = graph.outputs()[i]->name();
    if (auto difference = compare(results.at(name), expected[i])) {
      throw Mismatch{
          detail::concat(set_dir.filename().string(), ": output '", name, "': ", *difference)};
    }
  }
}

ir::Graph prepare(const fs::path& test_dir, const RunOptions& options) {
  ir::Graph graph = onnx::import_model(test_dir / "model.onnx");
  forget_declared_types(graph);
  if (options.simplify) {
    passes::simplify(graph);
  } else {
    passes::infer_shapes(graph);
  }
  return graph;
}

/// The data set's inputs become constants of the graph before the passes
/// run, so the whole graph folds at build time; the executor then only hands
/// back constants. Exercises the shape rules on constant data and the CPU
/// references through infer_shapes' evaluation.
void run_with_constant_inputs(const fs::path& test_dir, const fs::path& set_dir) {
  ir::Graph graph = onnx::import_model(test_dir / "model.onnx");
  forget_declared_types(graph);
  ops::TensorMap inputs = read_inputs(graph, set_dir);
  for (auto& [name, tensor] : inputs) graph.find_value(name)->set_constant(std::move(tensor));
  std::erase_if(graph.inputs(), [](const ir::Value* in) { return in->is_constant(); });
  passes::simplify(graph);
  if (graph.node_count() != 0) {
    std::string left;
    for (const ir::Node* node : graph.nodes()) left += " " + node->describe();
    throw Mismatch{detail::concat("with constant inputs ", graph.node_count(),
                                  " node(s) were not folded:", left)};
  }
  const std::vector<HostTensor> expected = read_expected(graph, set_dir);
  check_inferred_outputs(graph, expected);
  compare_outputs(graph, ops::ReferenceExecutor(graph).run({}), expected, set_dir);
}

}  // namespace

TestOutcome run_test(const fs::path& test_dir, const RunOptions& options) {
  try {
    const std::vector<fs::path> sets = data_sets(test_dir);
    if (sets.empty()) return {Status::kFailed, "no test_data_set_* folder", {}};
    if (options.constant_inputs) {
      for (const fs::path& set : sets) run_with_constant_inputs(test_dir, set);
      return {Status::kPassed, {}, {}};
    }
    const ir::Graph graph = prepare(test_dir, options);
    const ops::ReferenceExecutor executor(graph);
    for (const fs::path& set : sets) {
      const std::vector<HostTensor> expected = read_expected(graph, set);
      check_inferred_outputs(graph, expected);
      compare_outputs(graph, executor.run(read_inputs(graph, set)), expected, set);
    }
    return {Status::kPassed, {}, unknown_output_shapes(graph)};
  } catch (const Mismatch& m) {
    return {Status::kFailed, m.message, {}};
  } catch (const UnsupportedError& e) {
    return {Status::kUnsupported, e.what(), {}};
  } catch (const ModelError& e) {
    return {Status::kFailed, detail::concat("ModelError: ", e.what()), {}};
  } catch (const InvalidArgument& e) {
    return {Status::kFailed, detail::concat("InvalidArgument: ", e.what()), {}};
  } catch (const FileError& e) {
    return {Status::kFailed, detail::concat("FileError: ", e.what()), {}};
  } catch (const std::exception& e) {
    return {Status::kFailed, detail::concat("exception: ", e.what()), {}};
  }
}

}  // namespace trtutils::conformance
