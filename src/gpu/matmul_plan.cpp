#include "trtutils/gpu/matmul_plan.hpp"

#include "gpu/graph_friendly_choice.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "gpu/library_types.hpp"
#include "trtutils/core/event.hpp"
#include "trtutils/gpu/cublaslt_descriptors.hpp"

namespace trtutils::gpu {

namespace {

cublasLtEpilogue_t to_cublaslt(MatmulEpilogue epilogue) {
  switch (epilogue) {
    case MatmulEpilogue::kNone:
      return CUBLASLT_EPILOGUE_DEFAULT;
    case MatmulEpilogue::kBias:
      return CUBLASLT_EPILOGUE_BIAS;
    case MatmulEpilogue::kRelu:
      return CUBLASLT_EPILOGUE_RELU;
    case MatmulEpilogue::kGelu:
      return CUBLASLT_EPILOGUE_GELU;
    case MatmulEpilogue::kBiasRelu:
      return CUBLASLT_EPILOGUE_RELU_BIAS;
    case MatmulEpilogue::kBiasGelu:
      return CUBLASLT_EPILOGUE_GELU_BIAS;
  }
  return CUBLASLT_EPILOGUE_DEFAULT;
}

/// A column-major rows x cols layout of `batch` matrices `stride` elements apart.
MatrixLayout batched_layout(cudaDataType_t type, std::int64_t rows, std::int64_t cols,
                            std::int64_t ld, std::int64_t batch, std::int64_t stride) {
  MatrixLayout layout = make_matrix_layout(type, static_cast<std::uint64_t>(rows),
                                           static_cast<std::uint64_t>(cols), ld);
  if (batch > 1) {
    const auto count = static_cast<std::int32_t>(batch);
    layout.set_attribute(CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, count);
    layout.set_attribute(CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, stride);
  }
  return layout;
}

cublasLtMatmulAlgo_t to_cublaslt(const MatmulAlgorithm& algorithm) {
  cublasLtMatmulAlgo_t algo;
  static_assert(sizeof(algo.data) == sizeof(algorithm.data));
  std::memcpy(algo.data, algorithm.data.data(), sizeof(algo.data));
  return algo;
}

}  // namespace

struct MatmulPlan::Impl {
  MatmulDesc desc;
  MatmulDescriptor operation;
  // cuBLASLt's operands: "A" = our B, "B" = our A (see the header).
  MatrixLayout lt_a;
  MatrixLayout lt_b;
  MatrixLayout lt_c;
  std::optional<MatmulAlgorithm> algorithm;
  const void* bias_in_descriptor = nullptr;
};

MatmulPlan::MatmulPlan(MatmulDesc desc) : impl_(std::make_unique<Impl>()) {
  validate(desc);
  Impl& p = *impl_;
  const cudaDataType_t type = detail::to_cuda_data_type(desc.a_dtype);
  const cublasComputeType_t compute =
      desc.allow_tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  p.operation = make_matmul_descriptor(compute, CUDA_R_32F);
  // cuBLASLt "A" (N x K after op) is our B: stored row-major K x N = column-major N x K
  // (no op), or row-major N x K = column-major K x N (transposed).
  const cublasOperation_t op_a = desc.transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = desc.transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  p.operation.set_attribute(CUBLASLT_MATMUL_DESC_TRANSA, op_a);
  p.operation.set_attribute(CUBLASLT_MATMUL_DESC_TRANSB, op_b);
  p.operation.set_attribute(CUBLASLT_MATMUL_DESC_EPILOGUE, to_cublaslt(desc.epilogue));
  if (has_bias(desc.epilogue)) {
    const auto bias_type = static_cast<std::int32_t>(type);
    p.operation.set_attribute(CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, bias_type);
  }
  p.lt_a =
      desc.transpose_b
          ? batched_layout(type, desc.k, desc.n, desc.k, desc.batch, resolved_batch_stride_b(desc))
          : batched_layout(type, desc.n, desc.k, desc.n, desc.batch, resolved_batch_stride_b(desc));
  p.lt_b =
      desc.transpose_a
          ? batched_layout(type, desc.m, desc.k, desc.m, desc.batch, resolved_batch_stride_a(desc))
          : batched_layout(type, desc.k, desc.m, desc.k, desc.batch, resolved_batch_stride_a(desc));
  p.lt_c = batched_layout(type, desc.n, desc.m, desc.n, desc.batch, resolved_batch_stride_c(desc));
  p.desc = desc;
}

MatmulPlan::~MatmulPlan() = default;
MatmulPlan::MatmulPlan(MatmulPlan&&) noexcept = default;
MatmulPlan& MatmulPlan::operator=(MatmulPlan&&) noexcept = default;

const MatmulDesc& MatmulPlan::desc() const noexcept { return impl_->desc; }
const std::optional<MatmulAlgorithm>& MatmulPlan::algorithm() const noexcept {
  return impl_->algorithm;
}
std::size_t MatmulPlan::workspace_bytes() const noexcept {
  return impl_->algorithm ? impl_->algorithm->workspace_bytes : 0;
}
void MatmulPlan::set_algorithm(const MatmulAlgorithm& algorithm) { impl_->algorithm = algorithm; }

std::vector<MatmulAlgorithmTiming> MatmulPlan::find_algorithms(
    CublasLtHandle& handle, core::StreamView stream, const MatmulBuffers& buffers, void* workspace,
    std::size_t workspace_bytes, int max_candidates, int repeats) {
  TRTUTILS_CHECK(max_candidates > 0 && repeats > 0,
                 "MatmulPlan::find_algorithms: max_candidates and repeats must be positive");
  Impl& p = *impl_;
  // The heuristic looks at the bias pointer's alignment, so set it first.
  if (has_bias(p.desc.epilogue) && buffers.bias != nullptr) {
    p.operation.set_attribute(CUBLASLT_MATMUL_DESC_BIAS_POINTER, buffers.bias);
    p.bias_in_descriptor = buffers.bias;
  }
  MatmulPreference preference = make_matmul_preference(workspace_bytes);
  std::vector<cublasLtMatmulHeuristicResult_t> results(static_cast<std::size_t>(max_candidates));
  int returned = 0;
  TRTUTILS_CUBLAS_CHECK(cublasLtMatmulAlgoGetHeuristic(
      handle.handle(), p.operation.get(), p.lt_a.get(), p.lt_b.get(), p.lt_c.get(), p.lt_c.get(),
      preference.get(), max_candidates, results.data(), &returned));
  std::vector<MatmulAlgorithmTiming> ranked;
  core::Event start;
  core::Event stop;
  const std::optional<MatmulAlgorithm> previous = p.algorithm;
  for (int i = 0; i < returned; ++i) {
    const cublasLtMatmulHeuristicResult_t& r = results[static_cast<std::size_t>(i)];
    if (r.state != CUBLAS_STATUS_SUCCESS || r.workspaceSize > workspace_bytes) continue;
    MatmulAlgorithmTiming timing;
    std::memcpy(timing.algorithm.data.data(), r.algo.data, sizeof(r.algo.data));
    timing.algorithm.workspace_bytes = r.workspaceSize;
    p.algorithm = timing.algorithm;
    try {
      execute(handle, stream, buffers, workspace, workspace_bytes);  // warm-up
      start.record(stream);
      for (int run = 0; run < repeats; ++run) {
        execute(handle, stream, buffers, workspace, workspace_bytes);
      }
      stop.record(stream);
      stop.synchronize();
    } catch (const CudaError&) {
      stream.synchronize();
      continue;  // a candidate that does not run is no candidate
    }
    timing.time_ms = core::elapsed_ms(start, stop) / static_cast<float>(repeats);
    ranked.push_back(timing);
  }
  p.algorithm = previous;
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& x, const auto& y) { return x.time_ms < y.time_ms; });
  return ranked;
}

MatmulAlgorithm MatmulPlan::autotune(CublasLtHandle& handle, core::StreamView stream,
                                     const MatmulBuffers& buffers, void* workspace,
                                     std::size_t workspace_bytes) {
  const auto ranked = find_algorithms(handle, stream, buffers, workspace, workspace_bytes);
  TRTUTILS_CHECK(!ranked.empty(), "MatmulPlan::autotune: cuBLASLt offers no algorithm for this ",
                 "matmul (m=", impl_->desc.m, ", n=", impl_->desc.n, ", k=", impl_->desc.k,
                 ", epilogue ", to_string(impl_->desc.epilogue), ") within ", workspace_bytes,
                 " bytes of workspace");
  // The fastest that records only kernel nodes, if it is close enough (see
  // graph_friendly_choice.hpp); else the fastest.
  MatmulAlgorithm chosen = ranked.front().algorithm;
  for (const MatmulAlgorithmTiming& candidate : ranked) {
    if (candidate.time_ms > ranked.front().time_ms * detail::kKernelsOnlyTolerance) break;
    set_algorithm(candidate.algorithm);
    if (detail::records_kernels_only(stream, [&](core::StreamView s) {
          execute(handle, s, buffers, workspace, workspace_bytes);
        })) {
      chosen = candidate.algorithm;
      break;
    }
  }
  set_algorithm(chosen);
  return chosen;
}

void MatmulPlan::execute(CublasLtHandle& handle, core::StreamView stream,
                         const MatmulBuffers& buffers, void* workspace,
                         std::size_t workspace_bytes) {
  Impl& p = *impl_;
  TRTUTILS_CHECK(p.algorithm.has_value(),
                 "MatmulPlan::execute: no algorithm set; call autotune or set_algorithm");
  TRTUTILS_CHECK(buffers.a != nullptr && buffers.b != nullptr && buffers.d != nullptr,
                 "MatmulPlan::execute: a, b and d must be device buffers");
  TRTUTILS_CHECK(p.desc.beta == 0.0f || buffers.c != nullptr, "MatmulPlan::execute: beta is ",
                 p.desc.beta, " but c is null");
  TRTUTILS_CHECK(!has_bias(p.desc.epilogue) || buffers.bias != nullptr,
                 "MatmulPlan::execute: epilogue ", to_string(p.desc.epilogue),
                 " needs a bias but bias is null");
  TRTUTILS_CHECK(workspace_bytes >= p.algorithm->workspace_bytes,
                 "MatmulPlan::execute: workspace of ", workspace_bytes,
                 " bytes is smaller than the ", p.algorithm->workspace_bytes,
                 " bytes the algorithm needs");
  TRTUTILS_CHECK(workspace != nullptr || p.algorithm->workspace_bytes == 0,
                 "MatmulPlan::execute: workspace is null; the algorithm needs ",
                 p.algorithm->workspace_bytes, " bytes");
  if (has_bias(p.desc.epilogue) && buffers.bias != p.bias_in_descriptor) {
    p.operation.set_attribute(CUBLASLT_MATMUL_DESC_BIAS_POINTER, buffers.bias);
    p.bias_in_descriptor = buffers.bias;
  }
  const cublasLtMatmulAlgo_t algo = to_cublaslt(*p.algorithm);
  const void* c = p.desc.beta == 0.0f ? buffers.d : buffers.c;
  TRTUTILS_CUBLAS_CHECK(cublasLtMatmul(handle.handle(), p.operation.get(), &p.desc.alpha, buffers.b,
                                       p.lt_a.get(), buffers.a, p.lt_b.get(), &p.desc.beta, c,
                                       p.lt_c.get(), buffers.d, p.lt_c.get(), &algo, workspace,
                                       p.algorithm->workspace_bytes, stream.handle()));
}

}  // namespace trtutils::gpu
