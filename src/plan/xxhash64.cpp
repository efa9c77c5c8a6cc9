#include "plan/xxhash64.hpp"

#include <bit>
#include <cstring>

namespace trtutils::plan {

namespace {

static_assert(std::endian::native == std::endian::little,
              "XXH64 reads lanes little-endian; trtutils assumes a little-endian host");

constexpr std::uint64_t kPrime1 = 0x9E3779B185EBCA87ull;
constexpr std::uint64_t kPrime2 = 0xC2B2AE3D27D4EB4Full;
constexpr std::uint64_t kPrime3 = 0x165667B19E3779F9ull;
constexpr std::uint64_t kPrime4 = 0x85EBCA77C2B2AE63ull;
constexpr std::uint64_t kPrime5 = 0x27D4EB2F165667C5ull;

std::uint64_t read64(const std::byte* p) noexcept {
  std::uint64_t value;
  std::memcpy(&value, p, sizeof value);
  return value;
}

std::uint32_t read32(const std::byte* p) noexcept {
  std::uint32_t value;
  std::memcpy(&value, p, sizeof value);
  return value;
}

std::uint64_t round(std::uint64_t accumulator, std::uint64_t lane) noexcept {
  accumulator += lane * kPrime2;
  accumulator = std::rotl(accumulator, 31);
  return accumulator * kPrime1;
}

std::uint64_t merge(std::uint64_t accumulator, std::uint64_t lane_accumulator) noexcept {
  accumulator ^= round(0, lane_accumulator);
  return accumulator * kPrime1 + kPrime4;
}

}  // namespace

std::uint64_t xxhash64(std::span<const std::byte> bytes, std::uint64_t seed) noexcept {
  const std::byte* p = bytes.data();
  std::size_t left = bytes.size();
  std::uint64_t accumulator;
  if (left >= 32) {
    std::uint64_t v1 = seed + kPrime1 + kPrime2;
    std::uint64_t v2 = seed + kPrime2;
    std::uint64_t v3 = seed;
    std::uint64_t v4 = seed - kPrime1;
    for (; left >= 32; left -= 32, p += 32) {
      v1 = round(v1, read64(p));
      v2 = round(v2, read64(p + 8));
      v3 = round(v3, read64(p + 16));
      v4 = round(v4, read64(p + 24));
    }
    accumulator = std::rotl(v1, 1) + std::rotl(v2, 7) + std::rotl(v3, 12) + std::rotl(v4, 18);
    accumulator = merge(accumulator, v1);
    accumulator = merge(accumulator, v2);
    accumulator = merge(accumulator, v3);
    accumulator = merge(accumulator, v4);
  } else {
    accumulator = seed + kPrime5;
  }
  accumulator += bytes.size();
  for (; left >= 8; left -= 8, p += 8) {
    accumulator ^= round(0, read64(p));
    accumulator = std::rotl(accumulator, 27) * kPrime1 + kPrime4;
  }
  if (left >= 4) {
    accumulator ^= std::uint64_t{read32(p)} * kPrime1;
    accumulator = std::rotl(accumulator, 23) * kPrime2 + kPrime3;
    left -= 4;
    p += 4;
  }
  for (; left > 0; --left, ++p) {
    accumulator ^= std::to_integer<std::uint64_t>(*p) * kPrime5;
    accumulator = std::rotl(accumulator, 11) * kPrime1;
  }
  accumulator ^= accumulator >> 33;
  accumulator *= kPrime2;
  accumulator ^= accumulator >> 29;
  accumulator *= kPrime3;
  accumulator ^= accumulator >> 32;
  return accumulator;
}

}  // namespace trtutils::plan
