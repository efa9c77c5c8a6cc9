#include "runtime/argument_template.hpp"

#include <cstring>

#include "runtime/layer.hpp"
#include "trtutils/plan/layer_kinds.hpp"

namespace trtutils::runtime::detail {

namespace {

namespace nvrtc = plan::layer_kinds::nvrtc;

constexpr std::int64_t kTensorArgument = 0;
constexpr std::int64_t kScalarArgument = 1;
constexpr std::int64_t kPointerBytes = sizeof(void*);

// The largest power of two dividing `size`, at most max_align_t's alignment:
// where a value of that size would sit in a parameter buffer.
std::size_t alignment_for(std::size_t size) {
  std::size_t alignment = 1;
  while (alignment < alignof(std::max_align_t) && size % (alignment * 2) == 0) alignment *= 2;
  return alignment;
}

}  // namespace

ArgumentTemplate pack_arguments(const plan::LayerDesc& layer, std::size_t tensor_count) {
  const std::string prefix = layer_prefix(layer);
  const auto& kinds = layer.params.get_ints(nvrtc::kArgKinds);
  const auto& tensors = layer.params.get_ints(nvrtc::kArgTensors);
  const auto& sizes = layer.params.get_ints(nvrtc::kArgSizes);
  const std::vector<std::byte> empty;
  const auto& scalars =
      layer.params.has(nvrtc::kArgScalars) ? layer.params.get_bytes(nvrtc::kArgScalars) : empty;
  if (tensors.size() != kinds.size() || sizes.size() != kinds.size()) {
    throw ModelError(trtutils::detail::concat(
        prefix, "arg_kinds, arg_tensors and arg_sizes hold ", kinds.size(), ", ", tensors.size(),
        " and ", sizes.size(), " entries; they must describe the same arguments"));
  }
  ArgumentTemplate packed;
  std::size_t scalar_offset = 0;
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    if (kinds[i] == kTensorArgument) {
      if (sizes[i] != kPointerBytes) {
        throw ModelError(trtutils::detail::concat(prefix, "argument ", i, " is a pointer of ",
                                                  sizes[i], " bytes; pointers are ",
                                                  kPointerBytes));
      }
      if (tensors[i] != -1) {
        if (tensors[i] < 0 || static_cast<std::uint64_t>(tensors[i]) >= tensor_count) {
          throw ModelError(trtutils::detail::concat(prefix, "argument ", i, " names tensor ",
                                                    tensors[i], "; the plan has ", tensor_count));
        }
        packed.tensors.push_back({i, static_cast<plan::TensorId>(tensors[i])});
      }
      const void* null = nullptr;
      packed.args.push_bytes(&null, sizeof null, alignof(void*), "pointer");
      continue;
    }
    if (kinds[i] != kScalarArgument) {
      throw ModelError(trtutils::detail::concat(prefix, "argument ", i, " has kind ", kinds[i],
                                                "; 0 (tensor pointer) or 1 (scalar) expected"));
    }
    if (sizes[i] <= 0 || static_cast<std::uint64_t>(sizes[i]) > scalars.size() - scalar_offset) {
      throw ModelError(trtutils::detail::concat(prefix, "scalar argument ", i, " of ", sizes[i],
                                                " bytes does not fit arg_scalars (", scalars.size(),
                                                " bytes, ", scalar_offset, " used)"));
    }
    const auto size = static_cast<std::size_t>(sizes[i]);
    packed.args.push_bytes(scalars.data() + scalar_offset, size, alignment_for(size), "scalar");
    scalar_offset += size;
  }
  if (scalar_offset != scalars.size()) {
    throw ModelError(trtutils::detail::concat(prefix, "arg_scalars holds ", scalars.size(),
                                              " bytes but the scalar arguments take ",
                                              scalar_offset));
  }
  return packed;
}

void write_pointer(core::KernelArgs& args, std::size_t argument, const void* pointer) noexcept {
  // The pointer array points into storage the KernelArgs owns (and we own it).
  std::memcpy(args.pointers()[argument], &pointer, sizeof pointer);
}

}  // namespace trtutils::runtime::detail
