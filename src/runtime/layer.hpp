#pragma once
// The runtime's view of one plan layer. A Layer is created once per Engine
// (from its LayerDesc, by the factory registered for its kind) and is
// immutable; what must differ between ExecutionContexts (kernel argument
// arrays, a cuBLASLt plan that records its bias pointer) lives in a
// LayerState each context creates.
#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "trtutils/core/stream.hpp"
#include "trtutils/plan/plan.hpp"

namespace trtutils::gpu {
class CudnnHandle;
class CublasLtHandle;
class ConvolutionPlanCache;
}  // namespace trtutils::gpu

namespace trtutils::runtime::detail {

/// What a context lends a layer for one enqueue.
struct LayerResources {
  core::StreamView stream;
  gpu::CudnnHandle* cudnn = nullptr;        // set when some layer needs_cudnn()
  gpu::CublasLtHandle* cublaslt = nullptr;  // set when some layer needs_cublaslt()
  void* workspace = nullptr;
  std::size_t workspace_bytes = 0;
};

/// Device addresses of every tensor of the plan, by tensor id.
using TensorAddresses = std::span<void* const>;

/// The library handles of the context a LayerState is made for (null when
/// no layer of the engine needs that library).
struct LayerHandles {
  gpu::CudnnHandle* cudnn = nullptr;
  gpu::CublasLtHandle* cublaslt = nullptr;
  /// The context's cuDNN execution plans, shared by identical convolutions.
  gpu::ConvolutionPlanCache* convolution_plans = nullptr;
};

class LayerState {
 public:
  virtual ~LayerState() = default;
};

class Layer {
 public:
  explicit Layer(const plan::LayerDesc& desc) : desc_(&desc) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const plan::LayerDesc& desc() const noexcept { return *desc_; }
  /// For `inspect`: entry and launch shape, algorithm, bytes...
  virtual std::string detail() const = 0;
  virtual std::size_t workspace_bytes() const { return 0; }
  virtual bool needs_cudnn() const { return false; }
  virtual bool needs_cublaslt() const { return false; }

  /// Per-context state. `addresses` holds constants and activations; inputs
  /// and outputs are null until the first enqueue. `handles` are the
  /// context's, which every later enqueue of this state passes too.
  virtual std::unique_ptr<LayerState> create_state(TensorAddresses /*addresses*/,
                                                   const LayerHandles& /*handles*/) const {
    return nullptr;
  }
  /// Queues the layer on resources.stream. No allocation, no synchronisation.
  virtual void enqueue(LayerState* state, TensorAddresses addresses,
                       const LayerResources& resources) const = 0;

 private:
  const plan::LayerDesc* desc_;  // into the engine's plan, which outlives the layer
};

/// A ModelError message prefix naming the layer: "layer 'conv1' (cudnn.convolution): ".
std::string layer_prefix(const plan::LayerDesc& desc);

}  // namespace trtutils::runtime::detail
