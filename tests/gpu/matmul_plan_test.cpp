// MatmulPlan on the GPU against a double-precision CPU matmul written here:
// odd sizes, transposes, batches (packed and broadcast), alpha/beta with C,
// every epilogue, f32/f16/bf16. Skipped where there is no GPU.
#include "trtutils/gpu/matmul_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "gpu/gpu_tensor_util.hpp"
#include "gpu_test_support.hpp"
#include "trtutils/core/cuda_graph.hpp"
#include "trtutils/core/stream.hpp"

namespace trtutils::gpu {
namespace {

using trtutils::testing::download;
using trtutils::testing::random_values;
using trtutils::testing::relative_l2_error;
using trtutils::testing::round_all;
using trtutils::testing::tolerance_for;
using trtutils::testing::upload;

double gelu_tanh(double v) {
  const double kSqrt2OverPi = 0.7978845608028654;
  return 0.5 * v * (1.0 + std::tanh(kSqrt2OverPi * (v + 0.044715 * v * v * v)));
}

/// Row-major D = epilogue(alpha op(A) op(B) + beta C), per batch.
std::vector<double> reference_matmul(const MatmulDesc& d, const std::vector<double>& a,
                                     const std::vector<double>& b, const std::vector<double>& c,
                                     const std::vector<double>& bias) {
  const std::int64_t sa = resolved_batch_stride_a(d), sb = resolved_batch_stride_b(d),
                     sc = resolved_batch_stride_c(d);
  std::vector<double> out(static_cast<std::size_t>(sc * (d.batch - 1) + d.m * d.n), 0.0);
  for (std::int64_t batch = 0; batch < d.batch; ++batch)
    for (std::int64_t i = 0; i < d.m; ++i)
      for (std::int64_t j = 0; j < d.n; ++j) {
        double sum = 0.0;
        for (std::int64_t l = 0; l < d.k; ++l) {
          const std::int64_t ai = batch * sa + (d.transpose_a ? l * d.m + i : i * d.k + l);
          const std::int64_t bi = batch * sb + (d.transpose_b ? j * d.k + l : l * d.n + j);
          sum += a[static_cast<std::size_t>(ai)] * b[static_cast<std::size_t>(bi)];
        }
        const auto ci = static_cast<std::size_t>(batch * sc + i * d.n + j);
        double v = d.alpha * sum + (d.beta != 0.0f ? d.beta * c[ci] : 0.0);
        if (has_bias(d.epilogue)) v += bias[static_cast<std::size_t>(j)];
        if (d.epilogue == MatmulEpilogue::kRelu || d.epilogue == MatmulEpilogue::kBiasRelu)
          v = std::max(v, 0.0);
        if (d.epilogue == MatmulEpilogue::kGelu || d.epilogue == MatmulEpilogue::kBiasGelu)
          v = gelu_tanh(v);
        out[ci] = v;
      }
  return out;
}

struct MatmulCase {
  std::string name;
  std::int64_t m, n, k, batch = 1;
  bool ta = false, tb = false;
  MatmulEpilogue epilogue = MatmulEpilogue::kNone;
  float alpha = 1.0f, beta = 0.0f;
  std::int64_t stride_b = -1;
};

std::vector<MatmulCase> matmul_cases() {
  return {
      {"1x1x1", 1, 1, 1},
      {"17x33x65", 17, 33, 65},
      {"17x33x65_ta", 17, 33, 65, 1, true, false},
      {"17x33x65_tb", 17, 33, 65, 1, false, true},
      {"17x33x65_ta_tb", 17, 33, 65, 1, true, true},
      {"bias", 17, 33, 65, 1, false, false, MatmulEpilogue::kBias},
      {"relu", 17, 33, 65, 1, false, false, MatmulEpilogue::kRelu},
      {"gelu", 17, 33, 65, 1, false, false, MatmulEpilogue::kGelu},
      {"bias_relu_tb", 32, 48, 40, 1, false, true, MatmulEpilogue::kBiasRelu},
      {"bias_gelu", 32, 48, 40, 1, false, false, MatmulEpilogue::kBiasGelu},
      {"alpha_beta_c", 17, 33, 65, 1, false, false, MatmulEpilogue::kNone, 0.5f, 0.75f},
      {"batched3", 9, 11, 13, 3},
      {"batched3_ta_bias", 9, 11, 13, 3, true, false, MatmulEpilogue::kBias},
      {"batched4_shared_b", 8, 16, 24, 4, false, true, MatmulEpilogue::kNone, 1.0f, 0.0f, 0},
      {"128x256x512", 128, 256, 512},
  };
}

struct MatmulParam {
  MatmulCase c;
  DType dtype;
};

MatmulDesc make_desc(const MatmulParam& p) {
  MatmulDesc d;
  d.a_dtype = d.b_dtype = d.c_dtype = p.dtype;
  d.m = p.c.m;
  d.n = p.c.n;
  d.k = p.c.k;
  d.batch = p.c.batch;
  d.transpose_a = p.c.ta;
  d.transpose_b = p.c.tb;
  d.epilogue = p.c.epilogue;
  d.alpha = p.c.alpha;
  d.beta = p.c.beta;
  d.batch_stride_b = p.c.stride_b;
  return d;
}

struct MatmulData {
  std::vector<double> a, b, c, bias, expected;
  core::DeviceBuffer a_dev, b_dev, c_dev, d_dev, bias_dev;

  explicit MatmulData(const MatmulDesc& d) {
    const DType t = d.a_dtype;
    const auto span = [&](std::int64_t stride, std::int64_t size) {
      return static_cast<std::size_t>(stride * (d.batch - 1) + size);
    };
    a = random_values(span(resolved_batch_stride_a(d), d.m * d.k), 11);
    b = random_values(span(resolved_batch_stride_b(d), d.k * d.n), 12);
    c = random_values(span(resolved_batch_stride_c(d), d.m * d.n), 13);
    bias = random_values(static_cast<std::size_t>(d.n), 14);
    for (auto* v : {&a, &b, &c, &bias}) round_all(t, *v);
    expected = reference_matmul(d, a, b, c, bias);
    a_dev = upload(t, a);
    b_dev = upload(t, b);
    c_dev = upload(t, c);
    bias_dev = upload(t, bias);
    d_dev = core::DeviceBuffer(expected.size() * dtype_size(t));
  }
  MatmulBuffers buffers() {
    return {a_dev.data(), b_dev.data(), c_dev.data(), d_dev.data(), bias_dev.data()};
  }
};

constexpr std::size_t kWorkspaceLimit = std::size_t{32} << 20;

class MatmulPlanGpu : public ::testing::TestWithParam<MatmulParam> {};

TEST_P(MatmulPlanGpu, MatchesTheCpuReference) {
  TRTUTILS_REQUIRE_GPU();
  const MatmulDesc desc = make_desc(GetParam());
  MatmulData data(desc);
  core::Stream stream;
  CublasLtHandle handle;
  core::DeviceBuffer workspace(kWorkspaceLimit);
  MatmulPlan plan(desc);
  const MatmulAlgorithm chosen =
      plan.autotune(handle, stream, data.buffers(), workspace.data(), workspace.size());
  EXPECT_LE(chosen.workspace_bytes, kWorkspaceLimit);
  core::memset_device(data.d_dev, 0);
  plan.execute(handle, stream, data.buffers(), workspace.data(), workspace.size());
  stream.synchronize();
  EXPECT_LE(relative_l2_error(download(desc.c_dtype, data.d_dev), data.expected),
            tolerance_for(desc.a_dtype));
}

std::vector<MatmulParam> all_params() {
  std::vector<MatmulParam> params;
  for (const MatmulCase& c : matmul_cases())
    for (const DType dtype : {DType::kFloat32, DType::kFloat16, DType::kBFloat16})
      params.push_back({c, dtype});
  return params;
}

std::string param_name(const ::testing::TestParamInfo<MatmulParam>& info) {
  return info.param.c.name + "_" + std::string(dtype_name(info.param.dtype));
}

INSTANTIATE_TEST_SUITE_P(Cases, MatmulPlanGpu, ::testing::ValuesIn(all_params()), param_name);

TEST(MatmulReference, MatchesHandComputedValues) {
  MatmulDesc d;
  d.m = 2;
  d.n = 2;
  d.k = 2;
  d.epilogue = MatmulEpilogue::kBiasRelu;
  // [1 2; 3 4] x [5 6; 7 8] = [19 22; 43 50]; bias [-20, -60] then ReLU.
  const auto out = reference_matmul(d, {1, 2, 3, 4}, {5, 6, 7, 8}, {}, {-20, -60});
  EXPECT_EQ(out, (std::vector<double>{0, 0, 23, 0}));
  d.transpose_a = true;  // A stored as its transpose: [1 3; 2 4]
  d.epilogue = MatmulEpilogue::kNone;
  EXPECT_EQ(reference_matmul(d, {1, 3, 2, 4}, {5, 6, 7, 8}, {}, {}),
            (std::vector<double>{19, 22, 43, 50}));
}

TEST(MatmulPlanGpuBehaviour, CandidatesAreRankedFastestFirst) {
  TRTUTILS_REQUIRE_GPU();
  const MatmulDesc desc = make_desc({matmul_cases().back(), DType::kFloat16});
  MatmulData data(desc);
  core::Stream stream;
  CublasLtHandle handle;
  core::DeviceBuffer workspace(kWorkspaceLimit);
  MatmulPlan plan(desc);
  const auto ranked =
      plan.find_algorithms(handle, stream, data.buffers(), workspace.data(), workspace.size());
  ASSERT_FALSE(ranked.empty());
  for (std::size_t i = 1; i < ranked.size(); ++i) {
    EXPECT_LE(ranked[i - 1].time_ms, ranked[i].time_ms);
  }
  EXPECT_FALSE(plan.algorithm().has_value());  // finding does not choose
}

TEST(MatmulPlanGpuBehaviour, StoredAlgorithmWorksInAFreshPlanAndInACudaGraph) {
  TRTUTILS_REQUIRE_GPU();
  const MatmulDesc desc = make_desc({matmul_cases()[9], DType::kBFloat16});  // bias + gelu
  MatmulData data(desc);
  core::Stream stream;
  CublasLtHandle handle;
  core::DeviceBuffer workspace(kWorkspaceLimit);
  MatmulAlgorithm stored;
  {
    MatmulPlan tuned(desc);
    stored = tuned.autotune(handle, stream, data.buffers(), workspace.data(), workspace.size());
  }
  MatmulPlan loaded(desc);
  loaded.set_algorithm(stored);
  core::memset_device(data.d_dev, 0);
  core::GraphReplay replay;
  replay.capture(stream, [&](core::StreamView s) {
    loaded.execute(handle, s, data.buffers(), workspace.data(), workspace.size());
  });
  replay.launch(stream);
  stream.synchronize();
  EXPECT_LE(relative_l2_error(download(desc.c_dtype, data.d_dev), data.expected), 2e-2);
}

TEST(MatmulPlanGpuBehaviour, ZeroWorkspaceStillFindsAnAlgorithm) {
  TRTUTILS_REQUIRE_GPU();
  const MatmulDesc desc = make_desc({matmul_cases()[1], DType::kFloat32});
  MatmulData data(desc);
  core::Stream stream;
  CublasLtHandle handle;
  MatmulPlan plan(desc);
  const MatmulAlgorithm chosen = plan.autotune(handle, stream, data.buffers(), nullptr, 0);
  EXPECT_EQ(chosen.workspace_bytes, 0u);
  plan.execute(handle, stream, data.buffers(), nullptr, 0);
  stream.synchronize();
  EXPECT_LE(relative_l2_error(download(desc.c_dtype, data.d_dev), data.expected), 1e-5);
}

}  // namespace
}  // namespace trtutils::gpu
