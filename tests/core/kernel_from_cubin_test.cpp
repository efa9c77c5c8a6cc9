// Loading a kernel from an already-compiled cubin (as the engine runtime does
// with the cubins stored in a plan). Reading a cubin's architecture is pure
// and runs everywhere; loading and launching needs a GPU.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "gpu_test_support.hpp"
#include "trtutils/core/kernel.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/core/nvrtc_compiler.hpp"

namespace trtutils::core {
namespace {

constexpr const char* kAddOne = R"(
extern "C" __global__ void add_one(int n, const float* x, float* y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = x[i] + 1.0f;
}
)";

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "(no InvalidArgument thrown)";
}

TEST(CubinArch, ReadsTheArchitectureNvrtcCompiledFor) {
  for (const char* arch : {"sm_75", "sm_80", "sm_86", "sm_89", "sm_90", "sm_100", "sm_120"}) {
    const CompiledKernel compiled = compile_to_cubin(kAddOne, "add_one", {}, arch);
    EXPECT_EQ(cubin_arch(compiled.code), arch);
  }
}

TEST(CubinArch, FeatureSuffixIsNotRecordedSoSm90aReadsAsSm90) {
  const CompiledKernel compiled = compile_to_cubin(kAddOne, "add_one", {}, "sm_90a");
  EXPECT_EQ(cubin_arch(compiled.code), "sm_90");
}

TEST(CubinArch, RefusesBytesThatAreNoCubin) {
  EXPECT_NE(error_of([] { (void)cubin_arch("short"); }).find("not a cubin"), std::string::npos);
  std::string elf_for_x86(64, '\0');
  elf_for_x86.replace(0, 4,
                      "\x7f"
                      "ELF");
  elf_for_x86[4] = 2;
  elf_for_x86[18] = 62;  // EM_X86_64
  EXPECT_NE(error_of([&] { (void)cubin_arch(elf_for_x86); }).find("machine 62"), std::string::npos);
  const CompiledKernel ptx = compile_to_ptx(kAddOne, "add_one", {}, "compute_90");
  EXPECT_NE(error_of([&] { (void)cubin_arch(ptx.code); }).find("not a cubin"), std::string::npos);
}

TEST(KernelFromCubin, LaunchesWithoutCompiling) {
  TRTUTILS_REQUIRE_GPU();
  const CompiledKernel compiled = compile_to_cubin(kAddOne, "add_one", {}, current_device_arch());
  Kernel kernel = Kernel::from_cubin(compiled.code, compiled.lowered_name, "add_one");
  EXPECT_EQ(kernel.name(), "add_one");
  EXPECT_EQ(kernel.arch(), current_device_arch());
  ASSERT_EQ(kernel.params().size(), 3U);
  std::vector<float> host = {1.5f, -2.0f, 0.0f, 41.0f, 7.25f};
  const int n = static_cast<int>(host.size());
  DeviceBuffer x(host.size() * sizeof(float));
  DeviceBuffer y(host.size() * sizeof(float));
  memcpy_host_to_device(x.data(), host.data(), x.size());
  kernel.launch(dim3(1), dim3(32), StreamView{}, n, static_cast<const float*>(x.data()),
                static_cast<float*>(y.data()));
  std::vector<float> out(host.size());
  memcpy_device_to_host(out.data(), y.data(), y.size());
  for (std::size_t i = 0; i < host.size(); ++i) EXPECT_EQ(out[i], host[i] + 1.0f) << i;
}

TEST(KernelFromCubin, CompiledKernelConstructorLoadsTheSame) {
  TRTUTILS_REQUIRE_GPU();
  const CompiledKernel compiled = compile_to_cubin(kAddOne, "add_one", {}, current_device_arch());
  Kernel kernel(compiled);
  EXPECT_EQ(kernel.lowered_name(), "add_one");
  EXPECT_EQ(kernel.params().size(), 3U);
}

TEST(KernelFromCubin, RefusesACubinForAnotherArchitecture) {
  TRTUTILS_REQUIRE_GPU();
  const std::string here = current_device_arch();
  const std::string other = here == "sm_80" ? "sm_86" : "sm_80";
  const CompiledKernel compiled = compile_to_cubin(kAddOne, "add_one", {}, other);
  const std::string message =
      error_of([&] { (void)Kernel::from_cubin(compiled.code, "add_one", "add_one"); });
  EXPECT_NE(message.find("compiled for " + other + ", this GPU is " + here), std::string::npos)
      << message;
}

TEST(KernelFromCubin, RefusesPtx) {
  const CompiledKernel ptx = compile_to_ptx(kAddOne, "add_one", {}, "compute_90");
  EXPECT_NE(error_of([&] { Kernel kernel(ptx); }).find("only a cubin"), std::string::npos);
}

}  // namespace
}  // namespace trtutils::core
