#pragma once
// Move-only owners of the cuDNN (legacy API) descriptors the convolution plan
// uses, and setters that pass their arguments to cuDNN unchanged, so that a
// refused argument surfaces as cuDNN's own error naming the call (e.g.
// "cudnnSetTensorNdDescriptor(...) failed: CUDNN_STATUS_BAD_PARAM"). Creating
// and setting descriptors is host-only: no GPU is needed.
//
// This is the wrapper layer for cuDNN; code above it (plans, the builder)
// includes it only where it must see cuDNN types.
#include <cudnn.h>

#include <span>
#include <utility>

#include "trtutils/gpu/cudnn_check.hpp"

namespace trtutils::gpu {

namespace detail {
/// One owner shape for every cuDNN descriptor kind; Traits names the handle
/// type and its create/destroy functions (see the aliases below).
template <typename Traits>
class CudnnDescriptor {
 public:
  using Handle = typename Traits::Handle;

  CudnnDescriptor() { Traits::create(&handle_); }
  CudnnDescriptor(const CudnnDescriptor&) = delete;
  CudnnDescriptor& operator=(const CudnnDescriptor&) = delete;
  CudnnDescriptor(CudnnDescriptor&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)) {}
  CudnnDescriptor& operator=(CudnnDescriptor&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  ~CudnnDescriptor() { reset(); }

  Handle get() const noexcept { return handle_; }

 private:
  void reset() noexcept {
    if (handle_ != nullptr) Traits::destroy(handle_);
    handle_ = nullptr;
  }

  Handle handle_ = nullptr;
};

struct TensorDescriptorTraits {
  using Handle = cudnnTensorDescriptor_t;
  static void create(Handle* handle) { TRTUTILS_CUDNN_CHECK(cudnnCreateTensorDescriptor(handle)); }
  static void destroy(Handle handle) noexcept { (void)cudnnDestroyTensorDescriptor(handle); }
};
struct FilterDescriptorTraits {
  using Handle = cudnnFilterDescriptor_t;
  static void create(Handle* handle) { TRTUTILS_CUDNN_CHECK(cudnnCreateFilterDescriptor(handle)); }
  static void destroy(Handle handle) noexcept { (void)cudnnDestroyFilterDescriptor(handle); }
};
struct ConvolutionDescriptorTraits {
  using Handle = cudnnConvolutionDescriptor_t;
  static void create(Handle* handle) {
    TRTUTILS_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(handle));
  }
  static void destroy(Handle handle) noexcept { (void)cudnnDestroyConvolutionDescriptor(handle); }
};
struct ActivationDescriptorTraits {
  using Handle = cudnnActivationDescriptor_t;
  static void create(Handle* handle) {
    TRTUTILS_CUDNN_CHECK(cudnnCreateActivationDescriptor(handle));
  }
  static void destroy(Handle handle) noexcept { (void)cudnnDestroyActivationDescriptor(handle); }
};
}  // namespace detail

using TensorDescriptor = detail::CudnnDescriptor<detail::TensorDescriptorTraits>;
using FilterDescriptor = detail::CudnnDescriptor<detail::FilterDescriptorTraits>;
using ConvolutionDescriptor = detail::CudnnDescriptor<detail::ConvolutionDescriptorTraits>;
using ActivationDescriptor = detail::CudnnDescriptor<detail::ActivationDescriptorTraits>;

/// cudnnSetTensorNdDescriptor: `dims` and `strides` (in elements) in N, C,
/// spatial order whatever the memory layout; 3 to 8 dimensions.
void set_tensor(TensorDescriptor& descriptor, cudnnDataType_t type, std::span<const int> dims,
                std::span<const int> strides);
/// cudnnSetFilterNdDescriptor: `dims` in K, C/groups, spatial order; `format`
/// says how they lie in memory (NCHW = KCRS, NHWC = KRSC).
void set_filter(FilterDescriptor& descriptor, cudnnDataType_t type, cudnnTensorFormat_t format,
                std::span<const int> dims);
/// cudnnSetConvolutionNdDescriptor (cross-correlation, as ONNX Conv) plus the
/// group count and math type.
void set_convolution(ConvolutionDescriptor& descriptor, std::span<const int> pads,
                     std::span<const int> strides, std::span<const int> dilations, int groups,
                     cudnnDataType_t compute_type, cudnnMathType_t math_type);
/// cudnnSetActivationDescriptor; `coefficient` is the clipped-ReLU ceiling.
void set_activation(ActivationDescriptor& descriptor, cudnnActivationMode_t mode,
                    double coefficient = 0.0);

}  // namespace trtutils::gpu
