#pragma once
// Appends little-endian fields to a growing buffer (the plan writer's half of
// byte_reader.hpp).
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "trtutils/core/error.hpp"

namespace trtutils::plan {

static_assert(std::endian::native == std::endian::little,
              "the plan format is little-endian and written with memcpy");

class ByteWriter {
 public:
  void u8(std::uint8_t value) { raw(&value, 1); }
  void u32(std::uint32_t value) { raw(&value, sizeof value); }
  void u64(std::uint64_t value) { raw(&value, sizeof value); }
  void i64(std::int64_t value) { raw(&value, sizeof value); }
  void f64(double value) { raw(&value, sizeof value); }
  /// A 32-bit element count; `what` names the list when it is too long.
  void count(std::size_t value, std::string_view what) {
    TRTUTILS_CHECK(value <= std::numeric_limits<std::uint32_t>::max(), "write_plan: ", what,
                   " has ", value, " entries; the plan format holds at most 2^32 - 1");
    u32(static_cast<std::uint32_t>(value));
  }
  /// u32 byte length, then the bytes (no terminator).
  void string(std::string_view text, std::string_view what) {
    count(text.size(), what);
    raw(text.data(), text.size());
  }
  void bytes(std::span<const std::byte> data) { raw(data.data(), data.size()); }
  /// Zero bytes up to the next multiple of `alignment`.
  void pad_to(std::size_t alignment) {
    out_.resize((out_.size() + alignment - 1) / alignment * alignment, std::byte{0});
  }
  void patch_u32(std::size_t at, std::uint32_t value) { std::memcpy(out_.data() + at, &value, 4); }
  void patch_u64(std::size_t at, std::uint64_t value) { std::memcpy(out_.data() + at, &value, 8); }

  std::size_t size() const noexcept { return out_.size(); }
  std::vector<std::byte>& buffer() noexcept { return out_; }

 private:
  void raw(const void* data, std::size_t size) {
    if (size == 0) return;
    const std::size_t at = out_.size();
    out_.resize(at + size);
    std::memcpy(out_.data() + at, data, size);
  }
  std::vector<std::byte> out_;
};

}  // namespace trtutils::plan
