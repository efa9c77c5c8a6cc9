#pragma once
// Which operator a backend test exercises.
//
// Rule:
// 1. A function-expansion test (name containing "_expanded", e.g.
//    test_softmax_axis_0_expanded, test_castlike_FLOAT_to_FLOAT16_expanded
//    whose body is a single Cast) is keyed by its name, as in 3.
// 2. Otherwise a model whose nodes all have one op type is keyed to it.
// 3. Otherwise the op comes from the test name: among the candidate op names,
//    the one whose spelling is the longest prefix of the name after "test_"
//    (followed by "_" or the end) wins. Each candidate is tried in snake_case
//    ("ReduceSumSquare" -> "reduce_sum_square", "GatherND" -> "gather_nd")
//    and all-lowercase ("LogSoftmax" -> "logsoftmax"), the two spellings
//    ONNX's test names use, plus ONNX's abbreviations "mvn", "nllloss" and
//    "sce". An expansion test that matches nothing falls back to 2; anything
//    else that matches nothing is keyed "(unkeyed)", never in scope.
#include <set>
#include <string>
#include <vector>

namespace trtutils::conformance {

inline constexpr const char* kUnkeyed = "(unkeyed)";

/// "ReduceSumSquare" -> "reduce_sum_square", "GatherND" -> "gather_nd".
std::string snake_case(const std::string& op_type);

/// `op_types`: the distinct op types of the model's nodes (may be empty when
/// the model could not be read); `candidates`: op names to match the test name
/// against.
std::string key_test(const std::string& test_name, const std::set<std::string>& op_types,
                     const std::set<std::string>& candidates);

}  // namespace trtutils::conformance
