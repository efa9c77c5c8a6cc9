#include "runtime/layer_registry.hpp"

#include <array>
#include <utility>

#include "trtutils/core/error.hpp"
#include "trtutils/plan/layer_kinds.hpp"

namespace trtutils::runtime::detail {

namespace {

namespace kinds = plan::layer_kinds;

using Entry = std::pair<std::string_view, LayerFactory>;
constexpr std::array<Entry, 4> kRegistry = {{
    {kinds::kNvrtcKernel, &make_nvrtc_kernel_layer},
    {kinds::kCudnnConvolution, &make_convolution_layer},
    {kinds::kCublasLtMatmul, &make_matmul_layer},
    {kinds::kCopy, &make_copy_layer},
}};

}  // namespace

LayerFactory find_layer_factory(std::string_view kind) noexcept {
  for (const Entry& entry : kRegistry) {
    if (entry.first == kind) return entry.second;
  }
  return nullptr;
}

std::vector<std::string> registered_layer_kinds() {
  std::vector<std::string> kinds;
  for (const Entry& entry : kRegistry) kinds.emplace_back(entry.first);
  return kinds;
}

std::string layer_prefix(const plan::LayerDesc& desc) {
  return trtutils::detail::concat("layer '", desc.name, "' (", desc.kernel, "): ");
}

}  // namespace trtutils::runtime::detail
