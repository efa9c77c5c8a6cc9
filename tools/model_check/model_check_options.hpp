#pragma once
// trtutils-model-check's command line (see main.cpp for what the tool does).
#include <filesystem>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "trtutils/plan/plan.hpp"

namespace trtutils::tools::model_check {

struct Options {
  std::vector<std::filesystem::path> dirs;
  std::vector<plan::Precision> precisions;  // --precision both: fp32, then fp16
  std::filesystem::path json;
  bool cpu_reference = false;
  double cpu_reference_max_mb = 2.0;
  bool autotune = true;
  std::filesystem::path timing_cache;
  std::string target_arch;
  int runs = 5;
  double fp32_tolerance = 1e-4;
  double fp16_tolerance = 1e-2;
  bool verbose = false;
};

/// The options, or the exit status when the tool must stop: 0 after --help
/// (printed on `out`), 2 for bad usage (the problem printed on `err`).
std::variant<Options, int> parse_options(int argc, const char* const* argv, std::ostream& out,
                                         std::ostream& err);

}  // namespace trtutils::tools::model_check
