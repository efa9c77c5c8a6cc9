#pragma once
// Running one ONNX backend test folder (model.onnx + test_data_set_*/) on the
// importer, shape inference and the CPU reference executor.
#include <filesystem>
#include <map>
#include <set>
#include <vector>
#include <string>

namespace trtutils::conformance {

enum class Status { kPassed, kFailed, kUnsupported };

struct TestOutcome {
  Status status = Status::kFailed;
  std::string message;  // why it failed / is unsupported; empty when passed
  /// Graph outputs whose shape the rules left (partly) unknown although every
  /// graph input's shape is static: "y: f32[2, ?]; ...". Not a failure (some
  /// shapes depend on data, NonZero's say), but what a builder would miss.
  std::string unknown_shapes;
};

const char* status_name(Status status);

/// The op types of the model's nodes, read without the support check; empty
/// when the model cannot be read at all.
std::set<std::string> model_op_types(const std::filesystem::path& test_dir);

/// The node tests under a data folder, sorted, with what keying needs.
struct TestSuite {
  std::vector<std::filesystem::path> tests;  // those matching the filter
  /// Op types of every model in the folder (not only the filtered ones).
  std::map<std::filesystem::path, std::set<std::string>> op_types;
  /// Every op name a test may be named after: the registry's, the scope's
  /// and those of every model in the folder.
  std::set<std::string> candidates;
};

/// Finds the tests (folders holding model.onnx) whose name matches `filter`
/// (empty = all). Throws std::regex_error for an invalid filter.
TestSuite discover_tests(const std::filesystem::path& data, const std::string& filter,
                         const std::set<std::string>& scope);

struct RunOptions {
  /// passes::simplify instead of passes::infer_shapes before running.
  bool simplify = false;
  /// Each data set's inputs become graph constants and the graph is
  /// simplified (folded) before running: the build-time path.
  bool constant_inputs = false;
};

/// Imports, infers shapes (checking them against the expected outputs where
/// the inferred shape is static), runs every data set and compares. Never
/// throws: UnsupportedError -> kUnsupported, anything else -> kFailed.
TestOutcome run_test(const std::filesystem::path& test_dir, const RunOptions& options = {});

}  // namespace trtutils::conformance
