#pragma once
// Extends lowering_harness.hpp to lowerings that emit library layers:
// run_lowered_with_libraries() runs the emitted layers in order like
// run_lowered(), and also executes "cudnn.convolution" and "cublaslt.matmul"
// layers, reading their params back exactly as the runtime does
// (runtime::convolution_desc_from_params / matmul_desc_from_params) and
// running them through trtutils_gpu's ConvolutionPlan / MatmulPlan, autotuned
// on the spot (the builder's job in a real build). Needs a GPU; links
// trtutils_runtime.
//
// rel_l2() is the comparison the nn lowering tests use: ||a - e|| / ||e||.
#include <cmath>

#include "gpu_lowering/lowering_harness.hpp"
#include "trtutils/gpu/convolution_plan.hpp"
#include "trtutils/gpu/cublaslt_handle.hpp"
#include "trtutils/gpu/cudnn_handle.hpp"
#include "trtutils/gpu/matmul_plan.hpp"
#include "trtutils/runtime/library_layer_params.hpp"

namespace trtutils::testing {

/// Relative L2 error of `actual` against `expected` (same element count);
/// NaN when shapes differ.
inline double rel_l2(const HostTensor& actual, const HostTensor& expected) {
  if (actual.shape() != expected.shape()) return std::nan("");
  double diff = 0.0;
  double norm = 0.0;
  for (std::int64_t i = 0; i < expected.element_count(); ++i) {
    const double a = element_as_double(actual.view(), i);
    const double e = element_as_double(expected.view(), i);
    diff += (a - e) * (a - e);
    norm += e * e;
  }
  return norm == 0.0 ? std::sqrt(diff) : std::sqrt(diff / norm);
}

inline std::vector<HostTensor> run_lowered_with_libraries(const NodeUnderTest& t,
                                                          plan::Precision precision) {
  const auto as_layer_desc = [](const EmittedLayer& layer) {
    plan::LayerDesc desc;
    desc.name = layer.name;
    desc.kernel = layer.kernel;
    desc.inputs = layer.inputs;
    desc.outputs = layer.outputs;
    desc.params = layer.params;
    return desc;
  };
  constexpr std::size_t kWorkspace = std::size_t{64} << 20;
  core::DeviceBuffer workspace(kWorkspace);
  std::unique_ptr<gpu::CudnnHandle> cudnn;
  std::unique_ptr<gpu::CublasLtHandle> cublaslt;
  const LayerRunner run_library = [&](const EmittedLayer& layer, const LoweredTensors& lt) {
    if (layer.kernel == plan::layer_kinds::kCudnnConvolution) {
      const plan::LayerDesc desc = as_layer_desc(layer);
      const gpu::ConvolutionDesc conv = runtime::convolution_desc_from_params(
          layer.params, lt.tensors.at(layer.inputs.at(0)).dtype,
          lt.tensors.at(layer.inputs.at(1)).dtype, lt.tensors.at(layer.outputs.at(0)).dtype);
      const runtime::ConvolutionTensors io =
          runtime::convolution_tensors(desc, conv.has_bias, conv.has_residual);
      if (!cudnn) cudnn = std::make_unique<gpu::CudnnHandle>();
      gpu::ConvolutionPlan plan(conv);
      const gpu::ConvolutionBuffers b{lt.at(io.x), lt.at(io.w), lt.at(io.bias), lt.at(io.z),
                                      lt.at(io.y)};
      plan.autotune(*cudnn, core::StreamView(), b, workspace.data(), kWorkspace);
      plan.execute(*cudnn, core::StreamView(), b, workspace.data(), kWorkspace);
      return true;
    }
    if (layer.kernel == plan::layer_kinds::kCublasLtMatmul) {
      const plan::LayerDesc desc = as_layer_desc(layer);
      const gpu::MatmulDesc mm = runtime::matmul_desc_from_params(
          layer.params, lt.tensors.at(layer.inputs.at(0)).dtype,
          lt.tensors.at(layer.inputs.at(1)).dtype, lt.tensors.at(layer.outputs.at(0)).dtype);
      const runtime::MatmulTensors io =
          runtime::matmul_tensors(desc, gpu::has_bias(mm.epilogue), mm.beta != 0.0f);
      if (!cublaslt) cublaslt = std::make_unique<gpu::CublasLtHandle>();
      gpu::MatmulPlan plan(mm);
      const gpu::MatmulBuffers b{lt.at(io.a), lt.at(io.b), lt.at(io.c), lt.at(io.d),
                                 lt.at(io.bias)};
      // Autotuning overwrites D; the lowerings never emit D == C, so C survives.
      if (io.c != plan::kAbsentTensor) {
        EXPECT_NE(io.c, io.d) << layer.name;
      }
      plan.autotune(*cublaslt, core::StreamView(), b, workspace.data(), kWorkspace);
      plan.execute(*cublaslt, core::StreamView(), b, workspace.data(), kWorkspace);
      return true;
    }
    return false;
  };
  return run_lowered(t, precision, false, run_library);
}

/// Lowers and runs `t` on the GPU (library layers included) and compares
/// every output with run_cpu on the same storage-rounded inputs by relative
/// L2 error. Integer outputs must match exactly.
inline void expect_close_to_cpu(NodeUnderTest& t, plan::Precision precision, double max_rel_l2) {
  std::vector<HostTensor> rounded;
  for (const HostTensor& input : t.inputs()) rounded.push_back(round_to_storage(input, precision));
  t.set_inputs(std::move(rounded));
  const std::vector<HostTensor> expected = t.run_cpu();
  const std::vector<HostTensor> actual = run_lowered_with_libraries(t, precision);
  ASSERT_EQ(actual.size(), expected.size()) << t.node().describe();
  for (std::size_t i = 0; i < actual.size(); ++i) {
    if (expected[i].empty()) continue;
    if (is_integer(expected[i].dtype())) {
      EXPECT_TRUE(tensors_match(actual[i], expected[i], 0.0)) << t.node().describe();
      continue;
    }
    const double error = rel_l2(actual[i], expected[i]);
    EXPECT_LE(error, max_rel_l2) << t.node().describe() << " output " << i << " ("
                                 << plan::precision_name(precision) << ")";
  }
}

}  // namespace trtutils::testing
