#pragma once
// The files of one ONNX backend node test: its test_data_set_* folders and
// each set's input_N.pb / output_N.pb, in the order ONNX means them. Shared
// by the CPU and GPU conformance runners.
#include <filesystem>
#include <string>
#include <vector>

namespace trtutils::conformance {

/// <stem>_0.pb, <stem>_1.pb, ... of `dir` in numeric order (input_10 after input_9).
std::vector<std::filesystem::path> numbered_files(const std::filesystem::path& dir,
                                                  const std::string& stem);

/// The test's test_data_set_* folders, sorted by name.
std::vector<std::filesystem::path> data_sets(const std::filesystem::path& test_dir);

}  // namespace trtutils::conformance
