#include "op_keying.hpp"

#include <cctype>
#include <utility>
#include <vector>

namespace trtutils::conformance {

std::string snake_case(const std::string& op_type) {
  std::string out;
  for (std::size_t i = 0; i < op_type.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(op_type[i]);
    if (std::isupper(c) && i > 0) {
      const unsigned char prev = static_cast<unsigned char>(op_type[i - 1]);
      const bool next_lower =
          i + 1 < op_type.size() && std::islower(static_cast<unsigned char>(op_type[i + 1]));
      // A word starts at lower->Upper ("ReduceSum") or at the last capital
      // of an acronym followed by lowercase ("NMSBox" -> "nms_box").
      if (std::islower(prev) || std::isdigit(prev) || (std::isupper(prev) && next_lower)) {
        out += '_';
      }
    }
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

namespace {

std::string lowercase(const std::string& text) {
  std::string out;
  for (const char c : text) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_prefix_word(const std::string& name, const std::string& prefix) {
  if (prefix.empty() || name.compare(0, prefix.size(), prefix) != 0) return false;
  return name.size() == prefix.size() || name[prefix.size()] == '_';
}

/// The op whose spelling is the longest word-prefix of `name`, or "".
std::string match_name(const std::string& name, const std::set<std::string>& candidates) {
  // Abbreviations ONNX's test generators use instead of the op's name.
  static const std::vector<std::pair<std::string, std::string>> abbreviations = {
      {"mvn", "MeanVarianceNormalization"},
      {"nllloss", "NegativeLogLikelihoodLoss"},
      {"sce", "SoftmaxCrossEntropyLoss"}};
  std::string best;
  std::size_t best_length = 0;
  auto consider = [&](const std::string& spelling, const std::string& op) {
    if (spelling.size() > best_length && is_prefix_word(name, spelling)) {
      best = op;
      best_length = spelling.size();
    }
  };
  for (const std::string& op : candidates) {
    consider(snake_case(op), op);
    consider(lowercase(op), op);
  }
  for (const auto& [spelling, op] : abbreviations) consider(spelling, op);
  return best;
}

}  // namespace

std::string key_test(const std::string& test_name, const std::set<std::string>& op_types,
                     const std::set<std::string>& candidates) {
  const bool expansion = test_name.find("_expanded") != std::string::npos;
  if (op_types.size() == 1 && !expansion) return *op_types.begin();
  const std::string name = test_name.rfind("test_", 0) == 0 ? test_name.substr(5) : test_name;
  const std::string matched = match_name(name, candidates);
  if (!matched.empty()) return matched;
  if (op_types.size() == 1) return *op_types.begin();
  return kUnkeyed;
}

}  // namespace trtutils::conformance
