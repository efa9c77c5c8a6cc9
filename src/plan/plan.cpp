#include "trtutils/plan/plan.hpp"

#include <algorithm>

#include "trtutils/core/error.hpp"

namespace trtutils::plan {

std::string_view precision_name(Precision precision) noexcept {
  switch (precision) {
    case Precision::kFloat32:
      return "fp32";
    case Precision::kFloat16:
      return "fp16";
    case Precision::kBFloat16:
      return "bf16";
  }
  return "?";
}

Precision precision_from_name(std::string_view name) {
  for (const Precision p : {Precision::kFloat32, Precision::kFloat16, Precision::kBFloat16}) {
    if (precision_name(p) == name) return p;
  }
  throw InvalidArgument(detail::concat("unknown precision \"", name, "\"; use fp32, fp16 or bf16"));
}

std::string_view layout_name(TensorLayout layout) noexcept {
  switch (layout) {
    case TensorLayout::kLinear:
      return "linear";
    case TensorLayout::kNCHW:
      return "NCHW";
    case TensorLayout::kNHWC:
      return "NHWC";
  }
  return "?";
}

std::string_view tensor_kind_name(TensorKind kind) noexcept {
  switch (kind) {
    case TensorKind::kInput:
      return "input";
    case TensorKind::kOutput:
      return "output";
    case TensorKind::kActivation:
      return "activation";
    case TensorKind::kConstant:
      return "constant";
  }
  return "?";
}

bool TensorSpec::is_dynamic() const noexcept {
  return std::find(dims.begin(), dims.end(), kDynamicDim) != dims.end();
}

const TensorDesc& Plan::tensor(TensorId id) const {
  TRTUTILS_CHECK(id < tensors.size(), "plan has no tensor ", id, " (it has ", tensors.size(),
                 " tensors)");
  return tensors[id];
}

const TensorDesc* Plan::find_tensor(std::string_view name) const noexcept {
  for (const TensorDesc& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::span<const std::byte> Plan::weights_of(const TensorDesc& tensor) const {
  TRTUTILS_CHECK(tensor.kind == TensorKind::kConstant, "tensor '", tensor.name, "' is an ",
                 tensor_kind_name(tensor.kind), " tensor, not a constant: it has no weights");
  return weights.slice(tensor.weights);
}

}  // namespace trtutils::plan
