#pragma once
// Element access for the nn family's CPU references: read any numeric tensor
// as a flat vector of an accumulator type (double for floating point, int64
// for integers, so integer MatMul/Gemm/Einsum stay exact) and write results
// back in the op's dtype. f16/bf16 are computed at (better than) f32 accuracy.
#include <cstdint>
#include <type_traits>
#include <vector>

#include "ops/support.hpp"

namespace trtutils::ops::nn {

template <typename Acc>
std::vector<Acc> read_as(const HostTensor& tensor) {
  if constexpr (std::is_same_v<Acc, double>) {
    return read_doubles(tensor);
  } else {
    return read_ints(tensor);
  }
}

template <typename Acc>
HostTensor make_tensor(Shape shape, DType dtype, const std::vector<Acc>& values) {
  HostTensor out(std::move(shape), dtype);
  visit_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    auto data = out.values<T>();
    for (std::size_t i = 0; i < data.size(); ++i) {
      if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
        data[i] = T(static_cast<float>(values[i]));
      } else {
        data[i] = static_cast<T>(values[i]);
      }
    }
  });
  return out;
}

/// Calls f(std::type_identity<Acc>{}) with Acc = int64 for integer dtypes and
/// double otherwise.
template <typename F>
decltype(auto) with_accumulator(DType dtype, F&& f) {
  if (is_integer(dtype)) return f(std::type_identity<std::int64_t>{});
  return f(std::type_identity<double>{});
}

/// Dims [begin, end) of a static shape multiplied together.
inline std::int64_t product(const Shape& shape, std::size_t begin, std::size_t end) {
  std::int64_t p = 1;
  for (std::size_t i = begin; i < end; ++i) p *= shape[i];
  return p;
}

/// Whether `from` broadcasts unidirectionally to `to` (numpy rules, `to` unchanged).
inline bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) return false;
  const std::size_t offset = to.size() - from.size();
  for (std::size_t i = 0; i < from.size(); ++i) {
    if (from[i] != 1 && from[i] != to[offset + i]) return false;
  }
  return true;
}

}  // namespace trtutils::ops::nn
