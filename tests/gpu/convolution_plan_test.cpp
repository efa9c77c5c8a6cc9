// ConvolutionPlan on the GPU against a direct convolution computed in double
// on the CPU (in this file), over layouts, dtypes, geometries and epilogues.
// Skipped where there is no GPU.
#include "trtutils/gpu/convolution_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "gpu/convolution_graph.hpp"
#include "gpu/gpu_tensor_util.hpp"
#include "gpu/test_util.hpp"
#include "gpu_test_support.hpp"
#include "trtutils/core/cuda_graph.hpp"
#include "trtutils/core/stream.hpp"

namespace trtutils::gpu {
namespace {

using trtutils::testing::contains;
using trtutils::testing::download;
using trtutils::testing::random_values;
using trtutils::testing::relative_l2_error;
using trtutils::testing::round_all;
using trtutils::testing::tolerance_for;
using trtutils::testing::upload;

std::int64_t product(const std::vector<std::int64_t>& dims, std::size_t from = 0) {
  std::int64_t count = 1;
  for (std::size_t i = from; i < dims.size(); ++i) count *= dims[i];
  return count;
}

/// Spatial parameters padded at the front to 3 axes (D, H, W).
std::vector<std::int64_t> as_3d(std::vector<std::int64_t> values, std::size_t rank,
                                std::int64_t fill) {
  if (values.empty()) values.assign(rank, fill);
  while (values.size() < 3) values.insert(values.begin(), fill);
  return values;
}

/// Direct convolution, logical NC(D)(H)W order, in double:
/// y = act(conv(x, w) + bias + z).
std::vector<double> reference_convolution(const ConvolutionDesc& d, const std::vector<double>& x,
                                          const std::vector<double>& w,
                                          const std::vector<double>& bias,
                                          const std::vector<double>& z) {
  const std::vector<std::int64_t> out_shape = convolution_output_shape(d);
  const std::size_t rank = d.input_shape.size() - 2;
  const auto in_sp = as_3d({d.input_shape.begin() + 2, d.input_shape.end()}, rank, 1);
  const auto k_sp = as_3d({d.filter_shape.begin() + 2, d.filter_shape.end()}, rank, 1);
  const auto out_sp = as_3d({out_shape.begin() + 2, out_shape.end()}, rank, 1);
  const auto pad = as_3d(d.pads_begin, rank, 0);
  const auto stride = as_3d(d.strides, rank, 1);
  const auto dil = as_3d(d.dilations, rank, 1);
  const std::int64_t n_batch = d.input_shape[0], channels = d.input_shape[1];
  const std::int64_t out_channels = d.filter_shape[0];
  const std::int64_t cpg = channels / d.groups, kpg = out_channels / d.groups;
  std::vector<double> y(static_cast<std::size_t>(product(out_shape)));
  std::size_t index = 0;
  for (std::int64_t n = 0; n < n_batch; ++n)
    for (std::int64_t k = 0; k < out_channels; ++k)
      for (std::int64_t od = 0; od < out_sp[0]; ++od)
        for (std::int64_t oh = 0; oh < out_sp[1]; ++oh)
          for (std::int64_t ow = 0; ow < out_sp[2]; ++ow, ++index) {
            double sum = 0.0;
            const std::int64_t g = k / kpg;
            for (std::int64_t c = 0; c < cpg; ++c)
              for (std::int64_t kd = 0; kd < k_sp[0]; ++kd)
                for (std::int64_t kh = 0; kh < k_sp[1]; ++kh)
                  for (std::int64_t kw = 0; kw < k_sp[2]; ++kw) {
                    const std::int64_t id = od * stride[0] - pad[0] + kd * dil[0];
                    const std::int64_t ih = oh * stride[1] - pad[1] + kh * dil[1];
                    const std::int64_t iw = ow * stride[2] - pad[2] + kw * dil[2];
                    if (id < 0 || ih < 0 || iw < 0 || id >= in_sp[0] || ih >= in_sp[1] ||
                        iw >= in_sp[2])
                      continue;
                    const std::int64_t xc = g * cpg + c;
                    const auto xi = static_cast<std::size_t>(
                        (((n * channels + xc) * in_sp[0] + id) * in_sp[1] + ih) * in_sp[2] + iw);
                    const auto wi = static_cast<std::size_t>(
                        (((k * cpg + c) * k_sp[0] + kd) * k_sp[1] + kh) * k_sp[2] + kw);
                    sum += x[xi] * w[wi];
                  }
            if (d.has_bias) sum += bias[static_cast<std::size_t>(k)];
            if (d.has_residual) sum += z[index];
            switch (d.activation) {
              case Activation::kRelu:
                sum = std::max(sum, 0.0);
                break;
              case Activation::kSigmoid:
                sum = 1.0 / (1.0 + std::exp(-sum));
                break;
              case Activation::kTanh:
                sum = std::tanh(sum);
                break;
              case Activation::kClippedRelu:
                sum = std::min(std::max(sum, 0.0), static_cast<double>(d.clip_ceiling));
                break;
              case Activation::kSilu:
                sum = sum / (1.0 + std::exp(-sum));
                break;
              case Activation::kLeakyRelu:
                sum = sum < 0.0 ? static_cast<double>(d.leaky_slope) * sum : sum;
                break;
              case Activation::kGelu:
                sum = 0.5 * sum * (1.0 + std::erf(sum / std::sqrt(2.0)));
                break;
              case Activation::kIdentity:
                break;
            }
            y[index] = sum;
          }
  return y;
}

/// Logical (N, C, spatial) order -> memory order of `layout` and back.
std::vector<double> to_layout(const std::vector<double>& v, const std::vector<std::int64_t>& dims,
                              TensorLayout layout, bool inverse = false) {
  if (layout == TensorLayout::kNCHW) return v;
  const std::int64_t n = dims[0], c = dims[1], s = product(dims, 2);
  std::vector<double> out(v.size());
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < c; ++j)
      for (std::int64_t k = 0; k < s; ++k) {
        const auto logical = static_cast<std::size_t>((i * c + j) * s + k);
        const auto stored = static_cast<std::size_t>((i * s + k) * c + j);
        if (inverse)
          out[logical] = v[stored];
        else
          out[stored] = v[logical];
      }
  return out;
}

struct ConvCase {
  std::string name;
  std::vector<std::int64_t> input, filter, pads, strides, dilations;
  std::int64_t groups = 1;
  bool bias = true;
  Activation activation = Activation::kRelu;
  bool residual = false;
  /// False: only NHWC f16 (the fused graph's target) and NCHW f32 (the
  /// strict path), since fused graphs compile at plan time.
  bool every_layout_and_dtype = true;
};

std::vector<ConvCase> conv_cases() {
  return {
      {"3x3_pad1", {2, 8, 12, 12}, {16, 8, 3, 3}, {1, 1}, {}, {}},
      {"1x1", {2, 16, 7, 7}, {8, 16, 1, 1}, {}, {}, {}},
      {"3x3_stride2", {1, 8, 13, 13}, {8, 8, 3, 3}, {1, 1}, {2, 2}, {}},
      {"3x3_dilation2", {1, 8, 14, 14}, {8, 8, 3, 3}, {2, 2}, {}, {2, 2}},
      {"7x7_stride2_pad3", {1, 3, 32, 32}, {16, 3, 7, 7}, {3, 3}, {2, 2}, {}},
      {"groups2", {2, 8, 10, 10}, {12, 4, 3, 3}, {1, 1}, {}, {}, 2},
      {"depthwise", {2, 16, 10, 10}, {16, 1, 3, 3}, {1, 1}, {}, {}, 16},
      {"no_bias_identity",
       {1, 8, 9, 9},
       {8, 8, 3, 3},
       {1, 1},
       {},
       {},
       1,
       false,
       Activation::kIdentity},
      {"bias_identity", {1, 8, 9, 9}, {8, 8, 3, 3}, {1, 1}, {}, {}, 1, true, Activation::kIdentity},
      {"bias_relu_residual",
       {1, 8, 9, 9},
       {8, 8, 3, 3},
       {1, 1},
       {},
       {},
       1,
       true,
       Activation::kRelu,
       true},
      {"sigmoid", {1, 8, 9, 9}, {8, 8, 3, 3}, {1, 1}, {}, {}, 1, true, Activation::kSigmoid},
      {"tanh_residual",
       {1, 8, 9, 9},
       {8, 8, 3, 3},
       {1, 1},
       {},
       {},
       1,
       true,
       Activation::kTanh,
       true},
      {"clipped_relu",
       {1, 8, 9, 9},
       {8, 8, 3, 3},
       {1, 1},
       {},
       {},
       1,
       true,
       Activation::kClippedRelu},
      {"silu", {2, 16, 10, 10}, {16, 16, 3, 3}, {1, 1}, {}, {}, 1, true, Activation::kSilu, false, false},
      {"silu_residual_no_bias",
       {1, 8, 9, 9},
       {8, 8, 1, 1},
       {},
       {},
       {},
       1,
       false,
       Activation::kSilu,
       true,
       false},
      {"depthwise_silu", {2, 16, 10, 10}, {16, 1, 3, 3}, {1, 1}, {}, {}, 16, true, Activation::kSilu, false, false},
      {"leaky_relu", {1, 8, 9, 9}, {8, 8, 3, 3}, {1, 1}, {}, {}, 1, true, Activation::kLeakyRelu, false, false},
      {"gelu", {1, 8, 9, 9}, {8, 8, 1, 1}, {}, {}, {}, 1, true, Activation::kGelu, false, false},
      {"conv1d", {2, 8, 30}, {8, 8, 5}, {2}, {2}, {}},
      {"conv3d", {1, 4, 6, 7, 8}, {8, 4, 3, 3, 3}, {1, 1, 1}, {}, {}},
  };
}

struct ConvParam {
  ConvCase conv;
  TensorLayout layout;
  DType dtype;
};

std::string param_name(const ::testing::TestParamInfo<ConvParam>& info) {
  return info.param.conv.name + "_" + to_string(info.param.layout) + "_" +
         std::string(dtype_name(info.param.dtype));
}

std::vector<ConvParam> all_params() {
  std::vector<ConvParam> params;
  for (const ConvCase& c : conv_cases())
    for (const TensorLayout layout : {TensorLayout::kNCHW, TensorLayout::kNHWC})
      for (const DType dtype : {DType::kFloat32, DType::kFloat16, DType::kBFloat16}) {
        const bool kept = (layout == TensorLayout::kNHWC && dtype == DType::kFloat16) ||
                          (layout == TensorLayout::kNCHW && dtype == DType::kFloat32);
        if (c.every_layout_and_dtype || kept) params.push_back({c, layout, dtype});
      }
  return params;
}

ConvolutionDesc make_desc(const ConvParam& p) {
  ConvolutionDesc d;
  d.input_dtype = d.filter_dtype = d.output_dtype = p.dtype;
  d.layout = p.layout;
  d.input_shape = p.conv.input;
  d.filter_shape = p.conv.filter;
  d.pads_begin = d.pads_end = p.conv.pads;
  d.strides = p.conv.strides;
  d.dilations = p.conv.dilations;
  d.groups = p.conv.groups;
  d.has_bias = p.conv.bias;
  d.has_residual = p.conv.residual;
  d.activation = p.conv.activation;
  d.clip_ceiling = 0.5f;
  d.leaky_slope = 0.2f;
  return d;
}

/// Inputs, reference and device buffers for one description.
struct ConvData {
  std::vector<double> x, w, bias, z, expected;
  core::DeviceBuffer x_dev, w_dev, bias_dev, z_dev, y_dev;

  explicit ConvData(const ConvolutionDesc& d) {
    const DType t = d.input_dtype;
    const auto out_shape = convolution_output_shape(d);
    x = random_values(static_cast<std::size_t>(product(d.input_shape)), 1);
    w = random_values(static_cast<std::size_t>(product(d.filter_shape)), 2);
    bias = random_values(static_cast<std::size_t>(d.filter_shape[0]), 3);
    z = random_values(static_cast<std::size_t>(product(out_shape)), 4);
    for (auto* v : {&x, &w, &bias, &z}) round_all(t, *v);  // the reference sees what the GPU sees
    expected = reference_convolution(d, x, w, bias, z);
    x_dev = upload(t, to_layout(x, d.input_shape, d.layout));
    w_dev = upload(t, to_layout(w, d.filter_shape, d.layout));
    bias_dev = upload(t, bias);
    z_dev = upload(t, to_layout(z, out_shape, d.layout));
    y_dev = core::DeviceBuffer(static_cast<std::size_t>(product(out_shape)) * dtype_size(t));
  }
  ConvolutionBuffers buffers() {
    return {x_dev.data(), w_dev.data(), bias_dev.data(), z_dev.data(), y_dev.data()};
  }
  std::vector<double> result(const ConvolutionDesc& d) const {
    return to_layout(download(d.output_dtype, y_dev), convolution_output_shape(d), d.layout, true);
  }
};

// The oracle itself, checked by hand (runs without a GPU).
TEST(ConvolutionReference, MatchesHandComputedValues) {
  ConvolutionDesc d;
  d.input_shape = {1, 1, 3, 3};
  d.filter_shape = {1, 1, 2, 2};
  d.has_bias = true;
  const std::vector<double> x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::vector<double> w = {1, 1, 1, -1};
  // Windows: 1+2+4-5=2, 2+3+5-6=4, 4+5+7-8=8, 5+6+8-9=10; bias -5; residual +1; ReLU.
  d.has_residual = true;
  d.activation = Activation::kRelu;
  const std::vector<double> y = reference_convolution(d, x, w, {-5}, {1, 1, 1, 1});
  EXPECT_EQ(y, (std::vector<double>{0, 0, 4, 6}));
  d.pads_begin = d.pads_end = {1, 1};
  d.strides = {2, 2};
  d.has_bias = d.has_residual = false;
  d.activation = Activation::kIdentity;
  // Pad 1, stride 2: windows start at rows/cols -1 and 1.
  // (0,0): x00*w11 = -1; (0,1): x01*w10 + x02*w11 = 2 - 3; (1,0): x10*w01 + x20*w11 = 4 - 7;
  // (1,1): 5 + 6 + 8 - 9.
  EXPECT_EQ(reference_convolution(d, x, w, {}, {}), (std::vector<double>{-1, -1, -3, 10}));
}

TEST(ConvolutionReference, LayoutConversionRoundTrips) {
  const std::vector<std::int64_t> dims = {2, 3, 2, 2};
  const std::vector<double> logical = random_values(24, 9);
  const std::vector<double> nhwc = to_layout(logical, dims, TensorLayout::kNHWC);
  EXPECT_EQ(nhwc[1], logical[4]);  // n0, h0w0, c1 == logical n0 c1 s0
  EXPECT_EQ(to_layout(nhwc, dims, TensorLayout::kNHWC, true), logical);
}

constexpr std::size_t kWorkspaceLimit = std::size_t{64} << 20;

class ConvolutionPlanGpu : public ::testing::TestWithParam<ConvParam> {};

TEST_P(ConvolutionPlanGpu, MatchesTheDirectConvolutionReference) {
  TRTUTILS_REQUIRE_GPU();
  const ConvolutionDesc desc = make_desc(GetParam());
  ConvData data(desc);
  core::Stream stream;
  CudnnHandle handle(stream);
  core::DeviceBuffer workspace(kWorkspaceLimit);
  ConvolutionPlan plan(desc);
  const ConvolutionAlgorithm chosen =
      plan.autotune(handle, stream, data.buffers(), workspace.data(), workspace.size());
  EXPECT_LE(chosen.workspace_bytes, kWorkspaceLimit);
  core::memset_device(data.y_dev, 0);
  plan.execute(handle, stream, data.buffers(), workspace.data(), workspace.size());
  stream.synchronize();
  const double error = relative_l2_error(data.result(desc), data.expected);
  EXPECT_LE(error, tolerance_for(desc.input_dtype))
      << (chosen.uses_graph_api() ? describe_graph_engine(chosen)
                                  : "algorithm " + std::to_string(chosen.algorithm))
      << (chosen.fused_epilogue ? " fused" : " unfused");
}

// Not only the engine autotune keeps: each of the first few engines cuDNN's
// heuristics propose, bare and (bias + ReLU) fused, must compute the same
// convolution, or a faster-but-wrong engine could win a later build.
TEST_P(ConvolutionPlanGpu, GraphApiEnginesMatchTheReference) {
  TRTUTILS_REQUIRE_GPU();
  const ConvolutionDesc desc = make_desc(GetParam());
  ConvData data(desc);
  core::Stream stream;
  CudnnHandle handle(stream);
  core::DeviceBuffer workspace(kWorkspaceLimit);
  int ran = 0;
  int ran_fused = 0;
  for (const bool fused : {false, true}) {
    ConvolutionPlan plan(desc);
    if (fused && !plan.can_fuse_graph_epilogue()) continue;
    std::vector<detail::GraphEngineCandidate> engines;
    try {
      // Fused graphs run on engines that compile a kernel when the plan is
      // made (about a second each): the first two are checked.
      engines = detail::ConvolutionGraph(desc, fused, handle.handle()).candidates(fused ? 2 : 3);
    } catch (const CudaError& error) {
      ADD_FAILURE() << "the operation graph was refused: " << error.what();
      continue;
    }
    for (const detail::GraphEngineCandidate& engine : engines) {
      ConvolutionAlgorithm algorithm;
      algorithm.engine = engine.engine;
      algorithm.knobs = engine.knobs;
      algorithm.fused_epilogue = fused;
      algorithm.workspace_bytes = kWorkspaceLimit;
      plan.set_algorithm(algorithm);
      std::unique_ptr<ConvolutionExecution> execution;
      try {
        execution = plan.prepare(handle);
      } catch (const UnsupportedError&) {
        continue;  // heuristics proposed it, the plan refused it: autotune skips it too
      }
      core::memset_device(data.y_dev, 0);
      plan.execute(handle, stream, data.buffers(), workspace.data(), workspace.size(),
                   execution.get());
      stream.synchronize();
      EXPECT_LE(relative_l2_error(data.result(desc), data.expected), tolerance_for(desc.input_dtype))
          << describe_graph_engine(algorithm) << (fused ? " fused" : " bare")
          << (engine.runtime_compiled ? " (runtime compiled)" : "");
      ++ran;
      if (fused) ++ran_fused;
    }
  }
  // The shapes the graph path exists for: NHWC f16 2-D convolutions.
  const bool main_case = desc.layout == TensorLayout::kNHWC && desc.input_dtype == DType::kFloat16 &&
                         desc.spatial_rank() == 2;
  if (main_case) {
    EXPECT_GT(ran, 0) << "no graph-API engine ran an NHWC f16 2-D convolution";
    // What fusing the epilogue into the graph exists for: SiLU (YOLO,
    // EfficientNet), leaky ReLU and GELU behind dense convolutions.
    const bool fusion_target = desc.groups == 1 && (desc.activation == Activation::kSilu ||
                                                    desc.activation == Activation::kLeakyRelu ||
                                                    desc.activation == Activation::kGelu);
    if (fusion_target) {
      EXPECT_GT(ran_fused, 0) << "no fused graph engine ran " << to_string(desc.activation);
    }
  }
  std::cout << "[ graph API ] " << GetParam().conv.name << ": " << ran << " engines checked\n";
}

INSTANTIATE_TEST_SUITE_P(Cases, ConvolutionPlanGpu, ::testing::ValuesIn(all_params()), param_name);

ConvolutionDesc bias_relu_nhwc_f16() {
  return make_desc({conv_cases()[0], TensorLayout::kNHWC, DType::kFloat16});
}

TEST(ConvolutionPlanGpuBehaviour, FindAlgorithmsRanksFastestFirstWithinTheWorkspace) {
  TRTUTILS_REQUIRE_GPU();
  const ConvolutionDesc desc = bias_relu_nhwc_f16();
  ConvData data(desc);
  core::Stream stream;
  CudnnHandle handle(stream);
  core::DeviceBuffer workspace(kWorkspaceLimit);
  ConvolutionPlan plan(desc);
  const auto ranked =
      plan.find_algorithms(handle, stream, data.buffers(), workspace.data(), workspace.size());
  ASSERT_FALSE(ranked.empty());
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    EXPECT_LE(ranked[i].algorithm.workspace_bytes, kWorkspaceLimit);
    EXPECT_GE(ranked[i].time_ms, 0.0f);
    if (i > 0) {
      EXPECT_LE(ranked[i - 1].time_ms, ranked[i].time_ms);
    }
  }
}

TEST(ConvolutionPlanGpuBehaviour, ZeroWorkspaceStillFindsAnAlgorithm) {
  TRTUTILS_REQUIRE_GPU();
  const ConvolutionDesc desc = bias_relu_nhwc_f16();
  ConvData data(desc);
  core::Stream stream;
  CudnnHandle handle(stream);
  ConvolutionPlan plan(desc);
  const ConvolutionAlgorithm chosen = plan.autotune(handle, stream, data.buffers(), nullptr, 0);
  EXPECT_EQ(chosen.workspace_bytes, 0u);
  plan.execute(handle, stream, data.buffers(), nullptr, 0);
  stream.synchronize();
  EXPECT_LE(relative_l2_error(data.result(desc), data.expected), 1e-2);
}

TEST(ConvolutionPlanGpuBehaviour, StoredChoiceReproducesTheResultInAFreshPlan) {
  TRTUTILS_REQUIRE_GPU();
  const ConvolutionDesc desc = make_desc({conv_cases()[0], TensorLayout::kNCHW, DType::kFloat32});
  ConvData data(desc);
  core::Stream stream;
  CudnnHandle handle(stream);
  core::DeviceBuffer workspace(kWorkspaceLimit);
  ConvolutionAlgorithm stored;
  {
    ConvolutionPlan tuned(desc);
    stored = tuned.autotune(handle, stream, data.buffers(), workspace.data(), workspace.size());
  }
  ConvolutionPlan loaded(desc);
  loaded.set_algorithm(stored);
  core::memset_device(data.y_dev, 0);
  loaded.execute(handle, stream, data.buffers(), workspace.data(), workspace.size());
  stream.synchronize();
  EXPECT_LE(relative_l2_error(data.result(desc), data.expected), 1e-5);
}

TEST(ConvolutionPlanGpuBehaviour, ExecuteIsCapturableIntoACudaGraph) {
  TRTUTILS_REQUIRE_GPU();
  for (const Activation activation : {Activation::kRelu, Activation::kSigmoid}) {
    ConvolutionDesc desc = bias_relu_nhwc_f16();
    desc.activation = activation;  // fused and unfused epilogues
    ConvData data(desc);
    core::Stream stream;
    CudnnHandle handle(stream);
    core::DeviceBuffer workspace(kWorkspaceLimit);
    ConvolutionPlan plan(desc);
    plan.autotune(handle, stream, data.buffers(), workspace.data(), workspace.size());
    core::memset_device(data.y_dev, 0);
    // kGlobal capture fails on any allocation or synchronisation inside execute.
    core::GraphReplay replay;
    replay.capture(stream, [&](core::StreamView s) {
      plan.execute(handle, s, data.buffers(), workspace.data(), workspace.size());
    });
    replay.launch(stream);
    stream.synchronize();
    EXPECT_LE(relative_l2_error(data.result(desc), data.expected), 1e-2) << to_string(activation);
  }
}

ConvolutionAlgorithm first_graph_engine(const ConvolutionDesc& desc, CudnnHandle& handle,
                                        bool fused) {
  const auto engines = detail::ConvolutionGraph(desc, fused, handle.handle()).candidates(8);
  for (const detail::GraphEngineCandidate& engine : engines) {
    if (engine.runtime_compiled) continue;
    ConvolutionAlgorithm algorithm;
    algorithm.engine = engine.engine;
    algorithm.knobs = engine.knobs;
    algorithm.fused_epilogue = fused;
    algorithm.workspace_bytes = kWorkspaceLimit;
    return algorithm;
  }
  throw UnsupportedError("no precompiled graph engine for this convolution");
}

TEST(ConvolutionPlanGpuBehaviour, GraphEngineRunsInsideACudaGraphWithAPreparedExecution) {
  TRTUTILS_REQUIRE_GPU();
  const ConvolutionDesc desc = bias_relu_nhwc_f16();
  ConvData data(desc);
  core::Stream stream;
  CudnnHandle handle(stream);
  core::DeviceBuffer workspace(kWorkspaceLimit);
  ConvolutionPlan plan(desc);
  plan.set_algorithm(first_graph_engine(desc, handle, false));
  const auto execution = plan.prepare(handle);
  ASSERT_NE(execution, nullptr);
  core::memset_device(data.y_dev, 0);
  // kGlobal capture fails on any allocation or synchronisation inside execute.
  core::GraphReplay replay;
  replay.capture(stream, [&](core::StreamView s) {
    plan.execute(handle, s, data.buffers(), workspace.data(), workspace.size(), execution.get());
  });
  replay.launch(stream);
  replay.launch(stream);
  stream.synchronize();
  EXPECT_LE(relative_l2_error(data.result(desc), data.expected), 1e-2);
}

TEST(ConvolutionPlanGpuBehaviour, TwoHandlesRunOnePlanWithTheirOwnExecutions) {
  TRTUTILS_REQUIRE_GPU();
  const ConvolutionDesc desc = bias_relu_nhwc_f16();
  ConvData first(desc);
  ConvData second(desc);
  core::Stream stream_a;
  core::Stream stream_b;
  CudnnHandle handle_a(stream_a);
  CudnnHandle handle_b(stream_b);
  core::DeviceBuffer workspace_a(kWorkspaceLimit);
  core::DeviceBuffer workspace_b(kWorkspaceLimit);
  ConvolutionPlan plan(desc);
  plan.set_algorithm(first_graph_engine(desc, handle_a, false));
  const auto execution_a = plan.prepare(handle_a);
  const auto execution_b = plan.prepare(handle_b);
  core::memset_device(first.y_dev, 0);
  core::memset_device(second.y_dev, 0);
  plan.execute(handle_a, stream_a, first.buffers(), workspace_a.data(), workspace_a.size(),
               execution_a.get());
  plan.execute(handle_b, stream_b, second.buffers(), workspace_b.data(), workspace_b.size(),
               execution_b.get());
  stream_a.synchronize();
  stream_b.synchronize();
  EXPECT_LE(relative_l2_error(first.result(desc), first.expected), 1e-2);
  EXPECT_LE(relative_l2_error(second.result(desc), second.expected), 1e-2);
}

TEST(ConvolutionPlanGpuBehaviour, IdenticalConvolutionsShareOneExecutionPlanThroughTheCache) {
  TRTUTILS_REQUIRE_GPU();
  const ConvolutionDesc desc = bias_relu_nhwc_f16();
  ConvData first(desc);
  ConvData second(desc);
  core::Stream stream;
  CudnnHandle handle(stream);
  core::DeviceBuffer workspace(kWorkspaceLimit);
  const ConvolutionAlgorithm algorithm = first_graph_engine(desc, handle, false);
  ConvolutionPlan plan_a(desc);
  ConvolutionPlan plan_b(desc);
  plan_a.set_algorithm(algorithm);
  plan_b.set_algorithm(algorithm);
  ConvolutionPlanCache cache;
  const auto execution_a = plan_a.prepare(handle, &cache);
  const auto execution_b = plan_b.prepare(handle, &cache);
  EXPECT_EQ(cache.size(), 1u);
  // A different convolution gets its own plan.
  ConvolutionDesc other = desc;
  other.activation = Activation::kIdentity;
  ConvolutionPlan plan_c(other);
  plan_c.set_algorithm(first_graph_engine(other, handle, false));
  const auto execution_c = plan_c.prepare(handle, &cache);
  EXPECT_EQ(cache.size(), 2u);
  // Each layer keeps its own pointers (variant pack) on the shared plan.
  core::memset_device(first.y_dev, 0);
  core::memset_device(second.y_dev, 0);
  for (int round = 0; round < 2; ++round) {
    plan_a.execute(handle, stream, first.buffers(), workspace.data(), workspace.size(),
                   execution_a.get());
    plan_b.execute(handle, stream, second.buffers(), workspace.data(), workspace.size(),
                   execution_b.get());
  }
  stream.synchronize();
  EXPECT_LE(relative_l2_error(first.result(desc), first.expected), 1e-2);
  EXPECT_LE(relative_l2_error(second.result(desc), second.expected), 1e-2);
}

TEST(ConvolutionPlanGpuBehaviour, MisalignedPointerIsRefusedByAGraphEngine) {
  TRTUTILS_REQUIRE_GPU();
  const ConvolutionDesc desc = bias_relu_nhwc_f16();
  ConvData data(desc);
  core::Stream stream;
  CudnnHandle handle(stream);
  core::DeviceBuffer workspace(kWorkspaceLimit);
  ConvolutionPlan plan(desc);
  plan.set_algorithm(first_graph_engine(desc, handle, false));
  ConvolutionBuffers buffers = data.buffers();
  buffers.x = static_cast<const std::byte*>(buffers.x) + 2;  // one f16 element off
  try {
    plan.execute(handle, stream, buffers, workspace.data(), workspace.size());
    FAIL() << "no exception";
  } catch (const InvalidArgument& error) {
    EXPECT_TRUE(contains(error.what(), "not 16-byte aligned")) << error.what();
  }
}

TEST(ConvolutionPlanGpuBehaviour, UnknownGraphEngineIsRefusedWithARebuildHint) {
  TRTUTILS_REQUIRE_GPU();
  const ConvolutionDesc desc = bias_relu_nhwc_f16();
  CudnnHandle handle;
  ConvolutionPlan plan(desc);
  ConvolutionAlgorithm algorithm;
  algorithm.engine = 1000000;  // no cuDNN has this many engines
  plan.set_algorithm(algorithm);
  try {
    (void)plan.prepare(handle);
    FAIL() << "no exception";
  } catch (const Error& error) {
    EXPECT_TRUE(contains(error.what(), "rebuild")) << error.what();
  }
}

TEST(ConvolutionPlanGpuBehaviour, WorkspaceSmallerThanTheAlgorithmNeedsIsRefused) {
  TRTUTILS_REQUIRE_GPU();
  const ConvolutionDesc desc = bias_relu_nhwc_f16();
  ConvData data(desc);
  core::Stream stream;
  CudnnHandle handle(stream);
  ConvolutionPlan plan(desc);
  plan.set_algorithm({1, 1, 1 << 20, true, -1, {}});
  core::DeviceBuffer workspace(1024);
  try {
    plan.execute(handle, stream, data.buffers(), workspace.data(), workspace.size());
    FAIL() << "no exception";
  } catch (const InvalidArgument& error) {
    EXPECT_TRUE(contains(error.what(), "workspace of 1024 bytes is smaller than the 1048576"));
  }
}

TEST(ConvolutionPlanGpuBehaviour, ExecuteBeforeChoosingAnAlgorithmIsRefused) {
  TRTUTILS_REQUIRE_GPU();
  const ConvolutionDesc desc = bias_relu_nhwc_f16();
  ConvData data(desc);
  CudnnHandle handle;
  ConvolutionPlan plan(desc);
  EXPECT_THROW(plan.execute(handle, {}, data.buffers(), nullptr, 0), InvalidArgument);
}

TEST(ConvolutionPlanGpuBehaviour, MissingBiasPointerIsRefused) {
  TRTUTILS_REQUIRE_GPU();
  const ConvolutionDesc desc = bias_relu_nhwc_f16();
  ConvData data(desc);
  CudnnHandle handle;
  ConvolutionPlan plan(desc);
  plan.set_algorithm({1, 1, 0, true, -1, {}});
  ConvolutionBuffers buffers = data.buffers();
  buffers.bias = nullptr;
  EXPECT_THROW(plan.execute(handle, {}, buffers, nullptr, 0), InvalidArgument);
}

}  // namespace
}  // namespace trtutils::gpu
