#include "trtutils/gpu/convolution_plan.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>
#include <utility>

#include "gpu/convolution_geometry.hpp"
#include "gpu/convolution_graph.hpp"
#include "gpu/graph_friendly_choice.hpp"
#include "gpu/library_types.hpp"
#include "trtutils/gpu/cudnn_descriptors.hpp"
#include "trtutils/core/event.hpp"
#include "trtutils/gpu/epilogue_kernel.hpp"

namespace trtutils::gpu {

using detail::lift_1d;
using detail::packed_strides;
using detail::spatial_or;

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
  /// A graph-API algorithm run without a caller's execution (tests,
  /// autotune): made on first use for the handle it was used with.
  mutable std::unique_ptr<ConvolutionExecution> own_execution;
  mutable cudnnHandle_t own_execution_handle = nullptr;
};

struct ConvolutionExecution::Impl {
  detail::GraphExecution execution;
  std::vector<void*> pointers;  // reused: the warm path allocates nothing
};

ConvolutionExecution::ConvolutionExecution(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConvolutionExecution::~ConvolutionExecution() = default;


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
bool ConvolutionPlan::can_fuse_graph_epilogue() const noexcept {
  return detail::has_graph_epilogue(impl_->desc);
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

// The graph API refuses with a family of statuses (CUDNN_STATUS_NOT_SUPPORTED_
// GRAPH_PATTERN, _SHAPE, ...); BAD_PARAM is how legacy calls refuse some pairs.
bool unsupported(const CudaError& error) {
  return error.error_name().starts_with("CUDNN_STATUS_NOT_SUPPORTED") ||
         error.error_name().starts_with("CUDNN_STATUS_BAD_PARAM");
}

/// Graph-API engines timed per graph (bare and fused).
constexpr std::size_t kGraphCandidates = 8;

std::string algorithm_name(const ConvolutionAlgorithm& a) {
  if (a.uses_graph_api()) return detail::describe_engine(a.engine, a.knobs);
  return "algo" + std::to_string(a.algorithm) + "/math" + std::to_string(a.math_type);
}

}  // namespace

std::string describe_graph_engine(const ConvolutionAlgorithm& algorithm) {
  return "cuDNN graph " + detail::describe_engine(algorithm.engine, algorithm.knobs);
}

struct ConvolutionPlanCache::Impl {
  std::map<std::string, std::shared_ptr<const detail::PreparedGraph>> plans;
};

ConvolutionPlanCache::ConvolutionPlanCache() : impl_(std::make_unique<Impl>()) {}
ConvolutionPlanCache::~ConvolutionPlanCache() = default;
std::size_t ConvolutionPlanCache::size() const noexcept { return impl_->plans.size(); }

namespace {

/// Everything that decides a graph-API execution plan, as text.
std::string plan_key(const ConvolutionDesc& d, const ConvolutionAlgorithm& a) {
  std::ostringstream key;
  const auto list = [&key](const std::vector<std::int64_t>& values) {
    for (const std::int64_t v : values) key << v << ",";
    key << "|";
  };
  key << dtype_name(d.input_dtype) << "|" << to_string(d.layout) << "|";
  for (const auto* values : {&d.input_shape, &d.filter_shape, &d.pads_begin, &d.pads_end,
                             &d.strides, &d.dilations, &a.knobs}) {
    list(*values);
  }
  key << d.groups << "|" << d.has_bias << d.has_residual << "|" << to_string(d.activation) << "|"
      << d.allow_tf32 << "|" << a.engine << "|" << a.fused_epilogue;
  return key.str();
}

}  // namespace

std::unique_ptr<ConvolutionExecution> ConvolutionPlan::wrap_execution(
    std::shared_ptr<const detail::PreparedGraph> prepared) {
  auto impl = std::make_unique<ConvolutionExecution::Impl>(
      ConvolutionExecution::Impl{detail::GraphExecution(std::move(prepared)), {}});
  impl->pointers.reserve(5);
  return std::unique_ptr<ConvolutionExecution>(new ConvolutionExecution(std::move(impl)));
}

std::unique_ptr<ConvolutionExecution> ConvolutionPlan::make_execution(
    std::shared_ptr<const detail::ConvolutionGraph> graph, const ConvolutionAlgorithm& algorithm,
    CudnnHandle& handle) {
  detail::GraphPlan plan = graph->make_plan(algorithm.engine, algorithm.knobs, handle.handle());
  return wrap_execution(
      std::make_shared<const detail::PreparedGraph>(std::move(graph), std::move(plan)));
}

std::uint64_t ConvolutionPlan::execution_workspace(const ConvolutionExecution& execution) {
  return execution.impl_->execution.workspace_bytes();
}

std::optional<float> ConvolutionPlan::time_path(CudnnHandle& handle, core::StreamView stream,
                                                const ConvolutionBuffers& buffers,
                                                void* workspace, std::size_t workspace_bytes,
                                                const ConvolutionAlgorithm& algorithm,
                                                ConvolutionExecution* execution) {
  try {
    set_algorithm(algorithm);
    // warm-up, and does it run?
    execute(handle, stream, buffers, workspace, workspace_bytes, execution);
    core::Event start;
    core::Event end;
    start.record(stream);
    for (int i = 0; i < kTimedRuns; ++i) {
      execute(handle, stream, buffers, workspace, workspace_bytes, execution);
    }
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
                                               std::size_t workspace_bytes,
                                               bool allow_runtime_compiled) {
  const auto ranked = find_algorithms(handle, stream, buffers, workspace, workspace_bytes);
  // cuDNN timed the bare convolution. What runs is the convolution plus its
  // epilogue: either fused into cudnnConvolutionBiasActivationForward (which
  // takes fewer algorithms, and some only through slow fallbacks) or the
  // convolution followed by the epilogue kernel. Time both for the best few,
  // then the graph-API engines, which reach kernels the legacy enum does not.
  std::optional<ConvolutionAlgorithm> best;
  float best_ms = 0.0f;
  std::optional<ConvolutionAlgorithm> best_kernels_only;  // see graph_friendly_choice.hpp
  float best_kernels_only_ms = 0.0f;
  // TRTUTILS_AUTOTUNE_LOG=1: every candidate and its times on stderr, to see
  // why an algorithm was chosen.
  static const bool log = std::getenv("TRTUTILS_AUTOTUNE_LOG") != nullptr;
  if (log) {
    std::cerr << "conv autotune: " << to_string(impl_->desc.layout) << " "
              << dtype_name(impl_->desc.input_dtype) << " x";
    for (const std::int64_t d : impl_->desc.input_shape) std::cerr << " " << d;
    std::cerr << " w";
    for (const std::int64_t d : impl_->desc.filter_shape) std::cerr << " " << d;
    std::cerr << " g" << impl_->desc.groups << (impl_->desc.has_residual ? " +z" : "") << " act "
              << to_string(impl_->desc.activation) << "; cuDNN legacy found " << ranked.size()
              << ":";
    for (const ConvolutionAlgorithmTiming& r : ranked) {
      std::cerr << " " << algorithm_name(r.algorithm) << "=" << r.time_ms << "ms";
    }
    std::cerr << "\n";
  }
  const auto consider = [&](const ConvolutionAlgorithm& candidate, ConvolutionExecution* execution,
                            double plan_ms) {
    const std::optional<float> ms =
        time_path(handle, stream, buffers, workspace, workspace_bytes, candidate, execution);
    const bool kernels_only =
        ms && detail::records_kernels_only(stream, [&](core::StreamView s) {
          execute(handle, s, buffers, workspace, workspace_bytes, execution);
        });
    if (log) {
      std::cerr << "  " << algorithm_name(candidate)
                << (candidate.fused_epilogue ? " fused" : " unfused") << ": "
                << (ms ? std::to_string(*ms) + " ms" : std::string("refused"))
                << (ms && !kernels_only ? " (records non-kernel nodes)" : "");
      if (candidate.uses_graph_api()) {
        std::cerr << " (plan " << plan_ms << " ms, workspace " << candidate.workspace_bytes << ")";
      }
      std::cerr << "\n";
    }
    if (ms && (!best || *ms < best_ms)) {
      best = candidate;
      best_ms = *ms;
    }
    if (ms && kernels_only && (!best_kernels_only || *ms < best_kernels_only_ms)) {
      best_kernels_only = candidate;
      best_kernels_only_ms = *ms;
    }
  };
  const std::size_t count = std::min(ranked.size(), kTimedCandidates);
  for (std::size_t i = 0; i < count; ++i) {
    for (const bool fused : {false, true}) {
      if (fused && !can_fuse_epilogue()) continue;
      ConvolutionAlgorithm candidate = ranked[i].algorithm;
      candidate.fused_epilogue = fused;
      consider(candidate, nullptr, 0.0);
    }
  }
  for (const bool fused : {false, true}) {
    if (fused && !can_fuse_graph_epilogue()) continue;
    std::shared_ptr<const detail::ConvolutionGraph> graph;
    std::vector<detail::GraphEngineCandidate> engines;
    try {
      graph = std::make_shared<const detail::ConvolutionGraph>(impl_->desc, fused, handle.handle());
      engines = graph->candidates(4 * kGraphCandidates);
    } catch (const CudaError& error) {
      if (log) std::cerr << "  graph API (" << (fused ? "fused" : "bare") << "): " << error.what() << "\n";
      continue;
    }
    std::size_t timed = 0;
    for (const detail::GraphEngineCandidate& engine : engines) {
      if (timed >= kGraphCandidates) break;
      if (engine.runtime_compiled && !allow_runtime_compiled) {
        if (log) std::cerr << "  " << detail::describe_engine(engine.engine, engine.knobs)
                           << (fused ? " fused" : " unfused")
                           << ": skipped (compiles at load; runtime fusion is off)\n";
        continue;
      }
      ConvolutionAlgorithm candidate;
      candidate.engine = engine.engine;
      candidate.knobs = engine.knobs;
      candidate.fused_epilogue = fused;
      std::unique_ptr<ConvolutionExecution> execution;
      const auto started = std::chrono::steady_clock::now();
      try {
        execution = make_execution(graph, candidate, handle);
      } catch (const CudaError& error) {
        if (!unsupported(error)) throw;
        if (log) std::cerr << "  " << algorithm_name(candidate) << ": no plan (" << error.error_name() << ")\n";
        continue;
      }
      const double plan_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
              .count();
      candidate.workspace_bytes = execution_workspace(*execution);
      if (candidate.workspace_bytes > workspace_bytes) continue;
      ++timed;
      consider(candidate, execution.get(), plan_ms);
    }
  }
  TRTUTILS_CHECK(best.has_value() || !ranked.empty(),
                 "ConvolutionPlan::autotune: neither a cuDNN algorithm nor a graph engine runs "
                 "this convolution within a workspace of ",
                 workspace_bytes, " bytes; allow a larger workspace");
  if (!best) {  // none of the timed ones ran whole: cuDNN's first, unfused
    best = ranked.front().algorithm;
    best->fused_epilogue = false;
  } else if (best_kernels_only &&
             best_kernels_only_ms <= best_ms * detail::kKernelsOnlyTolerance) {
    best = best_kernels_only;
  }
  if (log) std::cerr << "  chosen: " << algorithm_name(*best) << "\n";
  set_algorithm(*best);
  return *best;
}

void ConvolutionPlan::set_algorithm(const ConvolutionAlgorithm& algorithm) {
  Impl& p = *impl_;
  if (algorithm.uses_graph_api()) {
    TRTUTILS_CHECK(algorithm.knobs.size() % 2 == 0, "ConvolutionPlan::set_algorithm: engine ",
                   algorithm.engine, " has ", algorithm.knobs.size(),
                   " knob integers; they come in (type, value) pairs");
  } else {
    TRTUTILS_CHECK(
        algorithm.algorithm >= 0 && algorithm.algorithm < CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
        "ConvolutionPlan::set_algorithm: algorithm ", algorithm.algorithm,
        " is not a cuDNN forward algorithm (0 to ",
        static_cast<int>(CUDNN_CONVOLUTION_FWD_ALGO_COUNT) - 1, ")");
    TRTUTILS_CHECK(
        algorithm.math_type >= CUDNN_DEFAULT_MATH && algorithm.math_type <= CUDNN_FMA_MATH,
        "ConvolutionPlan::set_algorithm: math type ", algorithm.math_type,
        " is not a cudnnMathType_t");
  }
  TRTUTILS_CHECK(!algorithm.fused_epilogue ||
                     (algorithm.uses_graph_api() ? can_fuse_graph_epilogue() : can_fuse_epilogue()),
                 "ConvolutionPlan::set_algorithm: a fused epilogue needs ",
                 algorithm.uses_graph_api() ? "a bias, a residual or an activation"
                                            : "a bias and ReLU (legacy cuDNN call)",
                 " (this convolution has bias=", p.desc.has_bias, ", residual=",
                 p.desc.has_residual, ", activation=", to_string(p.desc.activation), ")");
  if (!algorithm.uses_graph_api()) {
    TRTUTILS_CUDNN_CHECK(cudnnSetConvolutionMathType(
        p.conv_desc.get(), static_cast<cudnnMathType_t>(algorithm.math_type)));
  }
  if (!algorithm.fused_epilogue && needs_epilogue_kernel(p.desc) && !p.epilogue) {
    p.epilogue.emplace(p.desc.output_dtype);
  }
  p.own_execution.reset();
  p.own_execution_handle = nullptr;
  p.algorithm = algorithm;
}

std::unique_ptr<ConvolutionExecution> ConvolutionPlan::prepare(
    CudnnHandle& handle, ConvolutionPlanCache* cache) const {
  const Impl& p = *impl_;
  TRTUTILS_CHECK(p.algorithm.has_value(),
                 "ConvolutionPlan::prepare: no algorithm set; call autotune or set_algorithm");
  if (!p.algorithm->uses_graph_api()) return nullptr;
  std::string key;
  if (cache != nullptr) {
    key = plan_key(p.desc, *p.algorithm);
    if (const auto found = cache->impl_->plans.find(key); found != cache->impl_->plans.end()) {
      return wrap_execution(found->second);
    }
  }
  auto graph = std::make_shared<const detail::ConvolutionGraph>(p.desc, p.algorithm->fused_epilogue,
                                                                handle.handle());
  try {
    auto execution = make_execution(std::move(graph), *p.algorithm, handle);
    TRTUTILS_CHECK(execution_workspace(*execution) <= p.algorithm->workspace_bytes,
                   "cuDNN ", detail::describe_engine(p.algorithm->engine, p.algorithm->knobs),
                   " now needs ", execution_workspace(*execution),
                   " bytes of workspace but the plan reserved ", p.algorithm->workspace_bytes,
                   "; rebuild the engine with this cuDNN (", cudnn_version(), ")");
    if (cache != nullptr) cache->impl_->plans.emplace(key, execution->impl_->execution.prepared());
    return execution;
  } catch (const CudaError& error) {
    if (!unsupported(error)) throw;
    throw UnsupportedError(trtutils::detail::concat(
        "cuDNN ", cudnn_version(), " cannot build the convolution plan the engine stores (",
        detail::describe_engine(p.algorithm->engine, p.algorithm->knobs), ", ",
        error.error_name(), "): the engine was built with another cuDNN version or GPU; "
        "rebuild it on this machine"));
  }
}

void ConvolutionPlan::execute(CudnnHandle& handle, core::StreamView stream,
                              const ConvolutionBuffers& buffers, void* workspace,
                              std::size_t workspace_bytes, ConvolutionExecution* execution) const {
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
                 " bytes is smaller than the ", chosen.workspace_bytes, " bytes ",
                 algorithm_name(chosen), " needs");
  TRTUTILS_CHECK(workspace != nullptr || chosen.workspace_bytes == 0,
                 "ConvolutionPlan::execute: workspace is null; ", algorithm_name(chosen),
                 " needs ", chosen.workspace_bytes, " bytes");
  handle.set_stream(stream);
  if (chosen.uses_graph_api()) {
    if (execution == nullptr) {
      if (!p.own_execution || p.own_execution_handle != handle.handle()) {
        p.own_execution = prepare(handle);
        p.own_execution_handle = handle.handle();
      }
      execution = p.own_execution.get();
    }
    ConvolutionExecution::Impl& run = *execution->impl_;
    run.pointers.assign({const_cast<void*>(buffers.x), const_cast<void*>(buffers.w), buffers.y});
    if (chosen.fused_epilogue) {
      if (p.desc.has_bias) run.pointers.push_back(const_cast<void*>(buffers.bias));
      if (p.desc.has_residual) run.pointers.push_back(const_cast<void*>(buffers.z));
    }
    run.execution.execute(handle.handle(), run.pointers, workspace);
  } else {
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
  }
  if (chosen.fused_epilogue || !p.epilogue) return;
  p.epilogue->launch(stream, buffers.y, p.desc.has_bias ? buffers.bias : nullptr,
                     p.desc.has_residual ? buffers.z : nullptr, p.output_count, p.output_channels,
                     p.output_inner, p.desc.activation, p.desc.clip_ceiling, p.desc.leaky_slope);
}

}  // namespace trtutils::gpu
