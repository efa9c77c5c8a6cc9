#include "trtutils/runtime/library_layer_params.hpp"

#include <cstring>

#include "trtutils/core/error.hpp"
#include "trtutils/plan/layer_kinds.hpp"

namespace trtutils::runtime {

namespace {

namespace conv = plan::layer_kinds::convolution;
namespace mm = plan::layer_kinds::matmul;

std::int64_t ranged(const plan::LayerParams& params, const char* name, std::int64_t low,
                    std::int64_t high) {
  const std::int64_t value = params.get_int(name);
  if (value < low || value > high) {
    throw ModelError(trtutils::detail::concat("parameter '", name, "' is ", value, "; expected ",
                                              low, " to ", high));
  }
  return value;
}

bool flag(const plan::LayerParams& params, const char* name) {
  return ranged(params, name, 0, 1) == 1;
}

double double_or(const plan::LayerParams& params, const char* name, double fallback) {
  return params.has(name) ? params.get_double(name) : fallback;
}

plan::TensorId input_or_absent(const plan::LayerDesc& layer, std::size_t index) {
  return index < layer.inputs.size() ? layer.inputs[index] : plan::kAbsentTensor;
}

void require_shape(const plan::LayerDesc& layer, std::size_t min_inputs) {
  if (layer.inputs.size() < min_inputs || layer.outputs.size() != 1) {
    throw ModelError(trtutils::detail::concat(
        "layer '", layer.name, "' (", layer.kernel, ") has ", layer.inputs.size(), " inputs and ",
        layer.outputs.size(), " outputs; expected at least ", min_inputs, " inputs and 1 output"));
  }
}

// The optional inputs follow the two operands: the bias first, the residual /
// C last, so both the compact form and the form with an absent slot read right.
std::pair<plan::TensorId, plan::TensorId> optional_inputs(const plan::LayerDesc& layer,
                                                          bool has_first, bool has_last) {
  require_shape(layer, 2 + (has_first ? 1 : 0) + (has_last ? 1 : 0));
  const plan::TensorId first = has_first ? input_or_absent(layer, 2) : plan::kAbsentTensor;
  const plan::TensorId last = has_last ? layer.inputs.back() : plan::kAbsentTensor;
  if ((has_first && first == plan::kAbsentTensor) || (has_last && last == plan::kAbsentTensor)) {
    throw ModelError(trtutils::detail::concat("layer '", layer.name,
                                              "': an input its parameters require is absent"));
  }
  return {first, last};
}

}  // namespace

plan::LayerParams convolution_layer_params(const gpu::ConvolutionDesc& desc,
                                           const gpu::ConvolutionAlgorithm& algorithm) {
  plan::LayerParams params;
  params.set(conv::kLayout, std::int64_t{desc.layout == gpu::TensorLayout::kNHWC ? 1 : 0});
  params.set(conv::kInputShape, desc.input_shape);
  params.set(conv::kFilterShape, desc.filter_shape);
  params.set(conv::kPadsBegin, desc.pads_begin);
  params.set(conv::kPadsEnd, desc.pads_end);
  params.set(conv::kStrides, desc.strides);
  params.set(conv::kDilations, desc.dilations);
  params.set(conv::kGroups, desc.groups);
  params.set(conv::kHasBias, std::int64_t{desc.has_bias});
  params.set(conv::kHasResidual, std::int64_t{desc.has_residual});
  params.set(conv::kActivation, static_cast<std::int64_t>(desc.activation));
  params.set(conv::kClipCeiling, static_cast<double>(desc.clip_ceiling));
  params.set(conv::kLeakySlope, static_cast<double>(desc.leaky_slope));
  params.set(kAllowTf32Param, std::int64_t{desc.allow_tf32});
  params.set(conv::kAlgorithm, std::int64_t{algorithm.algorithm});
  params.set(conv::kMathType, std::int64_t{algorithm.math_type});
  params.set(conv::kWorkspaceBytes, static_cast<std::int64_t>(algorithm.workspace_bytes));
  params.set(conv::kFused, std::int64_t{algorithm.fused_epilogue});
  params.set(conv::kEngine, algorithm.engine);
  params.set(conv::kKnobs, algorithm.knobs);
  return params;
}

gpu::ConvolutionDesc convolution_desc_from_params(const plan::LayerParams& params,
                                                  DType input_dtype, DType filter_dtype,
                                                  DType output_dtype) {
  gpu::ConvolutionDesc desc;
  desc.input_dtype = input_dtype;
  desc.filter_dtype = filter_dtype;
  desc.output_dtype = output_dtype;
  desc.layout = ranged(params, conv::kLayout, 0, 1) == 1 ? gpu::TensorLayout::kNHWC
                                                         : gpu::TensorLayout::kNCHW;
  desc.input_shape = params.get_ints(conv::kInputShape);
  desc.filter_shape = params.get_ints(conv::kFilterShape);
  desc.pads_begin = params.get_ints(conv::kPadsBegin);
  desc.pads_end = params.get_ints(conv::kPadsEnd);
  desc.strides = params.get_ints(conv::kStrides);
  desc.dilations = params.get_ints(conv::kDilations);
  desc.groups = params.get_int(conv::kGroups);
  desc.has_bias = flag(params, conv::kHasBias);
  desc.has_residual = flag(params, conv::kHasResidual);
  desc.activation = static_cast<gpu::Activation>(
      ranged(params, conv::kActivation, conv::kIdentity, conv::kGelu));
  desc.clip_ceiling = static_cast<float>(double_or(params, conv::kClipCeiling, 6.0));
  desc.leaky_slope = static_cast<float>(double_or(params, conv::kLeakySlope, 0.01));
  desc.allow_tf32 = params.get_int(kAllowTf32Param, 0) != 0;
  return desc;
}

gpu::ConvolutionAlgorithm convolution_algorithm_from_params(const plan::LayerParams& params) {
  gpu::ConvolutionAlgorithm algorithm;
  algorithm.algorithm = static_cast<std::int32_t>(ranged(params, conv::kAlgorithm, -1, 1 << 20));
  algorithm.math_type = static_cast<std::int32_t>(ranged(params, conv::kMathType, 0, 1 << 20));
  algorithm.workspace_bytes =
      static_cast<std::uint64_t>(ranged(params, conv::kWorkspaceBytes, 0, INT64_MAX));
  algorithm.fused_epilogue = flag(params, conv::kFused);
  // Plans from before the graph-API path carry neither: legacy algorithm.
  algorithm.engine = params.has(conv::kEngine) ? ranged(params, conv::kEngine, -1, INT64_MAX) : -1;
  algorithm.knobs = params.has(conv::kKnobs) ? params.get_ints(conv::kKnobs)
                                             : std::vector<std::int64_t>{};
  return algorithm;
}

plan::LayerParams matmul_layer_params(const gpu::MatmulDesc& desc,
                                      const gpu::MatmulAlgorithm& algorithm) {
  plan::LayerParams params;
  params.set(mm::kM, desc.m);
  params.set(mm::kN, desc.n);
  params.set(mm::kK, desc.k);
  params.set(mm::kBatch, desc.batch);
  params.set(mm::kTransposeA, std::int64_t{desc.transpose_a});
  params.set(mm::kTransposeB, std::int64_t{desc.transpose_b});
  params.set(mm::kBatchStrideA, desc.batch_stride_a);
  params.set(mm::kBatchStrideB, desc.batch_stride_b);
  params.set(mm::kBatchStrideC, desc.batch_stride_c);
  params.set(mm::kAlpha, static_cast<double>(desc.alpha));
  params.set(mm::kBeta, static_cast<double>(desc.beta));
  params.set(mm::kEpilogue, static_cast<std::int64_t>(desc.epilogue));
  params.set(kAllowTf32Param, std::int64_t{desc.allow_tf32});
  std::vector<std::byte> blob(sizeof algorithm.data);
  std::memcpy(blob.data(), algorithm.data.data(), blob.size());
  params.set(mm::kAlgorithm, std::move(blob));
  params.set(mm::kWorkspaceBytes, static_cast<std::int64_t>(algorithm.workspace_bytes));
  return params;
}

gpu::MatmulDesc matmul_desc_from_params(const plan::LayerParams& params, DType a_dtype,
                                        DType b_dtype, DType c_dtype) {
  gpu::MatmulDesc desc;
  desc.a_dtype = a_dtype;
  desc.b_dtype = b_dtype;
  desc.c_dtype = c_dtype;
  desc.m = params.get_int(mm::kM);
  desc.n = params.get_int(mm::kN);
  desc.k = params.get_int(mm::kK);
  desc.batch = params.get_int(mm::kBatch, 1);
  desc.transpose_a = flag(params, mm::kTransposeA);
  desc.transpose_b = flag(params, mm::kTransposeB);
  desc.batch_stride_a = params.get_int(mm::kBatchStrideA, -1);
  desc.batch_stride_b = params.get_int(mm::kBatchStrideB, -1);
  desc.batch_stride_c = params.get_int(mm::kBatchStrideC, -1);
  desc.alpha = static_cast<float>(double_or(params, mm::kAlpha, 1.0));
  desc.beta = static_cast<float>(double_or(params, mm::kBeta, 0.0));
  desc.epilogue =
      static_cast<gpu::MatmulEpilogue>(ranged(params, mm::kEpilogue, mm::kNone, mm::kBiasGelu));
  desc.allow_tf32 = params.get_int(kAllowTf32Param, 0) != 0;
  return desc;
}

gpu::MatmulAlgorithm matmul_algorithm_from_params(const plan::LayerParams& params) {
  gpu::MatmulAlgorithm algorithm;
  const auto& blob = params.get_bytes(mm::kAlgorithm);
  if (blob.size() != sizeof algorithm.data) {
    throw ModelError(trtutils::detail::concat("parameter '", mm::kAlgorithm, "' holds ",
                                              blob.size(), " bytes; a cuBLASLt algorithm is ",
                                              sizeof algorithm.data));
  }
  std::memcpy(algorithm.data.data(), blob.data(), blob.size());
  algorithm.workspace_bytes =
      static_cast<std::uint64_t>(ranged(params, mm::kWorkspaceBytes, 0, INT64_MAX));
  return algorithm;
}

ConvolutionTensors convolution_tensors(const plan::LayerDesc& layer, bool has_bias,
                                       bool has_residual) {
  const auto [bias, z] = optional_inputs(layer, has_bias, has_residual);
  return {layer.inputs[0], layer.inputs[1], bias, z, layer.outputs[0]};
}

MatmulTensors matmul_tensors(const plan::LayerDesc& layer, bool has_bias, bool reads_c) {
  const auto [bias, c] = optional_inputs(layer, has_bias, reads_c);
  return {layer.inputs[0], layer.inputs[1], bias, c, layer.outputs[0]};
}

}  // namespace trtutils::runtime
