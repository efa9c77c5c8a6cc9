#include "builder/autotune.hpp"

#include <algorithm>
#include <cstring>

#include "trtutils/builder/timing_cache.hpp"
#include "trtutils/core/device.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/core/stream.hpp"
#include "trtutils/gpu/convolution_plan.hpp"
#include "trtutils/gpu/cudnn_handle.hpp"
#include "trtutils/gpu/matmul_plan.hpp"
#include "trtutils/plan/layer_kinds.hpp"
#include "trtutils/runtime/library_layer_params.hpp"

namespace trtutils::builder {

namespace lk = plan::layer_kinds;
namespace conv = lk::convolution;
namespace mm = lk::matmul;

namespace {

const std::vector<std::string> kConvolutionTuned{conv::kAlgorithm, conv::kMathType,
                                                 conv::kWorkspaceBytes, conv::kFused,
                                                 conv::kEngine, conv::kKnobs};
const std::vector<std::string> kMatmulTuned{mm::kAlgorithm, mm::kWorkspaceBytes};

std::vector<std::int64_t> ints_or_empty(const plan::LayerParams& p, const char* name) {
  return p.has(name) ? p.get_ints(name) : std::vector<std::int64_t>{};
}

std::uint64_t bytes_of(const plan::Plan& plan, plan::TensorId id) {
  const plan::TensorDesc& t = plan.tensor(id);
  std::uint64_t bytes = dtype_size(t.dtype);
  for (const std::int64_t d : t.dims) bytes *= static_cast<std::uint64_t>(d);
  return bytes;
}


/// Scratch device buffers shaped like a layer's tensors, for timing.
struct ScratchTensors {
  std::vector<core::DeviceBuffer> buffers;
  const void* input(const plan::Plan& plan, plan::TensorId id) {
    if (id == plan::kAbsentTensor) return nullptr;
    buffers.emplace_back(std::max<std::uint64_t>(bytes_of(plan, id), 1));
    core::memset_device(buffers.back(), 0);
    return buffers.back().data();
  }
  void* output(const plan::Plan& plan, plan::TensorId id) {
    buffers.emplace_back(std::max<std::uint64_t>(bytes_of(plan, id), 1));
    return buffers.back().data();
  }
};

void store(plan::LayerParams& p, const gpu::ConvolutionAlgorithm& a) {
  p.set(conv::kAlgorithm, std::int64_t{a.algorithm});
  p.set(conv::kMathType, std::int64_t{a.math_type});
  p.set(conv::kWorkspaceBytes, static_cast<std::int64_t>(a.workspace_bytes));
  p.set(conv::kFused, std::int64_t{a.fused_epilogue ? 1 : 0});
  p.set(conv::kEngine, a.engine);
  p.set(conv::kKnobs, a.knobs);
}

void store(plan::LayerParams& p, const gpu::MatmulAlgorithm& a) {
  std::vector<std::byte> bytes(sizeof(a.data));
  std::memcpy(bytes.data(), a.data.data(), sizeof(a.data));
  p.set(mm::kAlgorithm, std::move(bytes));
  p.set(mm::kWorkspaceBytes, static_cast<std::int64_t>(a.workspace_bytes));
}

// algorithm, math type, workspace, fused, engine, then the knob pairs.
constexpr std::size_t kEncodedConvolution = 5;

std::vector<std::int64_t> encode(const gpu::ConvolutionAlgorithm& a) {
  std::vector<std::int64_t> v{a.algorithm, a.math_type, static_cast<std::int64_t>(a.workspace_bytes),
                              a.fused_epilogue ? 1 : 0, a.engine};
  v.insert(v.end(), a.knobs.begin(), a.knobs.end());
  return v;
}

gpu::ConvolutionAlgorithm decode_convolution(const std::vector<std::int64_t>& v) {
  gpu::ConvolutionAlgorithm a;
  a.algorithm = static_cast<std::int32_t>(v[0]);
  a.math_type = static_cast<std::int32_t>(v[1]);
  a.workspace_bytes = static_cast<std::uint64_t>(v[2]);
  a.fused_epilogue = v[3] != 0;
  a.engine = v[4];
  a.knobs.assign(v.begin() + kEncodedConvolution, v.end());
  return a;
}

std::vector<std::int64_t> encode(const gpu::MatmulAlgorithm& a) {
  std::vector<std::int64_t> v;
  for (const std::uint64_t word : a.data) v.push_back(static_cast<std::int64_t>(word));
  v.push_back(static_cast<std::int64_t>(a.workspace_bytes));
  return v;
}

struct Tuner {
  const BuildOptions& options;
  core::Stream stream;
  gpu::CudnnHandle cudnn{stream};
  gpu::CublasLtHandle cublas;
  core::DeviceBuffer workspace;

  explicit Tuner(const BuildOptions& o)
      : options(o), workspace(std::min<std::uint64_t>(o.max_workspace_bytes,
                                                      core::memory_info().free_bytes / 4)) {}

  gpu::ConvolutionAlgorithm time(const plan::Plan& plan, const plan::LayerDesc& layer) {
    const gpu::ConvolutionDesc desc = convolution_desc_of(plan, layer);
    gpu::ConvolutionPlan p(desc);
    // Which optional inputs are present follows from the parameters, exactly
    // as the runtime reads them (inputs are compacted: x, w, [bias], [z]).
    const runtime::ConvolutionTensors t =
        runtime::convolution_tensors(layer, desc.has_bias, desc.has_residual);
    ScratchTensors s;
    gpu::ConvolutionBuffers b;
    b.x = s.input(plan, t.x);
    b.w = s.input(plan, t.w);
    b.bias = s.input(plan, t.bias);
    b.z = s.input(plan, t.z);
    b.y = s.output(plan, t.y);
    return p.autotune(cudnn, stream, b, workspace.data(), workspace.size(),
                      options.cudnn_runtime_fusion);
  }

  gpu::MatmulAlgorithm time_matmul(const plan::Plan& plan, const plan::LayerDesc& layer) {
    const gpu::MatmulDesc desc = matmul_desc_of(plan, layer);
    gpu::MatmulPlan p(desc);
    // Inputs are compacted (A, B, [bias], [C]) as the runtime reads them.
    const runtime::MatmulTensors t =
        runtime::matmul_tensors(layer, gpu::has_bias(desc.epilogue), desc.beta != 0.0f);
    ScratchTensors s;
    gpu::MatmulBuffers b;
    b.a = s.input(plan, t.a);
    b.b = s.input(plan, t.b);
    b.bias = s.input(plan, t.bias);
    b.c = s.input(plan, t.c);
    b.d = s.output(plan, t.d);
    return p.autotune(cublas, stream, b, workspace.data(), workspace.size());
  }
};

}  // namespace

gpu::ConvolutionDesc convolution_desc_of(const plan::Plan& plan, const plan::LayerDesc& layer) {
  const plan::LayerParams& p = layer.params;
  gpu::ConvolutionDesc d;
  const DType dtype = plan.tensor(layer.inputs.at(0)).dtype;
  d.input_dtype = d.filter_dtype = d.output_dtype = dtype;
  d.layout = p.get_int(conv::kLayout, 0) == 1 ? gpu::TensorLayout::kNHWC : gpu::TensorLayout::kNCHW;
  d.input_shape = p.get_ints(conv::kInputShape);
  d.filter_shape = p.get_ints(conv::kFilterShape);
  d.pads_begin = ints_or_empty(p, conv::kPadsBegin);
  d.pads_end = ints_or_empty(p, conv::kPadsEnd);
  d.strides = ints_or_empty(p, conv::kStrides);
  d.dilations = ints_or_empty(p, conv::kDilations);
  d.groups = p.get_int(conv::kGroups, 1);
  d.has_bias = p.get_int(conv::kHasBias, 0) != 0;
  d.has_residual = p.get_int(conv::kHasResidual, 0) != 0;
  const std::int64_t activation = p.get_int(conv::kActivation, conv::kIdentity);
  TRTUTILS_CHECK(activation >= conv::kIdentity && activation <= conv::kGelu, "layer '",
                 layer.name, "': convolution activation ", activation, " is not one of 0..",
                 static_cast<std::int64_t>(conv::kGelu));
  d.activation = static_cast<gpu::Activation>(activation);
  d.allow_tf32 = p.get_int("allow_tf32", 0) != 0;  // runtime::kAllowTf32Param
  if (p.has(conv::kClipCeiling)) d.clip_ceiling = static_cast<float>(p.get_double(conv::kClipCeiling));
  if (p.has(conv::kLeakySlope)) d.leaky_slope = static_cast<float>(p.get_double(conv::kLeakySlope));
  return d;
}

gpu::MatmulDesc matmul_desc_of(const plan::Plan& plan, const plan::LayerDesc& layer) {
  const plan::LayerParams& p = layer.params;
  gpu::MatmulDesc d;
  d.a_dtype = plan.tensor(layer.inputs.at(0)).dtype;
  d.b_dtype = plan.tensor(layer.inputs.at(1)).dtype;
  d.c_dtype = plan.tensor(layer.outputs.at(0)).dtype;
  d.m = p.get_int(mm::kM);
  d.n = p.get_int(mm::kN);
  d.k = p.get_int(mm::kK);
  d.batch = p.get_int(mm::kBatch, 1);
  d.transpose_a = p.get_int(mm::kTransposeA, 0) != 0;
  d.transpose_b = p.get_int(mm::kTransposeB, 0) != 0;
  d.batch_stride_a = p.get_int(mm::kBatchStrideA, -1);
  d.batch_stride_b = p.get_int(mm::kBatchStrideB, -1);
  d.batch_stride_c = p.get_int(mm::kBatchStrideC, -1);
  d.alpha = p.has(mm::kAlpha) ? static_cast<float>(p.get_double(mm::kAlpha)) : 1.0f;
  d.beta = p.has(mm::kBeta) ? static_cast<float>(p.get_double(mm::kBeta)) : 0.0f;
  d.allow_tf32 = p.get_int("allow_tf32", 0) != 0;  // runtime::kAllowTf32Param
  const std::int64_t epilogue = p.get_int(mm::kEpilogue, mm::kNone);
  TRTUTILS_CHECK(epilogue >= mm::kNone && epilogue <= mm::kBiasGelu, "layer '", layer.name,
                 "': matmul epilogue ", epilogue, " is not one of 0..5");
  d.epilogue = static_cast<gpu::MatmulEpilogue>(epilogue);
  return d;
}

void choose_algorithms(plan::Plan& plan, const BuildOptions& options, const std::string& arch,
                       const std::function<void(std::size_t, std::size_t)>& progress) {
  std::size_t total = 0;
  for (const plan::LayerDesc& l : plan.layers) {
    total += l.kernel == lk::kCudnnConvolution || l.kernel == lk::kCublasLtMatmul;
  }
  if (total == 0) return;
  TimingCache cache;
  if (!options.timing_cache.empty()) cache.load(options.timing_cache);
  std::optional<Tuner> tuner;
  std::size_t done = 0;
  std::uint64_t workspace = plan.workspace_bytes;
  for (plan::LayerDesc& layer : plan.layers) {
    const bool is_conv = layer.kernel == lk::kCudnnConvolution;
    if (!is_conv && layer.kernel != lk::kCublasLtMatmul) continue;
    const std::uint64_t key =
        // Graph-engine numbers mean something only to the cuDNN that gave them.
        // A choice made with runtime-compiled engines allowed is not one without.
        is_conv ? TimingCache::key_of(plan, layer, kConvolutionTuned,
                                      arch + "|cudnn " + gpu::cudnn_version() +
                                          (options.cudnn_runtime_fusion ? "|runtime fusion" : ""))
                : TimingCache::key_of(plan, layer, kMatmulTuned, arch);
    if (!options.autotune) {
      // IMPLICIT_GEMM needs no workspace; an empty matmul algorithm asks the
      // runtime for cuBLASLt's first heuristic choice.
      if (is_conv) {
        gpu::ConvolutionAlgorithm implicit_gemm;
        implicit_gemm.algorithm = 0;
        store(layer.params, implicit_gemm);
      }
      else {
        layer.params.set(mm::kAlgorithm, std::vector<std::byte>{});
        layer.params.set(mm::kWorkspaceBytes, std::int64_t{0});
      }
    } else if (auto cached = cache.find(key);
               cached && is_conv && cached->size() >= kEncodedConvolution &&
               (cached->size() - kEncodedConvolution) % 2 == 0) {
      store(layer.params, decode_convolution(*cached));
    } else if (cached && !is_conv && cached->size() == 9) {
      gpu::MatmulAlgorithm a;
      for (std::size_t i = 0; i < 8; ++i) a.data[i] = static_cast<std::uint64_t>((*cached)[i]);
      a.workspace_bytes = static_cast<std::uint64_t>((*cached)[8]);
      store(layer.params, a);
    } else {
      if (!tuner) tuner.emplace(options);
      if (is_conv) {
        const gpu::ConvolutionAlgorithm a = tuner->time(plan, layer);
        store(layer.params, a);
        cache.insert(key, encode(a));
      } else {
        const gpu::MatmulAlgorithm a = tuner->time_matmul(plan, layer);
        store(layer.params, a);
        cache.insert(key, encode(a));
      }
    }
    workspace = std::max<std::uint64_t>(
        workspace, static_cast<std::uint64_t>(layer.params.get_int(
                       is_conv ? conv::kWorkspaceBytes : mm::kWorkspaceBytes)));
    if (progress) progress(++done, total);
  }
  plan.workspace_bytes = workspace;
  if (options.autotune && !options.timing_cache.empty()) cache.save(options.timing_cache);
}

}  // namespace trtutils::builder
