#pragma once
// Comparing a computed tensor with ONNX's expected one, the way ONNX's
// backend test runner does (numpy.testing.assert_allclose).
#include <optional>
#include <string>

#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils::conformance {

struct Tolerance {
  double rtol;
  double atol;
};

/// f32/f64: ONNX's backend defaults rtol=1e-3, atol=1e-7. f16 is compared in
/// f32 with rtol=atol=1e-3; bf16 (8 significant bits, one ulp is ~0.8%) with
/// rtol=1e-2, atol=1e-3. Integers and bools must be equal.
Tolerance tolerance_for(DType dtype);

/// nullopt when `actual` matches `expected` (same dtype, same shape, every
/// element within |a - e| <= atol + rtol * |e|, NaN matching NaN); otherwise
/// a one-line description of the first difference and how many differ.
std::optional<std::string> compare(const HostTensor& actual, const HostTensor& expected);

}  // namespace trtutils::conformance
