#include "list_file.hpp"

#include <fstream>

namespace trtutils::conformance {

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return {};
  const auto end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

std::optional<std::map<std::string, std::string>> read_list_file(
    const std::filesystem::path& path) {
  std::map<std::string, std::string> entries;
  if (path.empty()) return entries;
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    const auto space = line.find_first_of(" \t");
    if (space == std::string::npos) {
      entries[line] = "";
    } else {
      entries[line.substr(0, space)] = trim(line.substr(space));
    }
  }
  return entries;
}

}  // namespace trtutils::conformance
