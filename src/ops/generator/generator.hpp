#pragma once
// The generator family: ops whose outputs come from attributes, shapes or
// scalars rather than element-wise math. One registration function per file.
#include "ops/generator/gpu_generator.hpp"
#include "ops/support.hpp"
#include "trtutils/ops/registry.hpp"

namespace trtutils::ops::generator {

void register_constant(OpRegistry& registry);          // Constant, ConstantOfShape
void register_shape(OpRegistry& registry);             // Shape, Size
void register_range(OpRegistry& registry);             // Range
void register_identity_dropout(OpRegistry& registry);  // Identity, Dropout

}  // namespace trtutils::ops::generator
