#pragma once
// Chooses the algorithm of every cudnn.convolution / cublaslt.matmul layer:
// timed on the GPU with scratch buffers (trtutils_gpu's autotune), reused
// from / recorded in the timing cache; or, with autotuning off, a default
// that needs no GPU. Writes the layer_kinds.hpp "chosen" parameters and
// plan.workspace_bytes.
#include <functional>
#include <string>

#include "trtutils/builder/build_options.hpp"
#include "trtutils/gpu/convolution_desc.hpp"
#include "trtutils/gpu/matmul_desc.hpp"
#include "trtutils/plan/plan.hpp"

namespace trtutils::builder {

/// The descriptions a layer's parameters (layer_kinds.hpp) and tensors stand for.
gpu::ConvolutionDesc convolution_desc_of(const plan::Plan& plan, const plan::LayerDesc& layer);
gpu::MatmulDesc matmul_desc_of(const plan::Plan& plan, const plan::LayerDesc& layer);

void choose_algorithms(plan::Plan& plan, const BuildOptions& options, const std::string& arch,
                       const std::function<void(std::size_t, std::size_t)>& progress = {});

}  // namespace trtutils::builder
