#pragma once
// GPU lowering helpers of the tensor family (data movement), CUDA-free: they
// generate CUDA C++ for NVRTC (see ops/gpu_codegen.hpp).
//
// The one data-movement kernel is a strided copy: walk a `domain` of
// coordinates; the element read is src_offset + sum(c[d] * src_strides[d])
// (with c[d] taken modulo src_wrap[d] where that is non-zero: Tile), the one
// written dst_offset + sum(c[d] * dst_strides[d]). Transpose, Slice, Expand,
// Tile (dst contiguous, src mapped), Concat (one copy per input into a window
// of the output) and Split (one copy per output) all reduce to it.
//
// Shapes are static at build time, so every extent and stride is a literal
// in the generated source. Same-dtype copies move raw bytes (any dtype, also
// f16/bool), widened to 2/4/8/16-byte units when the innermost run allows;
// this assumes tensor base addresses are 16-byte aligned (the engine's memory
// planner aligns allocations to 256 bytes, like cudaMalloc).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "ops/gpu_codegen.hpp"
#include "ops/support.hpp"
#include "trtutils/ops/gpu_lowering.hpp"

namespace trtutils::ops::tensor {

/// Lets the CPU reference's parameter helpers (templates over a context with
/// attributes(), opset(), node(), fail(), output_count()...) run on a
/// LoweringContext, so the GPU lowering resolves attributes exactly as the
/// CPU reference does.
class LoweringArgs {
 public:
  explicit LoweringArgs(const LoweringContext& ctx) : ctx_(ctx) {}
  const ir::Node& node() const { return ctx_.node(); }
  std::int64_t opset() const { return ctx_.opset(); }
  const ir::Attributes& attributes() const { return ctx_.node().attributes(); }
  std::size_t input_count() const { return ctx_.input_count(); }
  bool has_input(std::size_t i) const { return ctx_.has_input(i); }
  std::size_t output_count() const { return ctx_.output_count(); }
  // GCC does not carry [[noreturn]] through the virtual call: abort() is unreachable.
  [[noreturn]] void fail(const std::string& message) const {
    ctx_.fail(message);
    std::abort();
  }
  [[noreturn]] void unsupported(const std::string& message) const {
    ctx_.unsupported(message);
    std::abort();
  }

 private:
  const LoweringContext& ctx_;
};

/// The integer values of input i, which decides a shape and so must be known
/// at build time; otherwise ctx.unsupported("input '<what>' of <op> must be
/// known at build time; pass it as a constant input").
std::vector<std::int64_t> build_time_ints(const LoweringContext& ctx, std::size_t i,
                                          const char* what);

/// A copy as described at the top of this file. All vectors have one entry
/// per domain dim (outermost first); strides and offsets count elements.
struct StridedCopy {
  Shape domain;
  std::int64_t src_offset = 0;
  std::int64_t dst_offset = 0;
  std::vector<std::int64_t> src_strides;
  std::vector<std::int64_t> dst_strides;
  std::vector<std::int64_t> src_wrap;  // empty = none; 0 = no wrap for that dim
};

/// The copy with dims of extent 1 dropped, no-op wraps removed and
/// neighbouring dims merged where both sides stay linear. Same elements.
StridedCopy simplify(StridedCopy copy);

/// True when the copy moves every element of a `src_count`-element tensor to
/// the same position of a `dst_count`-element one (an alias would do).
bool is_identity(const StridedCopy& copy, std::int64_t src_count, std::int64_t dst_count);

/// The launch for `copy` from `src` to `dst` (their dtypes may differ: the
/// elements are converted then). Zero elements: grid of one idle block.
KernelLaunch strided_copy_launch(StridedCopy copy, const GpuTensor& src, const GpuTensor& dst);

/// Emits the copy as a layer named "<node>/<part>"; nothing for an empty domain.
void emit_strided_copy(LoweringContext& ctx, const std::string& part, const StridedCopy& copy,
                       const GpuTensor& src, const GpuTensor& dst);

/// Lowers a copy from input `input` to output `output`: an alias when it is
/// the identity on tensors of one dtype, else a strided-copy layer.
void lower_copy(LoweringContext& ctx, const std::string& part, const StridedCopy& copy,
                std::size_t input, std::size_t output);

/// Lowers an op whose output is its input with another shape (Reshape,
/// Squeeze...): an alias when the bytes agree, else a converting copy.
void alias_or_copy(LoweringContext& ctx);

// --- pieces of generated source, shared with the gather/scatter kernels ------

/// Unsigned type of `bytes` bytes (1, 2, 4, 8 or 16: uint4) for raw moves.
std::string raw_unit_type(std::size_t bytes);

/// The widest raw unit (<= 16 bytes, a multiple of `element_size`) dividing
/// `run_bytes`: contiguous runs of that many bytes then move unit by unit.
std::size_t widest_unit(std::size_t element_size, std::int64_t run_bytes);

/// Statements that decompose the integer variable `linear` over `extents`
/// (row-major, outermost first) and add sum(c[d] * strides[d]) to `target`:
/// one strides list per target. `type` is the index type used.
std::string decompose_code(const std::string& linear, const Shape& extents,
                           const std::vector<std::vector<std::int64_t>>& strides,
                           const std::vector<std::string>& targets, const std::string& type,
                           const std::vector<std::int64_t>& wrap = {});

/// Statement reading index element `at` of `indices` (i32 or i64) into the
/// long long `variable`, adding `extent` when negative (ONNX: count from the
/// end). Out-of-range indices are undefined behaviour on the GPU.
std::string load_index_code(const std::string& variable, const std::string& at, std::int64_t extent);

/// C++ name of a kernel argument's element type for an indices tensor.
std::string index_type(DType dtype);

}  // namespace trtutils::ops::tensor
