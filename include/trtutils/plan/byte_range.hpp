#pragma once
// A [offset, offset + size) range of bytes inside a region (the activation
// arena or the weights section of a plan).
#include <cstdint>

namespace trtutils::plan {

struct ByteRange {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;

  bool empty() const noexcept { return size == 0; }
  /// True when the range lies inside a region of `region_size` bytes (overflow-safe).
  bool fits_in(std::uint64_t region_size) const noexcept {
    return offset <= region_size && size <= region_size - offset;
  }
  friend bool operator==(const ByteRange&, const ByteRange&) = default;
};

}  // namespace trtutils::plan
