#pragma once
// The argument array of an "nvrtc.kernel" layer, packed once from the plan's
// parameters (arg_kinds, arg_tensors, arg_sizes, arg_scalars; see
// trtutils/plan/layer_kinds.hpp): scalars are written in place, pointer slots
// start null and are filled with device addresses by each ExecutionContext
// (constants and activations once, inputs and outputs at each enqueue).
// Pure: no CUDA.
#include <cstddef>
#include <vector>

#include "trtutils/core/kernel.hpp"
#include "trtutils/plan/plan.hpp"

namespace trtutils::runtime::detail {

/// A pointer argument and the tensor whose address it takes.
struct TensorArgument {
  std::size_t argument = 0;
  plan::TensorId tensor = 0;
};

struct ArgumentTemplate {
  core::KernelArgs args;
  /// Pointer arguments naming a tensor; a pointer argument with tensor -1
  /// stays null (an omitted optional input).
  std::vector<TensorArgument> tensors;
};

/// Packs `layer`'s arguments. Throws ModelError naming the layer when the
/// lists differ in length, a kind is neither 0 nor 1, a pointer is not 8
/// bytes, a tensor id is outside [0, tensor_count), a scalar has no bytes, or
/// arg_scalars holds more or fewer bytes than the scalars' sizes add up to.
ArgumentTemplate pack_arguments(const plan::LayerDesc& layer, std::size_t tensor_count);

/// Writes a device address into pointer argument `argument` of `args`.
void write_pointer(core::KernelArgs& args, std::size_t argument, const void* pointer) noexcept;

}  // namespace trtutils::runtime::detail
