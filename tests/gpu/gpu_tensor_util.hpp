#pragma once
// Host-side helpers for the GPU tests: random data with a fixed seed, dtype
// rounding and storage, relative L2 error, device upload/download.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <vector>

#include "trtutils/core/memory.hpp"
#include "trtutils/tensor/dtype.hpp"

namespace trtutils::testing {

/// Uniform values in [-1, 1] from a fixed seed (never all zeros).
inline std::vector<double> random_values(std::size_t count, std::uint32_t seed) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::vector<double> values(count);
  for (double& v : values) v = uniform(engine);
  return values;
}

/// `value` as the device will hold it in `dtype`.
inline double round_to(DType dtype, double value) {
  const auto f = static_cast<float>(value);
  if (dtype == DType::kFloat16) return static_cast<float>(Half(f));
  if (dtype == DType::kBFloat16) return static_cast<float>(BFloat16(f));
  return f;
}

inline void round_all(DType dtype, std::vector<double>& values) {
  for (double& v : values) v = round_to(dtype, v);
}

/// Bytes of `values` stored as `dtype` (f32/f16/bf16).
inline std::vector<std::byte> encode(DType dtype, const std::vector<double>& values) {
  std::vector<std::byte> bytes(values.size() * dtype_size(dtype));
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto f = static_cast<float>(values[i]);
    std::byte* out = bytes.data() + i * dtype_size(dtype);
    if (dtype == DType::kFloat32) {
      std::memcpy(out, &f, 4);
    } else {
      const std::uint16_t bits = dtype == DType::kFloat16 ? Half(f).bits : BFloat16(f).bits;
      std::memcpy(out, &bits, 2);
    }
  }
  return bytes;
}

inline std::vector<double> decode(DType dtype, std::span<const std::byte> bytes) {
  std::vector<double> values(bytes.size() / dtype_size(dtype));
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::byte* in = bytes.data() + i * dtype_size(dtype);
    if (dtype == DType::kFloat32) {
      float f = 0;
      std::memcpy(&f, in, 4);
      values[i] = f;
    } else {
      std::uint16_t bits = 0;
      std::memcpy(&bits, in, 2);
      values[i] = dtype == DType::kFloat16 ? static_cast<float>(Half::from_bits(bits))
                                           : static_cast<float>(BFloat16::from_bits(bits));
    }
  }
  return values;
}

inline core::DeviceBuffer upload(DType dtype, const std::vector<double>& values) {
  const std::vector<std::byte> bytes = encode(dtype, values);
  core::DeviceBuffer buffer(bytes.size());
  core::memcpy_host_to_device(buffer, bytes);
  return buffer;
}

inline std::vector<double> download(DType dtype, const core::DeviceBuffer& buffer) {
  std::vector<std::byte> bytes(buffer.size());
  core::memcpy_device_to_host(bytes, buffer);
  return decode(dtype, bytes);
}

/// ||actual - expected|| / ||expected|| (L2).
inline double relative_l2_error(const std::vector<double>& actual,
                                const std::vector<double>& expected) {
  double diff = 0.0;
  double norm = 0.0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
    norm += expected[i] * expected[i];
  }
  return std::sqrt(diff) / std::sqrt(norm);
}

/// Tolerance on the relative L2 error for results stored in `dtype`.
inline double tolerance_for(DType dtype) {
  if (dtype == DType::kFloat32) return 1e-5;
  if (dtype == DType::kFloat16) return 1e-2;
  return 2e-2;  // bf16 keeps 8 significant bits: output rounding alone is ~2e-3 per element
}

}  // namespace trtutils::testing
