#pragma once
// Random inputs for the tensor/reduction lowering tests: floats in [-2, 2],
// integers in a small range (so arg-extremes tie), bools, and index tensors
// with negative entries.
#include <cstdint>
#include <random>
#include <vector>

#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils::testing {

inline HostTensor random_tensor(const Shape& shape, DType dtype, std::uint32_t seed,
                                int int_range = 5) {
  HostTensor t(shape, dtype);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> real(-2.0, 2.0);
  std::uniform_int_distribution<int> integer(dtype == DType::kUInt8 ? 0 : -int_range, int_range);
  for (std::int64_t i = 0; i < t.element_count(); ++i) {
    double v = 0;
    if (dtype == DType::kBool) {
      v = integer(rng) > 0 ? 1 : 0;
    } else if (dtype == DType::kFloat32 || dtype == DType::kFloat64 || dtype == DType::kFloat16 ||
               dtype == DType::kBFloat16) {
      v = real(rng);
    } else {
      v = integer(rng);
    }
    set_element_from_double(t.view(), i, v);
  }
  return t;
}

/// Indices valid for an axis of `extent`, about half of them negative.
inline HostTensor random_indices(const Shape& shape, std::int64_t extent, DType dtype,
                                 std::uint32_t seed) {
  HostTensor t(shape, dtype);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::int64_t> pick(-extent, extent - 1);
  for (std::int64_t i = 0; i < t.element_count(); ++i) {
    set_element_from_double(t.view(), i, static_cast<double>(pick(rng)));
  }
  return t;
}

inline HostTensor ints(const std::vector<std::int64_t>& values) {
  return HostTensor::from_values<std::int64_t>({static_cast<std::int64_t>(values.size())}, values);
}

}  // namespace trtutils::testing
