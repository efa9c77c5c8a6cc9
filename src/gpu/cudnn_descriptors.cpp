#include "trtutils/gpu/cudnn_descriptors.hpp"

namespace trtutils::gpu {

void set_tensor(TensorDescriptor& descriptor, cudnnDataType_t type, std::span<const int> dims,
                std::span<const int> strides) {
  TRTUTILS_CHECK(dims.size() == strides.size(), "set_tensor: ", dims.size(), " dims but ",
                 strides.size(), " strides");
  TRTUTILS_CUDNN_CHECK(cudnnSetTensorNdDescriptor(
      descriptor.get(), type, static_cast<int>(dims.size()), dims.data(), strides.data()));
}

void set_filter(FilterDescriptor& descriptor, cudnnDataType_t type, cudnnTensorFormat_t format,
                std::span<const int> dims) {
  TRTUTILS_CUDNN_CHECK(cudnnSetFilterNdDescriptor(descriptor.get(), type, format,
                                                  static_cast<int>(dims.size()), dims.data()));
}

void set_convolution(ConvolutionDescriptor& descriptor, std::span<const int> pads,
                     std::span<const int> strides, std::span<const int> dilations, int groups,
                     cudnnDataType_t compute_type, cudnnMathType_t math_type) {
  TRTUTILS_CHECK(pads.size() == strides.size() && pads.size() == dilations.size(),
                 "set_convolution: pads, strides and dilations must have one entry per spatial "
                 "dimension (got ",
                 pads.size(), ", ", strides.size(), ", ", dilations.size(), ")");
  TRTUTILS_CUDNN_CHECK(cudnnSetConvolutionNdDescriptor(
      descriptor.get(), static_cast<int>(pads.size()), pads.data(), strides.data(),
      dilations.data(), CUDNN_CROSS_CORRELATION, compute_type));
  TRTUTILS_CUDNN_CHECK(cudnnSetConvolutionGroupCount(descriptor.get(), groups));
  TRTUTILS_CUDNN_CHECK(cudnnSetConvolutionMathType(descriptor.get(), math_type));
}

void set_activation(ActivationDescriptor& descriptor, cudnnActivationMode_t mode,
                    double coefficient) {
  TRTUTILS_CUDNN_CHECK(
      cudnnSetActivationDescriptor(descriptor.get(), mode, CUDNN_NOT_PROPAGATE_NAN, coefficient));
}

}  // namespace trtutils::gpu
