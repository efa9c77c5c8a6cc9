#include "test_data_files.hpp"

#include <algorithm>
#include <exception>
#include <utility>

namespace trtutils::conformance {

namespace fs = std::filesystem;

std::vector<fs::path> numbered_files(const fs::path& dir, const std::string& stem) {
  std::vector<std::pair<long, fs::path>> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(stem + "_", 0) != 0 || entry.path().extension() != ".pb") continue;
    const std::string number = name.substr(stem.size() + 1, name.size() - stem.size() - 4);
    try {
      found.emplace_back(std::stol(number), entry.path());
    } catch (const std::exception&) {
      continue;
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> paths;
  for (auto& [index, path] : found) paths.push_back(std::move(path));
  return paths;
}

std::vector<fs::path> data_sets(const fs::path& test_dir) {
  std::vector<fs::path> sets;
  for (const auto& entry : fs::directory_iterator(test_dir)) {
    if (entry.is_directory() && entry.path().filename().string().rfind("test_data_set_", 0) == 0) {
      sets.push_back(entry.path());
    }
  }
  std::sort(sets.begin(), sets.end());
  return sets;
}

}  // namespace trtutils::conformance
