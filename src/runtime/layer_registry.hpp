#pragma once
// Layer kind -> factory. Adding a layer kind is a file in src/runtime/layers/
// and one line in layer_registry.cpp; Engine and ExecutionContext never change.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/layer.hpp"

namespace trtutils::runtime::detail {

struct LayerBuildContext {
  const plan::Plan& plan;
  const plan::LayerDesc& desc;
};

using LayerFactory = std::unique_ptr<Layer> (*)(const LayerBuildContext&);

/// The factory for `kind`, or nullptr when this runtime does not know it.
LayerFactory find_layer_factory(std::string_view kind) noexcept;
std::vector<std::string> registered_layer_kinds();

// The factories (src/runtime/layers/*_layer.cpp).
std::unique_ptr<Layer> make_nvrtc_kernel_layer(const LayerBuildContext& context);
std::unique_ptr<Layer> make_convolution_layer(const LayerBuildContext& context);
std::unique_ptr<Layer> make_matmul_layer(const LayerBuildContext& context);
std::unique_ptr<Layer> make_copy_layer(const LayerBuildContext& context);

}  // namespace trtutils::runtime::detail
