#pragma once
// Shared by the reduction family: the shape of a reduction's output, and the
// family's registration functions.
#include <vector>

#include "ops/support.hpp"
#include "trtutils/ops/registry.hpp"

namespace trtutils::ops::reduction {

/// `dims` with each reduced dim set to 1 (keepdims) or removed.
template <typename DimT>
std::vector<DimT> reduced_dims(const std::vector<DimT>& dims, const std::vector<bool>& reduced,
                               bool keepdims) {
  std::vector<DimT> out;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (!reduced[i]) {
      out.push_back(dims[i]);
    } else if (keepdims) {
      out.push_back(DimT(1));
    }
  }
  return out;
}

/// The comparable value of an element: float for f16/bf16, itself otherwise.
template <typename T>
auto comparable(T value) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    return static_cast<float>(value);
  } else {
    return value;
  }
}

void register_reduce(OpRegistry& registry);       // ReduceSum, ReduceMean, ... ReduceLogSumExp
void register_arg_min_max(OpRegistry& registry);  // ArgMax, ArgMin

}  // namespace trtutils::ops::reduction
