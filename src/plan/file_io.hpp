#pragma once
// The two pieces of POSIX file handling the plan needs: a read-only memory
// mapping (so loading a plan never copies its weights on the host) and an
// atomic replace-by-rename write.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>

namespace trtutils::plan {

/// A read-only, private mapping of a whole file; unmapped on destruction.
class MappedFile {
 public:
  /// Throws FileError naming the path when the file cannot be opened or mapped.
  static std::shared_ptr<const MappedFile> open(const std::filesystem::path& path);
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }

 private:
  MappedFile(const std::byte* data, std::size_t size) : data_(data), size_(size) {}
  const std::byte* data_;
  std::size_t size_;
};

/// Writes `bytes` to a new temporary file beside `path`, fsyncs it and renames
/// it over `path`. On failure the temporary file is removed, any old file at
/// `path` is left as it was, and FileError names the path and the reason.
void write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> bytes);

}  // namespace trtutils::plan
