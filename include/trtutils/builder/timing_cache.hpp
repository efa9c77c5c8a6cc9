#pragma once
// Autotuning results kept across builds: key (a layer's kind, its parameters
// except the tuned ones, its tensors' dtypes and the GPU arch) -> the chosen
// algorithm as integers. A text file, one entry per line:
//   trtutils-timing-cache 1
//   <key, 16 hex digits> <value> <value> ...
// Unreadable or foreign files are ignored (the build re-times), never fatal.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "trtutils/plan/plan.hpp"

namespace trtutils::builder {

class TimingCache {
 public:
  /// Empty cache; load() adds a file's entries.
  TimingCache() = default;
  /// Reads `path` when it exists; returns false (cache left as is) when it
  /// is missing or not a timing cache.
  bool load(const std::filesystem::path& path);
  /// Writes every entry (atomically: temporary file + rename). FileError on failure.
  void save(const std::filesystem::path& path) const;

  std::optional<std::vector<std::int64_t>> find(std::uint64_t key) const;
  void insert(std::uint64_t key, std::vector<std::int64_t> values);
  std::size_t size() const noexcept { return entries_.size(); }

  /// The key of a library layer: kind, parameters other than `tuned`, the
  /// dtypes of its tensors, and `arch`.
  static std::uint64_t key_of(const plan::Plan& plan, const plan::LayerDesc& layer,
                              const std::vector<std::string>& tuned, const std::string& arch);

 private:
  std::map<std::uint64_t, std::vector<std::int64_t>> entries_;
};

}  // namespace trtutils::builder
