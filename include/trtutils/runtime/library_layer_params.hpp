#pragma once
// The parameters of the library layers ("cudnn.convolution",
// "cublaslt.matmul") as a plan stores them, both ways: the builder writes
// them from what it tuned, the runtime reads them back. Names are those of
// trtutils/plan/layer_kinds.hpp; element types are not parameters but the
// dtypes of the layer's tensors (x, w, y / A, B, D). Pure: no GPU.
//
// Inputs of a convolution layer: x, w, then bias when has_bias, then z when
// has_residual (kAbsentTensor may stand in an omitted slot). Of a matmul
// layer: A, B, then bias when the epilogue has one, then C when beta != 0.
#include <vector>

#include "trtutils/gpu/convolution_desc.hpp"
#include "trtutils/gpu/convolution_plan.hpp"
#include "trtutils/gpu/matmul_desc.hpp"
#include "trtutils/gpu/matmul_plan.hpp"
#include "trtutils/plan/layer_params.hpp"
#include "trtutils/plan/plan.hpp"

namespace trtutils::runtime {

/// Optional int 0/1 on both library layers: allow TF32 tensor cores for f32
/// (absent = 0). Not in layer_kinds.hpp yet; the runtime reads it here.
inline constexpr const char* kAllowTf32Param = "allow_tf32";

/// Everything of the description except the dtypes, and the algorithm.
plan::LayerParams convolution_layer_params(const gpu::ConvolutionDesc& desc,
                                           const gpu::ConvolutionAlgorithm& algorithm);
/// Reads them back; dtypes come from the tensors. ModelError naming a
/// missing, mistyped or out-of-range parameter.
gpu::ConvolutionDesc convolution_desc_from_params(const plan::LayerParams& params,
                                                  DType input_dtype, DType filter_dtype,
                                                  DType output_dtype);
gpu::ConvolutionAlgorithm convolution_algorithm_from_params(const plan::LayerParams& params);

plan::LayerParams matmul_layer_params(const gpu::MatmulDesc& desc,
                                      const gpu::MatmulAlgorithm& algorithm);
gpu::MatmulDesc matmul_desc_from_params(const plan::LayerParams& params, DType a_dtype,
                                        DType b_dtype, DType c_dtype);
gpu::MatmulAlgorithm matmul_algorithm_from_params(const plan::LayerParams& params);

/// Tensor ids of a library layer's inputs by role (kAbsentTensor when none).
struct ConvolutionTensors {
  plan::TensorId x, w, bias, z, y;
};
ConvolutionTensors convolution_tensors(const plan::LayerDesc& layer, bool has_bias,
                                       bool has_residual);
struct MatmulTensors {
  plan::TensorId a, b, bias, c, d;
};
MatmulTensors matmul_tensors(const plan::LayerDesc& layer, bool has_bias, bool reads_c);

}  // namespace trtutils::runtime
