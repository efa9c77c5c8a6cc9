#pragma once
// GPU lowering helpers of the generator family: outputs known at build time
// become engine constants copied into place, computed fills become one
// generated kernel, and Identity-like outputs alias (or convert) their input.
#include <string>

#include "trtutils/ops/gpu_lowering.hpp"

namespace trtutils::ops::generator {

/// Lets the family's attribute readers (templates over a context with
/// attributes(), fail(), unsupported()) run on a LoweringContext.
struct LoweringView {
  const LoweringContext& ctx;
  const ir::Attributes& attributes() const { return ctx.node().attributes(); }
  std::int64_t opset() const { return ctx.opset(); }
  // The virtual calls throw; the throws after them only satisfy [[noreturn]].
  [[noreturn]] void fail(const std::string& message) const {
    ctx.fail(message);
    throw ModelError(message);
  }
  [[noreturn]] void unsupported(const std::string& message) const {
    ctx.unsupported(message);
    throw UnsupportedError(message);
  }
};

/// `value` (converted to out's dtype) becomes an engine constant and a
/// "copy" layer writes it to `out`.
void emit_constant_copy(LoweringContext& ctx, const GpuTensor& out, const HostTensor& value);

/// One kernel writing out[i] = `expression` for every i: `expression` is
/// CUDA C++ of cuda_compute_type(value_dtype) and may use `i` (long long).
void emit_fill(LoweringContext& ctx, const GpuTensor& out, DType value_dtype,
               const std::string& expression, const std::string& layer_suffix);

/// out = in element by element, converting between their storage dtypes;
/// an alias (no layer) when they are equal.
void alias_or_convert(LoweringContext& ctx, std::size_t output, std::size_t input);

}  // namespace trtutils::ops::generator
