#include "compare.hpp"

#include <cmath>

namespace trtutils::conformance {

Tolerance tolerance_for(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
    case DType::kFloat64:
      return {1e-3, 1e-7};
    case DType::kFloat16:
      return {1e-3, 1e-3};
    case DType::kBFloat16:
      return {1e-2, 1e-3};
    default:
      return {0.0, 0.0};
  }
}

namespace {

std::string coordinates(const Shape& shape, std::int64_t linear) {
  Shape at(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    at[d] = shape[d] == 0 ? 0 : linear % shape[d];
    linear = shape[d] == 0 ? 0 : linear / shape[d];
  }
  return shape_to_string(at);
}

bool close(double actual, double expected, const Tolerance& tol) {
  if (std::isnan(actual) || std::isnan(expected)) return std::isnan(actual) && std::isnan(expected);
  if (actual == expected) return true;  // also equal infinities
  if (std::isinf(actual) || std::isinf(expected)) return false;
  return std::fabs(actual - expected) <= tol.atol + tol.rtol * std::fabs(expected);
}

}  // namespace

std::optional<std::string> compare(const HostTensor& actual, const HostTensor& expected) {
  if (actual.dtype() != expected.dtype()) {
    return detail::concat("dtype ", dtype_name(actual.dtype()), ", expected ",
                          dtype_name(expected.dtype()));
  }
  if (actual.shape() != expected.shape()) {
    return detail::concat("shape ", shape_to_string(actual.shape()), ", expected ",
                          shape_to_string(expected.shape()));
  }
  const Tolerance tol = tolerance_for(expected.dtype());
  const bool exact = !is_floating_point(expected.dtype());
  std::int64_t differing = 0;
  std::int64_t first = -1;
  double max_abs = 0.0;
  for (std::int64_t i = 0; i < expected.element_count(); ++i) {
    const double a = element_as_double(actual.view(), i);
    const double e = element_as_double(expected.view(), i);
    // int64 beyond 2^53 would collide as doubles; compare those bit-exactly.
    const bool same = exact
                          ? (expected.dtype() == DType::kInt64
                                 ? actual.values<std::int64_t>()[static_cast<std::size_t>(i)] ==
                                       expected.values<std::int64_t>()[static_cast<std::size_t>(i)]
                                 : a == e)
                          : close(a, e, tol);
    if (same) continue;
    ++differing;
    if (first < 0) first = i;
    if (!std::isnan(a) && !std::isnan(e)) max_abs = std::max(max_abs, std::fabs(a - e));
  }
  if (differing == 0) return std::nullopt;
  const double a = element_as_double(actual.view(), first);
  const double e = element_as_double(expected.view(), first);
  std::string text =
      detail::concat(differing, " of ", expected.element_count(), " values differ",
                     exact ? "" : " beyond tolerance", "; first at ",
                     coordinates(expected.shape(), first), ": got ", a, ", expected ", e);
  if (!exact) {
    text +=
        detail::concat(" (max abs diff ", max_abs, ", rtol ", tol.rtol, ", atol ", tol.atol, ")");
  }
  return text;
}

}  // namespace trtutils::conformance
