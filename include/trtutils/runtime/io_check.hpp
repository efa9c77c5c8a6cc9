#pragma once
// Checks of the host tensors a caller hands an engine, against the engine's
// input specs, with messages that name the input and say what to do. Pure.
#include <cstddef>
#include <span>
#include <string>

#include "trtutils/plan/plan.hpp"
#include "trtutils/tensor/dtype.hpp"
#include "trtutils/tensor/shape.hpp"

namespace trtutils::runtime {

/// InvalidArgument unless `count` == inputs.size():
/// "the engine takes 2 inputs (images, scale), got 1".
void check_input_count(std::span<const plan::TensorSpec> inputs, std::size_t count);

/// InvalidArgument when `shape` or `dtype` differ from the spec:
/// "input 'images': expected shape [1, 3, 640, 640], got [1, 3, 320, 320]" /
/// "input 'images': expected dtype f32, got f64; cast it first, e.g.
/// tensor.cast(DType::kFloat32)". A kDynamicDim in the spec accepts any
/// extent within its profile.
void check_input(const plan::TensorSpec& spec, const Shape& shape, DType dtype);

/// The batch of a dynamic-batch engine's inputs: axis 0 of every input whose
/// spec has kDynamicDim there (they must agree). InvalidArgument naming the
/// input when one has rank 0, two disagree, or the batch lies outside the
/// spec's profile: "input 'x' [17, 4]: batch 17 is outside the engine's
/// range 1..16". 0 when no spec is batched. Pure; call check_input_count first.
std::int64_t infer_batch(std::span<const plan::TensorSpec> inputs, std::span<const Shape> shapes);

/// "DType::kFloat32" for f32, ... (for messages that suggest code).
std::string dtype_enumerator(DType dtype);

}  // namespace trtutils::runtime
