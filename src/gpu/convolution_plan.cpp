#include "trtutils/gpu/convolution_plan.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <iostream>
#include <utility>

#include "gpu/library_types.hpp"
#include "trtutils/gpu/cudnn_descriptors.hpp"
#include "trtutils/core/event.hpp"
#include "trtutils/gpu/epilogue_kernel.hpp"

namespace trtutils::gpu {

namespace {

std::vector<int> to_int(const std::vector<std::int64_t>& values) {
  std::vector<int> out;
  out.reserve(values.size());
  for (const std::int64_t v : values) {
    TRTUTILS_CHECK(v >= INT_MIN && v <= INT_MAX, "Convolution: ", v, " exceeds cuDNN's int range");
    out.push_back(static_cast<int>(v));
  }
  return out;
}

/// cuDNN needs at least 2 spatial axes: a 1-D convolution becomes 2-D with a
/// leading spatial axis of size 1 (and pad 0, stride 1, dilation 1 on it).
std::vector<std::int64_t> lift_1d(const std::vector<std::int64_t>& shape) {
  if (shape.size() != 3) return shape;
  return {shape[0], shape[1], 1, shape[2]};
}

std::vector<std::int64_t> spatial_or(const std::vector<std::int64_t>& values, std::int64_t rank,
                                     std::int64_t fallback) {
  std::vector<std::int64_t> out =
      values.empty() ? std::vector<std::int64_t>(static_cast<std::size_t>(rank), fallback) : values;
  // The lifted axis of a 1-D convolution: pad 0, stride 1, dilation 1 = the fallback.
  if (rank == 1) out.insert(out.begin(), fallback);
  return out;
}

/// Strides (elements) of a packed tensor with logical dims N, C, spatial...
std::vector<std::int64_t> packed_strides(const std::vector<std::int64_t>& dims,
                                         TensorLayout layout) {
  const std::size_t rank = dims.size();
  std::vector<std::int64_t> strides(rank, 1);
  if (layout == TensorLayout::kNCHW) {
    for (std::size_t i = rank - 1; i-- > 0;) strides[i] = strides[i + 1] * dims[i + 1];
    return strides;
  }
  // Channels last: C is innermost, then the spatial axes from last to first, then N.
  strides[1] = 1;
  std::int64_t stride = dims[1];
  for (std::size_t i = rank - 1; i >= 2; --i) {
    strides[i] = stride;
    stride *= dims[i];
  }
  strides[0] = stride;
  return strides;
}

cudnnMathType_t math_type_for(const ConvolutionDesc& desc) {
  if (desc.input_dtype != DType::kFloat32) return CUDNN_TENSOR_OP_MATH;
  // CUDNN_DEFAULT_MATH permits TF32 on Ampere and later; FMA_MATH forbids it.
  return desc.allow_tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
}

bool needs_epilogue_kernel(const ConvolutionDesc& desc) {
  return desc.has_bias || desc.has_residual || desc.activation != Activation::kIdentity;
}

}  // namespace

struct ConvolutionPlan::Impl {
  ConvolutionDesc desc;
  std::vector<std::int64_t> output_shape;
  TensorDescriptor x_desc;
  FilterDescriptor w_desc;
  TensorDescriptor y_desc;
  TensorDescriptor bias_desc;
  ConvolutionDescriptor conv_desc;
  ActivationDescriptor relu_desc;
  std::optional<ConvolutionAlgorithm> algorithm;
  std::optional<EpilogueKernel> epilogue;
  std::int64_t output_channels = 0;
  std::int64_t output_inner = 1;  // elements between channel steps (NCHW: spatial size)
  std::int64_t output_count = 0;
};

ConvolutionPlan::ConvolutionPlan(ConvolutionDesc desc) : impl_(std::make_unique<Impl>()) {
  const ConvolutionSupport support = cudnn_support(desc);  // validates
  if (!support.runnable) throw UnsupportedError("Convolution: " + support.reason);
  Impl& p = *impl_;
  p.output_shape = convolution_output_shape(desc);
  const std::int64_t rank = desc.spatial_rank();
  const cudnnDataType_t type = detail::to_cudnn_data_type(desc.input_dtype);

  const auto x_dims = lift_1d(desc.input_shape);
  const auto y_dims = lift_1d(p.output_shape);
  set_tensor(p.x_desc, type, to_int(x_dims), to_int(packed_strides(x_dims, desc.layout)));
  set_tensor(p.y_desc, type, to_int(y_dims), to_int(packed_strides(y_dims, desc.layout)));
  set_filter(p.w_desc, type,
             desc.layout == TensorLayout::kNCHW ? CUDNN_TENSOR_NCHW : CUDNN_TENSOR_NHWC,
             to_int(lift_1d(desc.filter_shape)));
  std::vector<std::int64_t> bias_dims(y_dims.size(), 1);
  bias_dims[1] = y_dims[1];
  set_tensor(p.bias_desc, type, to_int(bias_dims),
             to_int(packed_strides(bias_dims, TensorLayout::kNCHW)));

  set_convolution(p.conv_desc, to_int(spatial_or(desc.pads_begin, rank, 0)),
                  to_int(spatial_or(desc.strides, rank, 1)),
                  to_int(spatial_or(desc.dilations, rank, 1)), static_cast<int>(desc.groups),
                  CUDNN_DATA_FLOAT, math_type_for(desc));
  set_activation(p.relu_desc, CUDNN_ACTIVATION_RELU);

  p.output_channels = p.output_shape[1];
  p.output_count = output_element_count(desc);
  if (desc.layout == TensorLayout::kNCHW)
    p.output_inner = p.output_count / (p.output_shape[0] * p.output_channels);
  p.desc = std::move(desc);
}

ConvolutionPlan::~ConvolutionPlan() = default;
ConvolutionPlan::ConvolutionPlan(ConvolutionPlan&&) noexcept = default;
ConvolutionPlan& ConvolutionPlan::operator=(ConvolutionPlan&&) noexcept = default;

const ConvolutionDesc& ConvolutionPlan::desc() const noexcept { return impl_->desc; }
const std::vector<std::int64_t>& ConvolutionPlan::output_shape() const noexcept {
  return impl_->output_shape;
}
bool ConvolutionPlan::can_fuse_epilogue() const noexcept {
  return impl_->desc.has_bias && impl_->desc.activation == Activation::kRelu;
}
const std::optional<ConvolutionAlgorithm>& ConvolutionPlan::algorithm() const noexcept {
  return impl_->algorithm;
}
std::size_t ConvolutionPlan::workspace_bytes() const noexcept {
  return impl_->algorithm ? impl_->algorithm->workspace_bytes : 0;
}

std::vector<ConvolutionAlgorithmTiming> ConvolutionPlan::find_algorithms(
    CudnnHandle& handle, core::StreamView stream, const ConvolutionBuffers& buffers,
    void* workspace, std::size_t workspace_bytes) const {
  const Impl& p = *impl_;
  TRTUTILS_CHECK(buffers.x != nullptr && buffers.w != nullptr && buffers.y != nullptr,
                 "ConvolutionPlan::find_algorithms: x, w and y must be device buffers");
  TRTUTILS_CHECK(workspace != nullptr || workspace_bytes == 0,
                 "ConvolutionPlan::find_algorithms: workspace is null but workspace_bytes is ",
                 workspace_bytes);
  handle.set_stream(stream);
  int max_count = 0;
  TRTUTILS_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(handle.handle(), &max_count));
  std::vector<cudnnConvolutionFwdAlgoPerf_t> results(static_cast<std::size_t>(max_count));
  int returned = 0;
  TRTUTILS_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(
      handle.handle(), p.x_desc.get(), buffers.x, p.w_desc.get(), buffers.w, p.conv_desc.get(),
      p.y_desc.get(), buffers.y, max_count, &returned, results.data(), workspace, workspace_bytes));
  const bool strict_f32 = p.desc.input_dtype == DType::kFloat32 && !p.desc.allow_tf32;
  std::vector<ConvolutionAlgorithmTiming> ranked;
  for (int i = 0; i < returned; ++i) {
    const cudnnConvolutionFwdAlgoPerf_t& r = results[static_cast<std::size_t>(i)];
    if (r.status != CUDNN_STATUS_SUCCESS || r.memory > workspace_bytes) continue;
    if (strict_f32 && r.mathType != CUDNN_FMA_MATH && r.mathType != CUDNN_DEFAULT_MATH) continue;
    ConvolutionAlgorithmTiming timing;
    timing.algorithm.algorithm = static_cast<std::int32_t>(r.algo);
    // Strict f32 runs with FMA math whatever cuDNN reports, so that TF32 stays off.
    timing.algorithm.math_type =
        static_cast<std::int32_t>(strict_f32 ? CUDNN_FMA_MATH : r.mathType);
    timing.algorithm.workspace_bytes = r.memory;
    timing.time_ms = r.time;
    timing.deterministic = r.determinism == CUDNN_DETERMINISTIC;
    ranked.push_back(timing);
  }
  return ranked;  // cuDNN returns them fastest first
}

namespace {

/// Candidates (by cuDNN's own timing of the bare convolution) whose whole
/// path is timed again; cuDNN's ranking ignores the epilogue, so a few
/// runners-up get a chance.
constexpr std::size_t kTimedCandidates = 6;
constexpr int kTimedRuns = 5;

bool unsupported(const CudaError& error) {
  return error.error_name() == "CUDNN_STATUS_NOT_SUPPORTED" ||
         error.error_name() == "CUDNN_STATUS_BAD_PARAM";
}

}  // namespace

std::optional<float> ConvolutionPlan::time_path(CudnnHandle& handle, core::StreamView stream,
                                                const ConvolutionBuffers& buffers,
                                                void* workspace, std::size_t workspace_bytes,
                                                const ConvolutionAlgorithm& algorithm) {
  try {
    set_algorithm(algorithm);
    execute(handle, stream, buffers, workspace, workspace_bytes);  // warm-up, and does it run?
    core::Event start;
    core::Event end;
    start.record(stream);
    for (int i = 0; i < kTimedRuns; ++i) execute(handle, stream, buffers, workspace, workspace_bytes);
    end.record(stream);
    end.synchronize();
    return core::elapsed_ms(start, end) / kTimedRuns;
  } catch (const CudaError& error) {
    if (!unsupported(error)) throw;
    return std::nullopt;
  }
}

ConvolutionAlgorithm ConvolutionPlan::autotune(CudnnHandle& handle, core::StreamView stream,
                                               const ConvolutionBuffers& buffers, void* workspace,
                                               std::size_t workspace_bytes) {
  const auto ranked = find_algorithms(handle, stream, buffers, workspace, workspace_bytes);
  TRTUTILS_CHECK(!ranked.empty(), "ConvolutionPlan::autotune: no cuDNN algorithm runs this ",
                 "convolution within a workspace of ", workspace_bytes,
                 " bytes; allow a larger workspace");
  // cuDNN timed the bare convolution. What runs is the convolution plus its
  // epilogue: either fused into cudnnConvolutionBiasActivationForward (which
  // takes fewer algorithms, and some only through slow fallbacks) or the
  // convolution followed by the epilogue kernel. Time both for the best few.
  std::optional<ConvolutionAlgorithm> best;
  float best_ms = 0.0f;
  // TRTUTILS_AUTOTUNE_LOG=1: every candidate and its times on stderr, to see
  // why an algorithm was chosen.
  static const bool log = std::getenv("TRTUTILS_AUTOTUNE_LOG") != nullptr;
  if (log) {
    std::cerr << "conv autotune: " << to_string(impl_->desc.layout) << " "
              << dtype_name(impl_->desc.input_dtype) << " x";
    for (const std::int64_t d : impl_->desc.input_shape) std::cerr << " " << d;
    std::cerr << " w";
    for (const std::int64_t d : impl_->desc.filter_shape) std::cerr << " " << d;
    std::cerr << (impl_->desc.has_residual ? " +z" : "") << " act "
              << to_string(impl_->desc.activation) << "; cuDNN found " << ranked.size() << ":";
    for (const ConvolutionAlgorithmTiming& r : ranked) {
      std::cerr << " algo" << r.algorithm.algorithm << "/math" << r.algorithm.math_type << "="
                << r.time_ms << "ms";
    }
    std::cerr << "\n";
  }
  const std::size_t count = std::min(ranked.size(), kTimedCandidates);
  for (std::size_t i = 0; i < count; ++i) {
    for (const bool fused : {false, true}) {
      if (fused && !can_fuse_epilogue()) continue;
      ConvolutionAlgorithm candidate = ranked[i].algorithm;
      candidate.fused_epilogue = fused;
      const std::optional<float> ms =
          time_path(handle, stream, buffers, workspace, workspace_bytes, candidate);
      if (log) {
        std::cerr << "  algo" << candidate.algorithm << (fused ? " fused" : " unfused") << ": "
                  << (ms ? std::to_string(*ms) + " ms" : std::string("refused")) << "\n";
      }
      if (ms && (!best || *ms < best_ms)) {
        best = candidate;
        best_ms = *ms;
      }
    }
  }
  if (!best) {  // none of the timed ones ran whole: cuDNN's first, unfused
    best = ranked.front().algorithm;
    best->fused_epilogue = false;
  }
  set_algorithm(*best);
  return *best;
}

void ConvolutionPlan::set_algorithm(const ConvolutionAlgorithm& algorithm) {
  Impl& p = *impl_;
  TRTUTILS_CHECK(algorithm.algorithm >= 0 && algorithm.algorithm < CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                 "ConvolutionPlan::set_algorithm: algorithm ", algorithm.algorithm,
                 " is not a cuDNN forward algorithm (0 to ",
                 static_cast<int>(CUDNN_CONVOLUTION_FWD_ALGO_COUNT) - 1, ")");
  TRTUTILS_CHECK(algorithm.math_type >= CUDNN_DEFAULT_MATH && algorithm.math_type <= CUDNN_FMA_MATH,
                 "ConvolutionPlan::set_algorithm: math type ", algorithm.math_type,
                 " is not a cudnnMathType_t");
  TRTUTILS_CHECK(!algorithm.fused_epilogue || can_fuse_epilogue(),
                 "ConvolutionPlan::set_algorithm: a fused epilogue needs a bias and ReLU "
                 "(this convolution has bias=",
                 p.desc.has_bias, ", activation=", to_string(p.desc.activation), ")");
  TRTUTILS_CUDNN_CHECK(cudnnSetConvolutionMathType(
      p.conv_desc.get(), static_cast<cudnnMathType_t>(algorithm.math_type)));
  if (!algorithm.fused_epilogue && needs_epilogue_kernel(p.desc) && !p.epilogue) {
    p.epilogue.emplace(p.desc.output_dtype);
  }
  p.algorithm = algorithm;
}

void ConvolutionPlan::execute(CudnnHandle& handle, core::StreamView stream,
                              const ConvolutionBuffers& buffers, void* workspace,
                              std::size_t workspace_bytes) const {
  const Impl& p = *impl_;
  TRTUTILS_CHECK(p.algorithm.has_value(),
                 "ConvolutionPlan::execute: no algorithm set; call autotune or set_algorithm");
  const ConvolutionAlgorithm& chosen = *p.algorithm;
  TRTUTILS_CHECK(buffers.x != nullptr && buffers.w != nullptr && buffers.y != nullptr,
                 "ConvolutionPlan::execute: x, w and y must be device buffers");
  TRTUTILS_CHECK(!p.desc.has_bias || buffers.bias != nullptr,
                 "ConvolutionPlan::execute: the convolution has a bias but bias is null");
  TRTUTILS_CHECK(!p.desc.has_residual || buffers.z != nullptr,
                 "ConvolutionPlan::execute: the convolution has a residual but z is null");
  TRTUTILS_CHECK(workspace_bytes >= chosen.workspace_bytes,
                 "ConvolutionPlan::execute: workspace of ", workspace_bytes,
                 " bytes is smaller than the ", chosen.workspace_bytes, " bytes algorithm ",
                 chosen.algorithm, " needs");
  TRTUTILS_CHECK(workspace != nullptr || chosen.workspace_bytes == 0,
                 "ConvolutionPlan::execute: workspace is null; algorithm ", chosen.algorithm,
                 " needs ", chosen.workspace_bytes, " bytes");
  handle.set_stream(stream);
  const auto algo = static_cast<cudnnConvolutionFwdAlgo_t>(chosen.algorithm);
  const float one = 1.0f;
  const float zero = 0.0f;
  if (chosen.fused_epilogue) {
    // y = relu(conv(x, w) + alpha2 * z + bias); without a residual, alpha2 = 0
    // and z aliases y (allowed by cuDNN).
    const float alpha2 = p.desc.has_residual ? 1.0f : 0.0f;
    const void* z = p.desc.has_residual ? buffers.z : buffers.y;
    TRTUTILS_CUDNN_CHECK(cudnnConvolutionBiasActivationForward(
        handle.handle(), &one, p.x_desc.get(), buffers.x, p.w_desc.get(), buffers.w,
        p.conv_desc.get(), algo, workspace, workspace_bytes, &alpha2, p.y_desc.get(), z,
        p.bias_desc.get(), buffers.bias, p.relu_desc.get(), p.y_desc.get(), buffers.y));
    return;
  }
  TRTUTILS_CUDNN_CHECK(cudnnConvolutionForward(
      handle.handle(), &one, p.x_desc.get(), buffers.x, p.w_desc.get(), buffers.w,
      p.conv_desc.get(), algo, workspace, workspace_bytes, &zero, p.y_desc.get(), buffers.y));
  if (!p.epilogue) return;
  p.epilogue->launch(stream, buffers.y, p.desc.has_bias ? buffers.bias : nullptr,
                     p.desc.has_residual ? buffers.z : nullptr, p.output_count, p.output_channels,
                     p.output_inner, p.desc.activation, p.desc.clip_ceiling);
}

}  // namespace trtutils::gpu
