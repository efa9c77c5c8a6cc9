#include "plan/byte_reader.hpp"

#include <bit>
#include <cstring>

#include "trtutils/core/error.hpp"

namespace trtutils::plan {

static_assert(std::endian::native == std::endian::little,
              "the plan format is little-endian and read with memcpy");

ByteReader::ByteReader(std::span<const std::byte> window, std::uint64_t base,
                       std::uint64_t file_size, std::string_view source, std::string_view section)
    : window_(window), base_(base), file_size_(file_size), source_(source), section_(section) {}

void ByteReader::overrun(std::size_t needed) const {
  if (base_ + window_.size() >= file_size_) {
    throw FileError(detail::concat(source_, ": truncated plan file: needed ", needed,
                                   " bytes at offset ", offset(), " of ", file_size_,
                                   "; the file is incomplete: rebuild it with `trtutils build`"));
  }
  fail(detail::concat("the ", section_, " section ends at offset ", base_ + window_.size(), " but ",
                      needed, " more bytes were needed at offset ", offset()));
}

void ByteReader::fail(const std::string& what) const {
  throw FileError(detail::concat(source_, ": malformed plan file: ", what,
                                 "; the file is damaged: rebuild it with `trtutils build`"));
}

const std::byte* ByteReader::take(std::size_t size) {
  if (size > remaining()) overrun(size);
  const std::byte* at = window_.data() + position_;
  position_ += size;
  return at;
}

std::uint8_t ByteReader::u8() { return std::to_integer<std::uint8_t>(*take(1)); }

std::uint32_t ByteReader::u32() {
  std::uint32_t value;
  std::memcpy(&value, take(sizeof value), sizeof value);
  return value;
}

std::uint64_t ByteReader::u64() {
  std::uint64_t value;
  std::memcpy(&value, take(sizeof value), sizeof value);
  return value;
}

std::int64_t ByteReader::i64() { return static_cast<std::int64_t>(u64()); }

double ByteReader::f64() { return std::bit_cast<double>(u64()); }

std::size_t ByteReader::count(std::size_t min_element_bytes) {
  const std::uint64_t at = offset();
  const std::size_t value = u32();
  if (min_element_bytes != 0 && value > remaining() / min_element_bytes) {
    fail(detail::concat("a count of ", value, " at offset ", at, " needs at least ",
                        value * min_element_bytes, " bytes but only ", remaining(),
                        " are left in the ", section_, " section"));
  }
  return value;
}

std::string ByteReader::string() {
  const std::size_t size = count(1);
  const std::byte* data = take(size);
  return std::string(reinterpret_cast<const char*>(data), size);
}

std::span<const std::byte> ByteReader::bytes(std::size_t size) { return {take(size), size}; }

void ByteReader::expect_end() const {
  if (remaining() != 0) {
    fail(detail::concat("the ", section_, " section has ", remaining(),
                        " unread bytes at its end (offset ", offset(), ")"));
  }
}

}  // namespace trtutils::plan
