#pragma once
// trtutils-bench-engine's command line (see main.cpp for what the tool does).
#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "trtutils/plan/plan.hpp"

namespace trtutils::tools::bench_engine {

struct Options {
  std::filesystem::path model;
  std::int64_t batch = 1;
  plan::Precision precision = plan::Precision::kFloat16;
  std::filesystem::path engine;
  bool rebuild = false;
  bool autotune = true;
  std::filesystem::path timing_cache;
  int warmup = 20;
  int iterations = 200;
  int host_calls = 1000;
  std::vector<std::string> configs{"no_graph", "graph"};
  std::string name;  // defaults to the model's folder name
  std::uint64_t seed = 1;
  int device = 0;
  bool build_only = false;
  bool verbose = false;
};

/// The options, or the exit status when the tool must stop: 0 after --help
/// (printed on `out`), 2 for bad usage (the problem printed on `err`).
std::variant<Options, int> parse_options(int argc, const char* const* argv, std::ostream& out,
                                         std::ostream& err);

/// The model's name in the JSON: the folder holding MODEL (MODEL's stem when
/// it has none).
std::string model_name(const std::filesystem::path& model);

}  // namespace trtutils::tools::bench_engine
