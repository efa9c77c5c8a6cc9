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
  const auto ctx = t.lower(precision);
  std::map<plan::TensorId, ops::GpuTensor> tensors;
  for (const ops::GpuTensor& g : ctx->inputs()) {
    if (g.present()) tensors[g.id] = g;
  }
  for (const ops::GpuTensor& g : ctx->outputs()) {
    if (g.present()) tensors[g.id] = g;
  }
  for (const ops::GpuTensor& g : ctx->scratch()) tensors[g.id] = g;
  for (const auto& [g, value] : ctx->constants()) tensors[g.id] = g;
  const auto bytes_of = [](const ops::GpuTensor& g) {
    return static_cast<std::size_t>(g.element_count()) * dtype_size(g.dtype);
  };
  std::map<plan::TensorId, core::DeviceBuffer> buffers;
  std::map<plan::TensorId, void*> pointers;
  for (const auto& [id, g] : tensors) {
    buffers.emplace(id, core::DeviceBuffer(std::max<std::size_t>(bytes_of(g), 1)));
    pointers[id] = buffers.at(id).data();
  }
  const auto upload = [&](const ops::GpuTensor& g, const HostTensor& value) {
    const HostTensor stored = value.dtype() == g.dtype ? value : value.cast(g.dtype);
    if (stored.byte_size() != 0)
      core::memcpy_host_to_device(pointers.at(g.id), stored.data(), stored.byte_size());
  };
  for (std::size_t i = 0; i < ctx->inputs().size(); ++i) {
    if (ctx->inputs()[i].present()) upload(ctx->inputs()[i], t.inputs().at(i));
  }
  for (const auto& [g, value] : ctx->constants()) upload(g, value);
  for (const auto& [output, input] : ctx->aliases()) {
    pointers[ctx->outputs().at(output).id] = pointers.at(ctx->inputs().at(input).id);
  }
  const auto at = [&](plan::TensorId id) -> void* {
    return id == plan::kAbsentTensor ? nullptr : pointers.at(id);
  };
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

  for (const EmittedLayer& layer : ctx->layers()) {
    if (layer.launch) {
      const ops::KernelLaunch& launch = *layer.launch;
      const core::Kernel kernel(launch.source, launch.entry);
      core::KernelArgs args;
      for (const ops::KernelArgument& a : launch.arguments) {
        if (a.kind == ops::KernelArgument::Kind::kTensor) {
          args.push(pointers.at(a.tensor));
        } else {
          std::size_t alignment = 1;
          while (alignment < a.bytes.size() && alignment < 8) alignment *= 2;
          args.push_bytes(a.bytes.data(), a.bytes.size(), alignment);
        }
      }
      kernel.call(dim3(launch.grid[0], launch.grid[1], launch.grid[2]),
                  dim3(launch.block[0], launch.block[1], launch.block[2]), core::StreamView(), args,
                  launch.shared_bytes);
    } else if (layer.kernel == plan::layer_kinds::kCudnnConvolution) {
      const plan::LayerDesc desc = as_layer_desc(layer);
      const gpu::ConvolutionDesc conv = runtime::convolution_desc_from_params(
          layer.params, tensors.at(layer.inputs.at(0)).dtype, tensors.at(layer.inputs.at(1)).dtype,
          tensors.at(layer.outputs.at(0)).dtype);
      const runtime::ConvolutionTensors io =
          runtime::convolution_tensors(desc, conv.has_bias, conv.has_residual);
      if (!cudnn) cudnn = std::make_unique<gpu::CudnnHandle>();
      gpu::ConvolutionPlan plan(conv);
      const gpu::ConvolutionBuffers b{at(io.x), at(io.w), at(io.bias), at(io.z), at(io.y)};
      plan.autotune(*cudnn, core::StreamView(), b, workspace.data(), kWorkspace);
      plan.execute(*cudnn, core::StreamView(), b, workspace.data(), kWorkspace);
    } else if (layer.kernel == plan::layer_kinds::kCublasLtMatmul) {
      const plan::LayerDesc desc = as_layer_desc(layer);
      const gpu::MatmulDesc mm = runtime::matmul_desc_from_params(
          layer.params, tensors.at(layer.inputs.at(0)).dtype, tensors.at(layer.inputs.at(1)).dtype,
          tensors.at(layer.outputs.at(0)).dtype);
      const runtime::MatmulTensors io =
          runtime::matmul_tensors(desc, gpu::has_bias(mm.epilogue), mm.beta != 0.0f);
      if (!cublaslt) cublaslt = std::make_unique<gpu::CublasLtHandle>();
      gpu::MatmulPlan plan(mm);
      const gpu::MatmulBuffers b{at(io.a), at(io.b), at(io.c), at(io.d), at(io.bias)};
      // Autotuning overwrites D; the lowerings never emit D == C, so C survives.
      if (io.c != plan::kAbsentTensor) {
        EXPECT_NE(io.c, io.d) << layer.name;
      }
      plan.autotune(*cublaslt, core::StreamView(), b, workspace.data(), kWorkspace);
      plan.execute(*cublaslt, core::StreamView(), b, workspace.data(), kWorkspace);
    } else if (layer.kernel == plan::layer_kinds::kCopy) {
      const ops::GpuTensor& source = tensors.at(layer.inputs.at(0));
      if (bytes_of(source) != 0)
        core::memcpy_device_to_device(pointers.at(layer.outputs.at(0)), pointers.at(source.id),
                                      bytes_of(source));
    } else {
      ADD_FAILURE() << "library_layers cannot run layer kind '" << layer.kernel << "'";
      return {};
    }
  }
  core::StreamView().synchronize();

  std::vector<HostTensor> outputs;
  for (std::size_t i = 0; i < ctx->outputs().size(); ++i) {
    const ops::GpuTensor& g = ctx->outputs()[i];
    if (!g.present()) {
      outputs.emplace_back();
      continue;
    }
    HostTensor stored(g.shape, g.dtype);
    if (stored.byte_size() != 0)
      core::memcpy_device_to_host(stored.data(), pointers.at(g.id), stored.byte_size());
    const DType ir_dtype = t.node().output(i)->dtype();
    outputs.push_back(stored.dtype() == ir_dtype ? std::move(stored) : stored.cast(ir_dtype));
  }
  return outputs;
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
