#pragma once
// IEEE binary16 and bfloat16 storage types with float conversion. Arithmetic is
// done in float; these only store. Conversions round to nearest even and keep
// NaN/Inf, matching what CUDA's __float2half_rn / __float2bfloat16_rn produce.
#include <cstdint>

namespace trtutils {

std::uint16_t float_to_half_bits(float value) noexcept;
float half_bits_to_float(std::uint16_t bits) noexcept;
std::uint16_t float_to_bfloat16_bits(float value) noexcept;
float bfloat16_bits_to_float(std::uint16_t bits) noexcept;

struct Half {
  std::uint16_t bits = 0;
  Half() = default;
  explicit Half(float value) noexcept : bits(float_to_half_bits(value)) {}
  static Half from_bits(std::uint16_t raw) noexcept {
    Half h;
    h.bits = raw;
    return h;
  }
  explicit operator float() const noexcept { return half_bits_to_float(bits); }
  friend bool operator==(Half a, Half b) noexcept { return a.bits == b.bits; }
};

struct BFloat16 {
  std::uint16_t bits = 0;
  BFloat16() = default;
  explicit BFloat16(float value) noexcept : bits(float_to_bfloat16_bits(value)) {}
  static BFloat16 from_bits(std::uint16_t raw) noexcept {
    BFloat16 b;
    b.bits = raw;
    return b;
  }
  explicit operator float() const noexcept { return bfloat16_bits_to_float(bits); }
  friend bool operator==(BFloat16 a, BFloat16 b) noexcept { return a.bits == b.bits; }
};

static_assert(sizeof(Half) == 2 && sizeof(BFloat16) == 2);

}  // namespace trtutils
