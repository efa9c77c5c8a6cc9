#pragma once
// Small plans built by hand for the runtime tests: tensors, arena offsets,
// weights and layers written out explicitly, nvrtc.kernel layers compiled
// here with NVRTC for the architecture the test names.
#include <cstring>
#include <string>
#include <vector>

#include "trtutils/core/nvrtc_compiler.hpp"
#include "trtutils/plan/layer_kinds.hpp"
#include "trtutils/plan/plan.hpp"

namespace trtutils::runtime::testing {

namespace kinds = plan::layer_kinds;

inline constexpr std::int64_t kChainLength = 1000;

// out = a + b
inline constexpr const char* kAddSource = R"(
extern "C" __global__ void add(const float* a, const float* b, float* out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = a[i] + b[i];
}
)";
// out = in * s
inline constexpr const char* kScaleSource = R"(
extern "C" __global__ void scale(const float* in, float* out, float s, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = in[i] * s;
}
)";
// out = the positive values of in, in order; *count = how many (one thread).
inline constexpr const char* kPositivesSource = R"(
extern "C" __global__ void positives(const float* in, float* out, long long* count, int n) {
  long long k = 0;
  for (int i = 0; i < n; ++i) {
    if (in[i] > 0.0f) out[k++] = in[i];
  }
  for (long long j = k; j < n; ++j) out[j] = 0.0f;
  *count = k;
}
)";

inline std::vector<std::byte> to_bytes(const std::string& code) {
  std::vector<std::byte> bytes(code.size());
  std::memcpy(bytes.data(), code.data(), code.size());
  return bytes;
}

template <typename T>
std::vector<std::byte> scalar_bytes(T value) {
  std::vector<std::byte> bytes(sizeof(T));
  std::memcpy(bytes.data(), &value, sizeof(T));
  return bytes;
}

struct KernelArg {
  bool is_tensor;
  plan::TensorId tensor;          // for pointers
  std::vector<std::byte> scalar;  // for scalars
};

inline plan::LayerParams nvrtc_params(const char* source, const char* entry,
                                      const std::string& arch, std::int64_t grid,
                                      std::int64_t block, const std::vector<KernelArg>& args) {
  const core::CompiledKernel compiled = core::compile_to_cubin(source, entry, {}, arch);
  plan::LayerParams params;
  params.set(kinds::nvrtc::kSource, std::string(source));
  params.set(kinds::nvrtc::kEntry, compiled.lowered_name);
  params.set(kinds::nvrtc::kCubin, to_bytes(compiled.code));
  params.set(kinds::nvrtc::kGrid, std::vector<std::int64_t>{grid, 1, 1});
  params.set(kinds::nvrtc::kBlock, std::vector<std::int64_t>{block, 1, 1});
  params.set(kinds::nvrtc::kShared, std::int64_t{0});
  std::vector<std::int64_t> arg_kinds, arg_tensors, arg_sizes;
  std::vector<std::byte> scalars;
  for (const KernelArg& arg : args) {
    arg_kinds.push_back(arg.is_tensor ? 0 : 1);
    arg_tensors.push_back(arg.is_tensor ? static_cast<std::int64_t>(arg.tensor) : -1);
    arg_sizes.push_back(arg.is_tensor ? 8 : static_cast<std::int64_t>(arg.scalar.size()));
    scalars.insert(scalars.end(), arg.scalar.begin(), arg.scalar.end());
  }
  params.set(kinds::nvrtc::kArgKinds, arg_kinds);
  params.set(kinds::nvrtc::kArgTensors, arg_tensors);
  params.set(kinds::nvrtc::kArgSizes, arg_sizes);
  params.set(kinds::nvrtc::kArgScalars, scalars);
  return params;
}

inline KernelArg pointer(plan::TensorId id) { return {true, id, {}}; }
template <typename T>
KernelArg scalar(T value) {
  return {false, 0, scalar_bytes(value)};
}

inline plan::TensorDesc tensor(plan::TensorId id, std::string name, DType dtype,
                               std::vector<std::int64_t> dims, plan::TensorKind kind) {
  plan::TensorDesc t;
  t.id = id;
  t.name = std::move(name);
  t.dtype = dtype;
  t.dims = std::move(dims);
  t.kind = kind;
  return t;
}

inline plan::TensorSpec spec_of(const plan::TensorDesc& t) {
  plan::TensorSpec spec;
  spec.name = t.name;
  spec.dtype = t.dtype;
  spec.dims = t.dims;
  spec.is_input = t.kind == plan::TensorKind::kInput;
  return spec;
}

/// bias[i] = 0.5 * i - 100, the chain's constant.
inline std::vector<float> chain_bias() {
  std::vector<float> bias(kChainLength);
  for (std::int64_t i = 0; i < kChainLength; ++i) bias[i] = 0.5f * static_cast<float>(i) - 100.0f;
  return bias;
}
inline constexpr float kChainScale = 2.5f;

/// y = copy(x + bias) * 2.5 over kChainLength floats: three layers
/// (nvrtc add -> copy -> nvrtc scale) through two arena tensors.
inline plan::Plan chain_plan(const std::string& arch) {
  using plan::TensorKind;
  const std::int64_t n = kChainLength;
  const std::uint64_t bytes = static_cast<std::uint64_t>(n) * sizeof(float);
  plan::Plan p;
  p.header.target_arch = arch;
  plan::PlanWeightsBuilder weights;
  const std::vector<float> bias = chain_bias();
  const plan::ByteRange bias_range =
      weights.append({reinterpret_cast<const std::byte*>(bias.data()), bytes});
  p.weights = weights.finish();
  p.tensors.push_back(tensor(0, "x", DType::kFloat32, {n}, TensorKind::kInput));
  p.tensors.push_back(tensor(1, "bias", DType::kFloat32, {n}, TensorKind::kConstant));
  p.tensors[1].weights = bias_range;
  p.tensors.push_back(tensor(2, "sum", DType::kFloat32, {n}, TensorKind::kActivation));
  p.tensors[2].arena = {0, bytes};
  p.tensors.push_back(tensor(3, "sum_copy", DType::kFloat32, {n}, TensorKind::kActivation));
  p.tensors[3].arena = {4096, bytes};
  p.tensors.push_back(tensor(4, "y", DType::kFloat32, {n}, TensorKind::kOutput));
  p.arena_bytes = 8192;
  p.io = {spec_of(p.tensors[0]), spec_of(p.tensors[4])};
  const std::int64_t grid = (n + 255) / 256;
  p.layers.push_back({"add_bias",
                      kinds::kNvrtcKernel,
                      {0, 1},
                      {2},
                      nvrtc_params(kAddSource, "add", arch, grid, 256,
                                   {pointer(0), pointer(1), pointer(2), scalar<int>(n)}),
                      plan::Precision::kFloat32});
  p.layers.push_back({"copy_sum", kinds::kCopy, {2}, {3}, {}, plan::Precision::kFloat32});
  p.layers.push_back(
      {"scale",
       kinds::kNvrtcKernel,
       {3},
       {4},
       nvrtc_params(kScaleSource, "scale", arch, grid, 256,
                    {pointer(3), pointer(4), scalar<float>(kChainScale), scalar<int>(n)}),
       plan::Precision::kFloat32});
  return p;
}

/// The chain's expected output for input x, computed on the CPU.
inline std::vector<float> chain_expected(const std::vector<float>& x) {
  const std::vector<float> bias = chain_bias();
  std::vector<float> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = (x[i] + bias[i]) * kChainScale;
  return y;
}

inline constexpr std::int64_t kPositivesLength = 16;

/// y = the positive values of x (upper bound kPositivesLength), with its
/// true length in an i64 count tensor named by dynamic_extent_of_output_0.
inline plan::Plan positives_plan(const std::string& arch) {
  using plan::TensorKind;
  const std::int64_t n = kPositivesLength;
  plan::Plan p;
  p.header.target_arch = arch;
  p.tensors.push_back(tensor(0, "x", DType::kFloat32, {n}, TensorKind::kInput));
  p.tensors.push_back(tensor(1, "y", DType::kFloat32, {n}, TensorKind::kOutput));
  p.tensors.push_back(tensor(2, "y_count", DType::kInt64, {1}, TensorKind::kActivation));
  p.tensors[2].arena = {0, 8};
  p.arena_bytes = 256;
  p.io = {spec_of(p.tensors[0]), spec_of(p.tensors[1])};
  plan::LayerParams params = nvrtc_params(kPositivesSource, "positives", arch, 1, 1,
                                          {pointer(0), pointer(1), pointer(2), scalar<int>(n)});
  params.set(std::string(kinds::kDynamicExtentPrefix) + "0", std::int64_t{2});
  p.layers.push_back(
      {"positives", kinds::kNvrtcKernel, {0}, {1, 2}, params, plan::Precision::kFloat32});
  return p;
}

}  // namespace trtutils::runtime::testing
