// Library layer parameters written by the builder and read by the runtime
// round-trip, and bad values are refused naming the parameter. Pure: no GPU.
#include "trtutils/runtime/library_layer_params.hpp"

#include <gtest/gtest.h>

#include <string>

#include "trtutils/plan/layer_kinds.hpp"
#include "trtutils/runtime/logger.hpp"

namespace trtutils::runtime {
namespace {

gpu::ConvolutionDesc sample_convolution() {
  gpu::ConvolutionDesc desc;
  desc.input_dtype = desc.filter_dtype = desc.output_dtype = DType::kFloat16;
  desc.layout = gpu::TensorLayout::kNHWC;
  desc.input_shape = {2, 8, 9, 7};
  desc.filter_shape = {4, 4, 3, 3};
  desc.pads_begin = {1, 1};
  desc.pads_end = {1, 1};
  desc.strides = {2, 1};
  desc.dilations = {1, 2};
  desc.groups = 2;
  desc.has_bias = true;
  desc.has_residual = true;
  desc.activation = gpu::Activation::kClippedRelu;
  desc.clip_ceiling = 3.5f;
  return desc;
}

TEST(LibraryLayerParams, ConvolutionRoundTrips) {
  const gpu::ConvolutionDesc desc = sample_convolution();
  const gpu::ConvolutionAlgorithm algorithm{6, 1, 12345, false, -1, {}};
  const plan::LayerParams params = convolution_layer_params(desc, algorithm);
  const gpu::ConvolutionDesc back =
      convolution_desc_from_params(params, DType::kFloat16, DType::kFloat16, DType::kFloat16);
  EXPECT_EQ(back.layout, desc.layout);
  EXPECT_EQ(back.input_shape, desc.input_shape);
  EXPECT_EQ(back.filter_shape, desc.filter_shape);
  EXPECT_EQ(back.pads_begin, desc.pads_begin);
  EXPECT_EQ(back.pads_end, desc.pads_end);
  EXPECT_EQ(back.strides, desc.strides);
  EXPECT_EQ(back.dilations, desc.dilations);
  EXPECT_EQ(back.groups, 2);
  EXPECT_TRUE(back.has_bias);
  EXPECT_TRUE(back.has_residual);
  EXPECT_EQ(back.activation, gpu::Activation::kClippedRelu);
  EXPECT_EQ(back.clip_ceiling, 3.5f);
  EXPECT_EQ(back.leaky_slope, desc.leaky_slope);
  EXPECT_EQ(back.input_dtype, DType::kFloat16);
  EXPECT_EQ(convolution_algorithm_from_params(params), algorithm);
  // The stored names are the contract's.
  EXPECT_EQ(params.get_int(plan::layer_kinds::convolution::kLayout), 1);
  EXPECT_EQ(params.get_int(plan::layer_kinds::convolution::kActivation),
            plan::layer_kinds::convolution::kClippedRelu);
}

TEST(LibraryLayerParams, GraphEngineChoiceRoundTrips) {
  gpu::ConvolutionAlgorithm algorithm;
  algorithm.workspace_bytes = 4096;
  algorithm.fused_epilogue = true;
  algorithm.engine = 17;
  algorithm.knobs = {3, 1, 18, 0, 41, 7};
  const plan::LayerParams params = convolution_layer_params(sample_convolution(), algorithm);
  const gpu::ConvolutionAlgorithm back = convolution_algorithm_from_params(params);
  EXPECT_EQ(back, algorithm);
  EXPECT_TRUE(back.uses_graph_api());
}

TEST(LibraryLayerParams, PlanWithoutEngineKeysReadsAsLegacyAlgorithm) {
  // Plans written before the graph-API path have no engine / knobs entries.
  plan::LayerParams params =
      convolution_layer_params(sample_convolution(), {2, 1, 0, false, -1, {}});
  plan::LayerParams old;
  for (const auto& [name, value] : params.all()) {
    if (name != plan::layer_kinds::convolution::kEngine &&
        name != plan::layer_kinds::convolution::kKnobs) {
      old.set(name, value);
    }
  }
  const gpu::ConvolutionAlgorithm back = convolution_algorithm_from_params(old);
  EXPECT_FALSE(back.uses_graph_api());
  EXPECT_EQ(back.algorithm, 2);
  EXPECT_TRUE(back.knobs.empty());
}

TEST(LibraryLayerParams, NegativeEngineBelowLegacyMarkerIsRefused) {
  gpu::ConvolutionAlgorithm algorithm;
  algorithm.engine = -1;
  plan::LayerParams params = convolution_layer_params(sample_convolution(), algorithm);
  params.set(plan::layer_kinds::convolution::kEngine, std::int64_t{-5});
  EXPECT_THROW(convolution_algorithm_from_params(params), ModelError);
}

TEST(LibraryLayerParams, MatmulRoundTrips) {
  gpu::MatmulDesc desc;
  desc.m = 5;
  desc.n = 7;
  desc.k = 3;
  desc.batch = 4;
  desc.transpose_b = true;
  desc.batch_stride_a = 0;
  desc.alpha = 0.5f;
  desc.beta = 1.0f;
  desc.epilogue = gpu::MatmulEpilogue::kBiasGelu;
  gpu::MatmulAlgorithm algorithm;
  for (std::size_t i = 0; i < algorithm.data.size(); ++i) algorithm.data[i] = 0x1111 * (i + 1);
  algorithm.workspace_bytes = 4096;
  const plan::LayerParams params = matmul_layer_params(desc, algorithm);
  const gpu::MatmulDesc back =
      matmul_desc_from_params(params, DType::kFloat32, DType::kFloat32, DType::kFloat32);
  EXPECT_EQ(back.m, 5);
  EXPECT_EQ(back.n, 7);
  EXPECT_EQ(back.k, 3);
  EXPECT_EQ(back.batch, 4);
  EXPECT_FALSE(back.transpose_a);
  EXPECT_TRUE(back.transpose_b);
  EXPECT_EQ(back.batch_stride_a, 0);
  EXPECT_EQ(back.batch_stride_b, -1);
  EXPECT_EQ(back.alpha, 0.5f);
  EXPECT_EQ(back.beta, 1.0f);
  EXPECT_EQ(back.epilogue, gpu::MatmulEpilogue::kBiasGelu);
  EXPECT_EQ(matmul_algorithm_from_params(params), algorithm);
}

TEST(LibraryLayerParams, OutOfRangeEnumIsRefusedNamingTheParameter) {
  plan::LayerParams params = convolution_layer_params(sample_convolution(), {});
  params.set(plan::layer_kinds::convolution::kActivation, std::int64_t{9});
  try {
    (void)convolution_desc_from_params(params, DType::kFloat32, DType::kFloat32, DType::kFloat32);
    FAIL() << "no ModelError";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("parameter 'activation' is 9"), std::string::npos)
        << e.what();
  }
}

TEST(LibraryLayerParams, MatmulAlgorithmBlobMustBeSixtyFourBytes) {
  plan::LayerParams params = matmul_layer_params(gpu::MatmulDesc{}, {});
  params.set(plan::layer_kinds::matmul::kAlgorithm, std::vector<std::byte>(10));
  EXPECT_THROW((void)matmul_algorithm_from_params(params), ModelError);
}

TEST(LibraryLayerParams, OptionalInputsAreFoundByRole) {
  plan::LayerDesc layer;
  layer.inputs = {0, 1, 5};
  layer.outputs = {9};
  const ConvolutionTensors with_z = convolution_tensors(layer, false, true);
  EXPECT_EQ(with_z.bias, plan::kAbsentTensor);
  EXPECT_EQ(with_z.z, 5U);
  const ConvolutionTensors with_bias = convolution_tensors(layer, true, false);
  EXPECT_EQ(with_bias.bias, 5U);
  EXPECT_EQ(with_bias.z, plan::kAbsentTensor);
  layer.inputs = {0, 1, plan::kAbsentTensor, 6};  // absent bias slot, then C
  const MatmulTensors matmul = matmul_tensors(layer, false, true);
  EXPECT_EQ(matmul.c, 6U);
  EXPECT_EQ(matmul.d, 9U);
  EXPECT_THROW((void)matmul_tensors(layer, true, true), ModelError);  // bias slot absent
}

TEST(Logger, DropsMessagesBelowItsSeverityAndSendsTheRestToTheSink) {
  std::vector<std::string> seen;
  Logger logger(Severity::kInfo, [&](Severity severity, std::string_view message) {
    seen.push_back(std::string(severity_name(severity)) + ":" + std::string(message));
  });
  logger.verbose("hidden");
  logger.info("loaded");
  logger.error("broken");
  EXPECT_EQ(seen, (std::vector<std::string>{"info:loaded", "error:broken"}));
  logger.set_min_severity(Severity::kError);
  logger.warning("hidden too");
  EXPECT_EQ(seen.size(), 2U);
}

}  // namespace
}  // namespace trtutils::runtime
