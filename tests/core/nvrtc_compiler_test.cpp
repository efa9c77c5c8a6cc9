// NVRTC compilation needs no GPU: every test here runs on CPU-only machines.
#include "trtutils/core/nvrtc_compiler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace trtutils::core {
namespace {

constexpr const char* kSaxpy = R"(
extern "C" __global__ void saxpy(int n, float a, const float* x, float* y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i] + y[i];
}
)";

constexpr const char* kTemplated = R"(
namespace ops {
template <typename T>
__global__ void scale(T* data, T factor, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) data[i] *= factor;
}
}  // namespace ops
)";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(NvrtcCompiler, PtxHasEntryWithTheExternCName) {
  const CompiledKernel compiled = compile_to_ptx(kSaxpy, "saxpy", {}, "compute_90");
  EXPECT_EQ(compiled.kind, CodeKind::ptx);
  EXPECT_EQ(compiled.lowered_name, "saxpy");
  EXPECT_EQ(compiled.arch, "compute_90");
  EXPECT_TRUE(contains(compiled.code, ".entry saxpy(")) << compiled.code.substr(0, 600);
  EXPECT_TRUE(contains(compiled.code, ".target sm_90"));
}

TEST(NvrtcCompiler, PtxForRealArchIsCompiledForItsVirtualArch) {
  const CompiledKernel compiled = compile_to_ptx(kSaxpy, "saxpy", {}, "sm_90");
  EXPECT_EQ(compiled.arch, "compute_90");
  EXPECT_TRUE(contains(compiled.code, ".target sm_90"));
}

TEST(NvrtcCompiler, TemplatedKernelGetsItsMangledLoweredName) {
  const CompiledKernel compiled = compile_to_ptx(kTemplated, "ops::scale<float>", {}, "compute_90");
  // Itanium mangling of ops::scale<float>(float*, float, int).
  EXPECT_EQ(compiled.lowered_name, "_ZN3ops5scaleIfEEvPT_S1_i");
  EXPECT_TRUE(contains(compiled.code, ".entry " + compiled.lowered_name + "("));
}

TEST(NvrtcCompiler, TwoInstantiationsLowerToDifferentNames) {
  const CompiledKernel as_float = compile_to_ptx(kTemplated, "ops::scale<float>", {}, "compute_90");
  const CompiledKernel as_int = compile_to_ptx(kTemplated, "ops::scale<int>", {}, "compute_90");
  EXPECT_NE(as_float.lowered_name, as_int.lowered_name);
  EXPECT_TRUE(contains(as_int.code, ".entry " + as_int.lowered_name + "("));
}

TEST(NvrtcCompiler, CubinForSm90IsAnElfImage) {
  const CompiledKernel compiled = compile_to_cubin(kSaxpy, "saxpy", {}, "sm_90");
  EXPECT_EQ(compiled.kind, CodeKind::cubin);
  EXPECT_EQ(compiled.arch, "sm_90");
  ASSERT_GT(compiled.code.size(), 4U);
  EXPECT_EQ(compiled.code.substr(0, 4), std::string("\x7f"
                                                    "ELF"));
  EXPECT_TRUE(contains(compiled.code, "saxpy"));  // the symbol table names the kernel
}

TEST(NvrtcCompiler, CubinRefusesVirtualArch) {
  try {
    (void)compile_to_cubin(kSaxpy, "saxpy", {}, "compute_90");
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_TRUE(contains(e.what(), "real GPU architecture such as sm_90")) << e.what();
  }
}

TEST(NvrtcCompiler, MalformedArchIsRefused) {
  EXPECT_THROW((void)compile_to_ptx(kSaxpy, "saxpy", {}, "hopper"), InvalidArgument);
  EXPECT_THROW((void)compile_to_cubin(kSaxpy, "saxpy", {}, "sm_"), InvalidArgument);
  EXPECT_EQ(nvrtc_target_arch(CodeKind::cubin, "sm_90a"), "sm_90a");
  EXPECT_EQ(nvrtc_target_arch(CodeKind::ptx, "sm_90a"), "compute_90a");
}

TEST(NvrtcCompiler, ArchInOptionsIsRefused) {
  EXPECT_THROW((void)compile_to_ptx(kSaxpy, "saxpy", {"-arch=compute_80"}, "compute_90"),
               InvalidArgument);
}

TEST(NvrtcCompiler, SyntaxErrorThrowsWithLogNamingTheLine) {
  // Line 1 is the empty line after R"(; the ';' missing at the end of line 3
  // is found at the '}' on line 4.
  const char* broken = R"(
extern "C" __global__ void broken(float* y) {
  y[0] = 1.0f
}
)";
  try {
    (void)compile_to_cubin(broken, "broken", {}, "sm_90");
    FAIL() << "expected NvrtcError";
  } catch (const NvrtcError& e) {
    EXPECT_EQ(e.error_name(), "NVRTC_ERROR_COMPILATION");
    EXPECT_TRUE(contains(e.log(), "broken.cu(4): error")) << e.log();
    EXPECT_TRUE(contains(e.what(), e.log())) << e.what();
  }
}

TEST(NvrtcCompiler, UnknownKernelNameIsACompileError) {
  EXPECT_THROW((void)compile_to_ptx(kSaxpy, "not_there", {}, "compute_90"), NvrtcError);
}

TEST(NvrtcCompiler, CudaHeadersAreOnTheIncludePath) {
  const char* with_half = R"(
#include <cuda_fp16.h>
extern "C" __global__ void to_half(const float* x, __half* y) { y[0] = __float2half(x[0]); }
)";
  const CompiledKernel compiled = compile_to_ptx(with_half, "to_half", {}, "compute_90");
  EXPECT_TRUE(contains(compiled.code, ".entry to_half("));
}

TEST(NvrtcCompiler, DefaultsAreCxx17AndDefaultDeviceWithoutFastMath) {
  const std::vector<std::string> options = nvrtc_effective_options(CodeKind::cubin, {}, "sm_90");
  ASSERT_FALSE(options.empty());
  EXPECT_EQ(options.front(), "--gpu-architecture=sm_90");
  auto has = [&](const std::string& option) {
    return std::find(options.begin(), options.end(), option) != options.end();
  };
  EXPECT_TRUE(has("-std=c++17"));
  EXPECT_TRUE(has("-default-device"));
  EXPECT_FALSE(has("--use_fast_math"));
  const std::vector<std::string> with_std =
      nvrtc_effective_options(CodeKind::cubin, {"-std=c++20"}, "sm_90");
  EXPECT_EQ(std::count(with_std.begin(), with_std.end(), "-std=c++17"), 0);
}

TEST(NvrtcCompiler, DefaultDeviceLetsPlainFunctionsBeCalledFromKernels) {
  const char* source = R"(
float twice(float v) { return 2.0f * v; }
extern "C" __global__ void apply(float* y) { y[0] = twice(y[0]); }
)";
  EXPECT_NO_THROW((void)compile_to_ptx(source, "apply", {}, "compute_90"));
}

TEST(NvrtcCompiler, UserOptionsReachTheCompiler) {
  const char* source = R"(
#ifndef FACTOR
#error FACTOR must be defined
#endif
extern "C" __global__ void k(float* y) { y[0] = FACTOR; }
)";
  EXPECT_THROW((void)compile_to_ptx(source, "k", {}, "compute_90"), NvrtcError);
  EXPECT_NO_THROW((void)compile_to_ptx(source, "k", {"-DFACTOR=3.0f"}, "compute_90"));
}

TEST(NvrtcCompiler, IncludeDirsCanBeOverriddenByEnvironment) {
  ::setenv("TRTUTILS_CUDA_INCLUDE_DIR", "/opt/a:/opt/b", 1);
  const std::vector<std::string> dirs = cuda_include_dirs();
  ::unsetenv("TRTUTILS_CUDA_INCLUDE_DIR");
  EXPECT_EQ(dirs, (std::vector<std::string>{"/opt/a", "/opt/b"}));
  EXPECT_FALSE(cuda_include_dirs().empty());
}

TEST(NvrtcCompiler, VersionIsMajorDotMinor) {
  const std::string version = nvrtc_version();
  EXPECT_NE(version.find('.'), std::string::npos) << version;
  EXPECT_GE(std::atoi(version.c_str()), 12);
}

}  // namespace
}  // namespace trtutils::core
