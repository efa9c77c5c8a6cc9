#include "gpu_compare.hpp"

#include <cmath>
#include <cstdint>

#include "compare.hpp"
#include "trtutils/core/error.hpp"

namespace trtutils::gpu_conformance {

namespace {

bool is_floating(DType dtype) {
  return dtype == DType::kFloat32 || dtype == DType::kFloat64 || dtype == DType::kFloat16 ||
         dtype == DType::kBFloat16;
}

}  // namespace

std::optional<std::string> compare_relative_l2(const HostTensor& actual, const HostTensor& expected,
                                               double limit) {
  if (actual.dtype() != expected.dtype()) {
    return detail::concat("dtype ", dtype_name(actual.dtype()), ", expected ",
                          dtype_name(expected.dtype()));
  }
  if (actual.shape() != expected.shape()) {
    return detail::concat("shape ", shape_to_string(actual.shape()), ", expected ",
                          shape_to_string(expected.shape()));
  }
  if (!is_floating(expected.dtype())) {
    return detail::concat("relative L2 needs floating tensors, got ",
                          dtype_name(expected.dtype()));
  }
  const HostTensor a64 = actual.cast(DType::kFloat64);
  const HostTensor e64 = expected.cast(DType::kFloat64);
  const auto a = a64.values<double>();
  const auto e = e64.values<double>();
  double diff2 = 0;
  double ref2 = 0;
  for (std::size_t i = 0; i < e.size(); ++i) {
    if (!std::isfinite(e[i])) {
      const bool same = std::isnan(e[i]) ? std::isnan(a[i]) : a[i] == e[i];
      if (!same) {
        return detail::concat("element ", i, " is ", a[i], ", expected ", e[i]);
      }
      continue;
    }
    const double d = a[i] - e[i];
    diff2 += d * d;
    ref2 += e[i] * e[i];
  }
  if (std::isnan(diff2)) return std::string("NaN where the expected value is finite");
  const double error = ref2 > 0 ? std::sqrt(diff2 / ref2) : std::sqrt(diff2);
  if (error <= limit) return std::nullopt;
  return detail::concat(ref2 > 0 ? "relative" : "absolute (expected is all zero)", " L2 error ",
                        error, " > ", limit);
}

std::optional<std::string> compare_fp16(const HostTensor& actual, const HostTensor& expected) {
  if (actual.dtype() == expected.dtype() && is_floating(expected.dtype())) {
    return compare_relative_l2(actual, expected);
  }
  return conformance::compare(actual, expected);
}

}  // namespace trtutils::gpu_conformance
