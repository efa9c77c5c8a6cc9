// KernelArgs and the argument / launch-dimension checks are pure and run
// everywhere; compiling, loading and launching a Kernel needs a GPU.
#include "trtutils/core/kernel.hpp"

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "gpu_test_support.hpp"
#include "trtutils/core/cuda_graph.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/core/stream.hpp"

namespace trtutils::core {
namespace {

constexpr const char* kSaxpy = R"(
extern "C" __global__ void saxpy(int n, float a, const float* x, float* y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i] + y[i];
}
)";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string message_of_invalid_argument(const std::function<void()>& action) {
  try {
    action();
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "(no InvalidArgument thrown)";
}

// ---- CPU: argument packing and checks ------------------------------------

TEST(KernelArgs, CopiesEachArgumentWithItsSize) {
  float value = 2.5f;
  const double precise = 1.25;
  const std::int64_t wide = -7;
  const char small = 'x';
  float* pointer = &value;
  const KernelArgs args = KernelArgs::of(small, value, precise, wide, pointer);
  ASSERT_EQ(args.count(), 5U);
  EXPECT_EQ(args.size_of(0), 1U);
  EXPECT_EQ(args.size_of(1), 4U);
  EXPECT_EQ(args.size_of(2), 8U);
  EXPECT_EQ(args.size_of(3), 8U);
  EXPECT_EQ(args.size_of(4), sizeof(void*));
  value = 99.0f;  // the copy does not follow the variable
  const std::vector<void*> pointers = args.pointers();
  float stored_float = 0;
  std::memcpy(&stored_float, pointers[1], sizeof(float));
  EXPECT_EQ(stored_float, 2.5f);
  double stored_double = 0;
  std::memcpy(&stored_double, pointers[2], sizeof(double));
  EXPECT_EQ(stored_double, 1.25);
  EXPECT_EQ(*static_cast<char*>(pointers[0]), 'x');
  float* stored_pointer = nullptr;
  std::memcpy(&stored_pointer, pointers[4], sizeof(float*));
  EXPECT_EQ(stored_pointer, &value);
}

TEST(KernelArgs, EachArgumentIsAlignedForItsType) {
  const KernelArgs args = KernelArgs::of('a', 1.0, 'b', std::int32_t{3});
  const std::vector<void*> pointers = args.pointers();
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(pointers[1]) % alignof(double), 0U);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(pointers[3]) % alignof(std::int32_t), 0U);
}

TEST(KernelArgs, CopiesPlainStructs) {
  struct Affine {
    float scale;
    float offset;
    int width;
  };
  const KernelArgs args = KernelArgs::of(Affine{2.0f, -1.0f, 640});
  ASSERT_EQ(args.count(), 1U);
  EXPECT_EQ(args.size_of(0), sizeof(Affine));
  Affine stored{};
  std::memcpy(&stored, args.pointers()[0], sizeof(Affine));
  EXPECT_EQ(stored.width, 640);
  EXPECT_EQ(stored.offset, -1.0f);
}

TEST(KernelArgs, CopiedArgsPointIntoTheirOwnStorage) {
  KernelArgs original = KernelArgs::of(1, 2.0f);
  const KernelArgs copy = original;
  original = KernelArgs::of(5, 6.0f);
  int first = 0;
  std::memcpy(&first, copy.pointers()[0], sizeof(int));
  EXPECT_EQ(first, 1);
}

const std::vector<ParamInfo> kSaxpyParams = {{0, 4}, {4, 4}, {8, 8}, {16, 8}};

TEST(CheckArguments, AcceptsMatchingSizes) {
  const float* x = nullptr;
  float* y = nullptr;
  EXPECT_NO_THROW(check_arguments("saxpy", kSaxpyParams, KernelArgs::of(16, 2.0f, x, y)));
}

TEST(CheckArguments, RefusesWrongCount) {
  const float* x = nullptr;
  const std::string message = message_of_invalid_argument(
      [&] { check_arguments("saxpy", kSaxpyParams, KernelArgs::of(16, 2.0f, x)); });
  EXPECT_TRUE(contains(message, "kernel 'saxpy' takes 4 parameters, got 3")) << message;
}

TEST(CheckArguments, RefusesWrongSizeNamingParameterAndType) {
  const float* x = nullptr;
  float* y = nullptr;
  const std::string message = message_of_invalid_argument(
      [&] { check_arguments("saxpy", kSaxpyParams, KernelArgs::of(16, 2.0, x, y)); });
  EXPECT_TRUE(contains(message, "parameter 2 of 'saxpy' is 4 bytes, argument is 8 bytes (double?)"))
      << message;
}

TEST(CheckArguments, KernelWithoutParametersTakesNoArguments) {
  EXPECT_NO_THROW(check_arguments("noop", {}, KernelArgs{}));
  const std::string message =
      message_of_invalid_argument([&] { check_arguments("noop", {}, KernelArgs::of(1)); });
  EXPECT_TRUE(contains(message, "kernel 'noop' takes 0 parameters, got 1")) << message;
}

TEST(CheckLaunchDimensions, AcceptsTheLimits) {
  EXPECT_NO_THROW(check_launch_dimensions("k", dim3(1, 1, 1), dim3(1024, 1, 1)));
  EXPECT_NO_THROW(check_launch_dimensions("k", dim3(2147483647U, 65535, 65535), dim3(16, 1, 64)));
}

TEST(CheckLaunchDimensions, RefusesZeroDimensions) {
  EXPECT_TRUE(contains(message_of_invalid_argument(
                           [] { check_launch_dimensions("k", dim3(0, 1, 1), dim3(32, 1, 1)); }),
                       "grid of 'k' is (0, 1, 1); every dimension must be at least 1"));
  EXPECT_TRUE(contains(message_of_invalid_argument(
                           [] { check_launch_dimensions("k", dim3(1, 1, 1), dim3(32, 0, 1)); }),
                       "block of 'k' is (32, 0, 1); every dimension must be at least 1"));
}

TEST(CheckLaunchDimensions, RefusesMoreThan1024ThreadsPerBlock) {
  const std::string message = message_of_invalid_argument(
      [] { check_launch_dimensions("k", dim3(1, 1, 1), dim3(32, 33, 1)); });
  EXPECT_TRUE(contains(message, "(32, 33, 1) = 1056 threads; at most 1024")) << message;
}

TEST(CheckLaunchDimensions, RefusesOversizedGridAndBlockZ) {
  EXPECT_THROW(check_launch_dimensions("k", dim3(1, 65536, 1), dim3(1, 1, 1)), InvalidArgument);
  EXPECT_THROW(check_launch_dimensions("k", dim3(1, 1, 65536), dim3(1, 1, 1)), InvalidArgument);
  EXPECT_THROW(check_launch_dimensions("k", dim3(1, 1, 1), dim3(1, 1, 65)), InvalidArgument);
}

TEST(ProgrammaticDependentLaunch, IsSupportedFromSm90On) {
  EXPECT_TRUE(supports_programmatic_dependent_launch("sm_90"));
  EXPECT_TRUE(supports_programmatic_dependent_launch("sm_90a"));
  EXPECT_TRUE(supports_programmatic_dependent_launch("sm_100"));
  EXPECT_TRUE(supports_programmatic_dependent_launch("sm_120f"));
  EXPECT_FALSE(supports_programmatic_dependent_launch("sm_89"));
  EXPECT_FALSE(supports_programmatic_dependent_launch("sm_80"));
  EXPECT_FALSE(supports_programmatic_dependent_launch("sm_75"));
  EXPECT_FALSE(supports_programmatic_dependent_launch("sm_9"));
  EXPECT_FALSE(supports_programmatic_dependent_launch("sm_"));
  EXPECT_FALSE(supports_programmatic_dependent_launch(""));
  EXPECT_FALSE(supports_programmatic_dependent_launch("hopper"));
}

TEST(LaunchAttributes, ProgrammaticSerializationOnlyWhenAskedForAndSupported) {
  LaunchOptions pdl;
  pdl.programmatic_dependent_launch = true;
  pdl.shared_mem = 4096;
  const LaunchAttributes on_hopper = launch_attributes(pdl, "sm_90");
  ASSERT_EQ(on_hopper.count, 1U);
  EXPECT_EQ(on_hopper.values[0].id, cudaLaunchAttributeProgrammaticStreamSerialization);
  EXPECT_EQ(on_hopper.values[0].val.programmaticStreamSerializationAllowed, 1);
  EXPECT_EQ(launch_attributes(pdl, "sm_86").count, 0U);  // falls back to a plain launch
  LaunchOptions plain;
  plain.shared_mem = 4096;
  EXPECT_EQ(launch_attributes(plain, "sm_90").count, 0U);
  EXPECT_EQ(launch_attributes(LaunchOptions{}, "sm_100").count, 0U);
}

// ---- GPU ---------------------------------------------------------------

// Device buffer for the test's own use (the memory wrappers are another part).
struct DeviceFloats {
  explicit DeviceFloats(const std::vector<float>& host) : count(host.size()) {
    void* raw = nullptr;
    EXPECT_EQ(cudaMalloc(&raw, count * sizeof(float)), cudaSuccess);
    data = static_cast<float*>(raw);
    EXPECT_EQ(cudaMemcpy(data, host.data(), count * sizeof(float), cudaMemcpyHostToDevice),
              cudaSuccess);
  }
  ~DeviceFloats() { (void)cudaFree(data); }
  DeviceFloats(const DeviceFloats&) = delete;
  DeviceFloats& operator=(const DeviceFloats&) = delete;
  std::vector<float> to_host() const {
    std::vector<float> host(count);
    EXPECT_EQ(cudaMemcpy(host.data(), data, count * sizeof(float), cudaMemcpyDeviceToHost),
              cudaSuccess);
    return host;
  }
  float* data = nullptr;
  std::size_t count;
};

struct SaxpyCase {
  static constexpr int kCount = 1000;
  static constexpr float kScale = 3.0f;
  std::vector<float> x = values(0.5f);
  std::vector<float> y = values(-2.0f);
  static std::vector<float> values(float step) {
    std::vector<float> v(kCount);
    for (int i = 0; i < kCount; ++i)
      v[static_cast<std::size_t>(i)] = step * static_cast<float>(i % 37);
    return v;
  }
  std::vector<float> expected() const {
    std::vector<float> out(y.size());
    for (std::size_t i = 0; i < y.size(); ++i) out[i] = kScale * x[i] + y[i];
    return out;
  }
};

void expect_saxpy_result(const std::vector<float>& actual, const std::vector<float>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    // a*x+y may be fused into one FMA on the GPU; the values are small exact
    // binary fractions, so both round to the same float.
    ASSERT_FLOAT_EQ(actual[i], expected[i]) << "at " << i;
  }
}

TEST(KernelGpu, ReadsTheParameterLayout) {
  TRTUTILS_REQUIRE_GPU();
  const Kernel kernel(kSaxpy, "saxpy", {}, "", nullptr);
  ASSERT_EQ(kernel.params().size(), 4U);
  EXPECT_EQ(kernel.params()[0].size, 4U);
  EXPECT_EQ(kernel.params()[1].size, 4U);
  EXPECT_EQ(kernel.params()[2].size, 8U);
  EXPECT_EQ(kernel.params()[3].size, 8U);
  EXPECT_EQ(kernel.params()[2].offset, 8U);
  EXPECT_EQ(kernel.arch(), current_device_arch());
  EXPECT_EQ(kernel.lowered_name(), "saxpy");
}

TEST(KernelGpu, SaxpyThroughCreateArgsAndCallMatchesCpu) {
  TRTUTILS_REQUIRE_GPU();
  const SaxpyCase data;
  DeviceFloats x(data.x);
  DeviceFloats y(data.y);
  const Kernel kernel(kSaxpy, "saxpy", {}, "", nullptr);
  const KernelArgs args = kernel.create_args(SaxpyCase::kCount, SaxpyCase::kScale,
                                             static_cast<const float*>(x.data), y.data);
  kernel.call(dim3((SaxpyCase::kCount + 255) / 256), dim3(256), nullptr, args);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  expect_saxpy_result(y.to_host(), data.expected());
}

TEST(KernelGpu, SaxpyThroughLaunchOnAStreamMatchesCpu) {
  TRTUTILS_REQUIRE_GPU();
  const SaxpyCase data;
  DeviceFloats x(data.x);
  DeviceFloats y(data.y);
  cudaStream_t stream = nullptr;
  ASSERT_EQ(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), cudaSuccess);
  const Kernel kernel(kSaxpy, "saxpy", {}, "", nullptr);
  kernel.launch(dim3((SaxpyCase::kCount + 127) / 128), dim3(128), stream, SaxpyCase::kCount,
                SaxpyCase::kScale, x.data, y.data);
  ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
  ASSERT_EQ(cudaStreamDestroy(stream), cudaSuccess);
  expect_saxpy_result(y.to_host(), data.expected());
}

TEST(KernelGpu, TemplatedKernelWithStructArgument) {
  TRTUTILS_REQUIRE_GPU();
  const char* source = R"(
struct Affine { float scale; float offset; };
template <typename T>
__global__ void affine(T* data, Affine p, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) data[i] = data[i] * p.scale + p.offset;
}
)";
  struct Affine {
    float scale;
    float offset;
  };
  std::vector<float> host = {1.0f, 2.0f, -4.0f, 0.5f, 8.0f};
  DeviceFloats data(host);
  const Kernel kernel(source, "affine<float>", {}, "", nullptr);
  kernel.launch(dim3(1), dim3(32), nullptr, data.data, Affine{2.0f, 1.0f},
                static_cast<int>(host.size()));
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  const std::vector<float> result = data.to_host();
  for (std::size_t i = 0; i < host.size(); ++i) EXPECT_EQ(result[i], host[i] * 2.0f + 1.0f);
}

TEST(KernelGpu, WrongArgumentCountIsRefusedBeforeLaunch) {
  TRTUTILS_REQUIRE_GPU();
  const SaxpyCase data;
  DeviceFloats y(data.y);
  const Kernel kernel(kSaxpy, "saxpy", {}, "", nullptr);
  const std::string message = message_of_invalid_argument([&] {
    kernel.launch(dim3(4), dim3(256), nullptr, SaxpyCase::kCount, SaxpyCase::kScale, y.data);
  });
  EXPECT_TRUE(contains(message, "kernel 'saxpy' takes 4 parameters, got 3")) << message;
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_EQ(y.to_host(), data.y);  // nothing ran
}

TEST(KernelGpu, WrongArgumentSizeIsRefusedBeforeLaunch) {
  TRTUTILS_REQUIRE_GPU();
  const SaxpyCase data;
  DeviceFloats x(data.x);
  DeviceFloats y(data.y);
  const Kernel kernel(kSaxpy, "saxpy", {}, "", nullptr);
  const KernelArgs args = kernel.create_args(SaxpyCase::kCount, 3.0, x.data, y.data);
  const std::string message =
      message_of_invalid_argument([&] { kernel.call(dim3(4), dim3(256), nullptr, args); });
  EXPECT_TRUE(contains(message, "parameter 2 of 'saxpy' is 4 bytes, argument is 8 bytes (double?)"))
      << message;
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_EQ(y.to_host(), data.y);
}

TEST(KernelGpu, BadBlockIsRefusedBeforeLaunch) {
  TRTUTILS_REQUIRE_GPU();
  const Kernel kernel(kSaxpy, "saxpy", {}, "", nullptr);
  float* none = nullptr;
  EXPECT_THROW(kernel.launch(dim3(1), dim3(2048), nullptr, 0, 1.0f, none, none), InvalidArgument);
}

TEST(KernelGpu, SecondLoadHitsTheDiskCache) {
  TRTUTILS_REQUIRE_GPU();
  const std::filesystem::path directory = std::filesystem::temp_directory_path() /
                                          ("trtutils_kernel_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(directory);
  KernelCache cache({directory, true});
  const SaxpyCase data;
  DeviceFloats x(data.x);
  DeviceFloats y(data.y);
  { const Kernel first(kSaxpy, "saxpy", {}, "", &cache); }
  EXPECT_EQ(cache.stats().misses, 1U);
  const Kernel second(kSaxpy, "saxpy", {}, "", &cache);
  EXPECT_EQ(cache.stats().hits, 1U);
  second.launch(dim3((SaxpyCase::kCount + 255) / 256), dim3(256), nullptr, SaxpyCase::kCount,
                SaxpyCase::kScale, x.data, y.data);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  expect_saxpy_result(y.to_host(), data.expected());
  std::filesystem::remove_all(directory);
}

TEST(KernelGpu, MovedKernelStillLaunchesAndTheSourceRefuses) {
  TRTUTILS_REQUIRE_GPU();
  const SaxpyCase data;
  DeviceFloats x(data.x);
  DeviceFloats y(data.y);
  Kernel original(kSaxpy, "saxpy", {}, "", nullptr);
  const Kernel moved = std::move(original);
  moved.launch(dim3((SaxpyCase::kCount + 255) / 256), dim3(256), nullptr, SaxpyCase::kCount,
               SaxpyCase::kScale, x.data, y.data);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  expect_saxpy_result(y.to_host(), data.expected());
  // NOLINTNEXTLINE(bugprone-use-after-move): the moved-from state is what is tested.
  EXPECT_THROW(original.launch(dim3(1), dim3(1), nullptr, 0, 1.0f, x.data, y.data),
               InvalidArgument);
}

TEST(KernelGpu, CompileErrorSurfacesAsNvrtcError) {
  TRTUTILS_REQUIRE_GPU();
  EXPECT_THROW(Kernel("extern \"C\" __global__ void k( {", "k", {}, "", nullptr), NvrtcError);
}

// Kernels for the PDL tests: the "slow" ones let dependents launch at once, then
// spin before touching memory, so that a dependent which did not wait would see the
// old values; the "waiting" ones execute griddepcontrol.wait first.
constexpr const char* kPdlKernels = R"(
__device__ void allow_dependents() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;");
#endif
}
__device__ void wait_for_previous() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}
__device__ void spin(long long cycles) {
  const long long start = clock64();
  while (clock64() - start < cycles) {}
}
extern "C" __global__ void slow_fill(int* data, int n, int value, long long cycles) {
  allow_dependents();
  spin(cycles);
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) data[i] = value;
}
extern "C" __global__ void slow_copy(const int* in, int* out, int n, long long cycles) {
  allow_dependents();
  spin(cycles);
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = in[i];
}
extern "C" __global__ void waiting_fill(int* data, int n, int value) {
  wait_for_previous();
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) data[i] = value;
}
extern "C" __global__ void waiting_copy(const int* in, int* out, int n) {
  wait_for_previous();
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = in[i];
}
)";

struct PdlChain {
  static constexpr int kCount = 1 << 16;
  static constexpr long long kSpinCycles = 200000;  // ~0.1 ms: far longer than a launch
  Kernel slow_fill{kPdlKernels, "slow_fill", {}, "", nullptr};
  Kernel slow_copy{kPdlKernels, "slow_copy", {}, "", nullptr};
  Kernel waiting_fill{kPdlKernels, "waiting_fill", {}, "", nullptr};
  Kernel waiting_copy{kPdlKernels, "waiting_copy", {}, "", nullptr};
  DeviceBuffer data{kCount * sizeof(int)};
  DeviceBuffer seen{kCount * sizeof(int)};
  DeviceBuffer kept{kCount * sizeof(int)};

  // Read-after-write: a slow writer, then a PDL reader (seen must hold `value`).
  // Write-after-read: a slow reader, then a PDL writer (kept must hold `value`, not
  // value + 1, and data ends as value + 1).
  void enqueue(StreamView stream, int value) {
    const dim3 grid(kCount / 256);
    const dim3 block(256);
    LaunchOptions pdl;
    pdl.programmatic_dependent_launch = true;
    int* d = static_cast<int*>(data.data());
    int* s = static_cast<int*>(seen.data());
    int* k = static_cast<int*>(kept.data());
    slow_fill.call(grid, block, stream, slow_fill.create_args(d, kCount, value, kSpinCycles));
    waiting_copy.call(grid, block, stream,
                      waiting_copy.create_args(static_cast<const int*>(d), s, kCount), pdl);
    slow_copy.call(grid, block, stream,
                   slow_copy.create_args(static_cast<const int*>(d), k, kCount, kSpinCycles));
    waiting_fill.call(grid, block, stream, waiting_fill.create_args(d, kCount, value + 1), pdl);
  }

  void expect(int value) const {
    const auto read = [](const DeviceBuffer& buffer) {
      std::vector<int> host(kCount);
      memcpy_device_to_host(host.data(), buffer.data(), kCount * sizeof(int));
      return host;
    };
    const std::vector<int> s = read(seen), k = read(kept), d = read(data);
    for (int i = 0; i < kCount; ++i) {
      const auto u = static_cast<std::size_t>(i);
      ASSERT_EQ(s[u], value) << "read-after-write: element " << i << " read before it was written";
      ASSERT_EQ(k[u], value) << "write-after-read: element " << i << " overwritten before read";
      ASSERT_EQ(d[u], value + 1) << "element " << i;
    }
  }
};

TEST(KernelGpu, ProgrammaticLaunchWaitsForTheKernelBeforeIt) {
  TRTUTILS_REQUIRE_GPU();
  PdlChain chain;
  const Stream stream;
  chain.enqueue(stream, 7);
  chain.enqueue(stream, 20);  // back to back on one stream
  stream.synchronize();
  chain.expect(20);
  chain.enqueue(stream, 40);
  stream.synchronize();
  chain.expect(40);
}

TEST(KernelGpu, ProgrammaticLaunchIsCapturedAsProgrammaticEdges) {
  TRTUTILS_REQUIRE_GPU();
  PdlChain chain;
  const Stream stream;
  const CudaGraph graph = capture_graph(stream, [&](StreamView s) {
    chain.enqueue(s, 100);
    chain.enqueue(s, 200);
  });
  std::size_t edges = 0;
  ASSERT_EQ(cudaGraphGetEdges(graph.handle(), nullptr, nullptr, nullptr, &edges), cudaSuccess);
  std::vector<cudaGraphNode_t> from(edges), to(edges);
  std::vector<cudaGraphEdgeData> kinds(edges);
  ASSERT_EQ(cudaGraphGetEdges(graph.handle(), from.data(), to.data(), kinds.data(), &edges),
            cudaSuccess);
  std::size_t programmatic = 0;
  for (const cudaGraphEdgeData& kind : kinds)
    programmatic += kind.type == cudaGraphDependencyTypeProgrammatic ? 1 : 0;
  // Two PDL launches per enqueue; a GPU before sm_90 launches them plainly.
  EXPECT_EQ(programmatic, supports_programmatic_dependent_launch(current_device_arch()) ? 4U : 0U);
  const GraphExec exec(graph);
  exec.launch(stream);
  exec.launch(stream);
  stream.synchronize();
  chain.expect(200);
}

}  // namespace
}  // namespace trtutils::core
