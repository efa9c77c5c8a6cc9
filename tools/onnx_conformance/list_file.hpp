#pragma once
// The runners' list files (scope.txt, known_failures.txt, the GPU runner's
// gpu_known_failures.txt): one entry a line, '#' starts a comment, blank
// lines are skipped; the first word is the key, the rest (trimmed) its text.
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace trtutils::conformance {

/// Spaces, tabs and '\r' removed from both ends.
std::string trim(const std::string& text);

/// The entries of `path` (first word -> rest of the line); an empty map for
/// an empty path; nullopt when the file cannot be read.
std::optional<std::map<std::string, std::string>> read_list_file(const std::filesystem::path& path);

}  // namespace trtutils::conformance
