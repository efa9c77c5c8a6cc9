#pragma once
// Bounds-checked little-endian reads from a window of a plan file. Every read
// checks the bytes left first; running past the end of the file reports a
// truncated file, running past the end of a section a malformed one. Counts
// are checked against the bytes left before anything is allocated, so a
// corrupt count cannot ask for gigabytes.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace trtutils::plan {

class ByteReader {
 public:
  /// `window` starts at file offset `base` in a file of `file_size` bytes;
  /// `source` names the file and `section` the window ("" for the whole file).
  ByteReader(std::span<const std::byte> window, std::uint64_t base, std::uint64_t file_size,
             std::string_view source, std::string_view section);

  std::uint8_t u8();
  std::uint32_t u32();
  std::uint64_t u64();
  std::int64_t i64();
  double f64();
  /// A u32 count of elements that take at least `min_element_bytes` each.
  std::size_t count(std::size_t min_element_bytes);
  std::string string();
  std::span<const std::byte> bytes(std::size_t size);

  /// File offset of the next byte.
  std::uint64_t offset() const noexcept { return base_ + position_; }
  std::size_t remaining() const noexcept { return window_.size() - position_; }
  /// Throws FileError when bytes are left over in the section.
  void expect_end() const;

  /// Throws FileError "<source>: malformed plan file: <what>; ..." at the current offset.
  [[noreturn]] void fail(const std::string& what) const;

 private:
  const std::byte* take(std::size_t size);
  [[noreturn]] void overrun(std::size_t needed) const;

  std::span<const std::byte> window_;
  std::size_t position_ = 0;
  std::uint64_t base_;
  std::uint64_t file_size_;
  std::string_view source_;
  std::string_view section_;
};

}  // namespace trtutils::plan
