#include "trtutils/core/nvrtc_compiler.hpp"

#include <nvrtc.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>

#include "trtutils/core/cuda_check.hpp"

#ifndef TRTUTILS_CUDA_INCLUDE_DIRS
#define TRTUTILS_CUDA_INCLUDE_DIRS "/usr/local/cuda/include"
#endif

namespace trtutils::core {

namespace {

struct ProgramDeleter {
  void operator()(nvrtcProgram program) const noexcept { (void)nvrtcDestroyProgram(&program); }
};
using ProgramHandle = std::unique_ptr<std::remove_pointer_t<nvrtcProgram>, ProgramDeleter>;

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(separator, start), text.size());
    if (end > start) parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

bool starts_with_any(const std::string& option, std::initializer_list<std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](std::string_view prefix) { return option.rfind(prefix, 0) == 0; });
}

// "sm_90" / "sm_90a" / "compute_90": family, then digits, then an optional
// feature-set letter.
bool split_arch(std::string_view arch, std::string_view& family, std::string_view& version) {
  const std::size_t underscore = arch.find('_');
  if (underscore == std::string_view::npos) return false;
  family = arch.substr(0, underscore);
  version = arch.substr(underscore + 1);
  if (family != "sm" && family != "compute") return false;
  std::size_t digits = 0;
  while (digits < version.size() && std::isdigit(static_cast<unsigned char>(version[digits]))) {
    ++digits;
  }
  if (digits < 2) return false;
  const std::size_t rest = version.size() - digits;
  return rest == 0 || (rest == 1 && std::islower(static_cast<unsigned char>(version.back())) != 0);
}

std::string program_log(nvrtcProgram program) {
  std::size_t size = 0;
  if (nvrtcGetProgramLogSize(program, &size) != NVRTC_SUCCESS || size <= 1) return {};
  std::string log(size, '\0');
  if (nvrtcGetProgramLog(program, log.data()) != NVRTC_SUCCESS) return {};
  log.resize(size - 1);  // drop the terminator
  return log;
}

std::string program_code(nvrtcProgram program, CodeKind kind) {
  std::size_t size = 0;
  std::string code;
  if (kind == CodeKind::ptx) {
    TRTUTILS_NVRTC_CHECK(nvrtcGetPTXSize(program, &size));
    code.resize(size);
    TRTUTILS_NVRTC_CHECK(nvrtcGetPTX(program, code.data()));
    while (!code.empty() && code.back() == '\0') code.pop_back();
  } else {
    TRTUTILS_NVRTC_CHECK(nvrtcGetCUBINSize(program, &size));
    code.resize(size);
    TRTUTILS_NVRTC_CHECK(nvrtcGetCUBIN(program, code.data()));
  }
  return code;
}

}  // namespace

const char* to_string(CodeKind kind) noexcept { return kind == CodeKind::ptx ? "ptx" : "cubin"; }

std::string nvrtc_target_arch(CodeKind kind, std::string_view arch) {
  std::string_view family;
  std::string_view version;
  TRTUTILS_CHECK(split_arch(arch, family, version), "GPU architecture '", arch,
                 "' is not understood; use the form sm_90 (real) or compute_90 (virtual)");
  if (kind == CodeKind::ptx) return detail::concat("compute_", version);
  TRTUTILS_CHECK(family == "sm", "a cubin needs a real GPU architecture such as sm_", version,
                 ", got '", arch, "'; compile_to_ptx takes virtual architectures");
  return std::string(arch);
}

std::vector<std::string> cuda_include_dirs() {
  const char* overridden = std::getenv("TRTUTILS_CUDA_INCLUDE_DIR");
  if (overridden != nullptr && *overridden != '\0') return split(overridden, ':');
  return split(TRTUTILS_CUDA_INCLUDE_DIRS, ':');
}

std::vector<std::string> nvrtc_effective_options(CodeKind kind,
                                                 const std::vector<std::string>& options,
                                                 std::string_view arch) {
  bool has_std = false;
  for (const std::string& option : options) {
    TRTUTILS_CHECK(!starts_with_any(option, {"-arch", "--gpu-architecture", "--gpu_architecture"}),
                   "option '", option,
                   "' names the GPU architecture; pass it as the arch argument instead");
    has_std = has_std || starts_with_any(option, {"-std", "--std"});
  }
  std::vector<std::string> effective{"--gpu-architecture=" + nvrtc_target_arch(kind, arch)};
  if (!has_std) effective.emplace_back("-std=c++17");
  effective.emplace_back("-default-device");
  for (const std::string& dir : cuda_include_dirs()) effective.push_back("-I" + dir);
  effective.insert(effective.end(), options.begin(), options.end());
  return effective;
}

std::string nvrtc_version() {
  int major = 0;
  int minor = 0;
  TRTUTILS_NVRTC_CHECK(nvrtcVersion(&major, &minor));
  return detail::concat(major, ".", minor);
}

CompiledKernel compile_kernel(CodeKind kind, std::string_view source,
                              std::string_view name_expression,
                              const std::vector<std::string>& options, std::string_view arch) {
  TRTUTILS_CHECK(!name_expression.empty(),
                 "the kernel name expression is empty; pass the name "
                 "of the __global__ function, e.g. \"saxpy\"");
  const std::vector<std::string> effective = nvrtc_effective_options(kind, options, arch);
  std::vector<const char*> option_pointers;
  option_pointers.reserve(effective.size());
  for (const std::string& option : effective) option_pointers.push_back(option.c_str());

  const std::string source_text(source);
  const std::string name(name_expression);
  // The program name prefixes every line of the log: "saxpy.cu(3): error: ...".
  const std::string program_name = name + ".cu";
  nvrtcProgram raw = nullptr;
  TRTUTILS_NVRTC_CHECK(
      nvrtcCreateProgram(&raw, source_text.c_str(), program_name.c_str(), 0, nullptr, nullptr));
  const ProgramHandle program(raw);
  TRTUTILS_NVRTC_CHECK(nvrtcAddNameExpression(program.get(), name.c_str()));

  const nvrtcResult status = nvrtcCompileProgram(
      program.get(), static_cast<int>(option_pointers.size()), option_pointers.data());
  std::string log = program_log(program.get());
  if (status != NVRTC_SUCCESS) {
    detail::throw_nvrtc_error(
        static_cast<int>(status),
        detail::concat("nvrtcCompileProgram('", name, "' for ", effective.front(), ")").c_str(),
        __FILE__, __LINE__, log);
  }

  const char* lowered = nullptr;
  TRTUTILS_NVRTC_CHECK(nvrtcGetLoweredName(program.get(), name.c_str(), &lowered));
  CompiledKernel compiled;
  compiled.kind = kind;
  compiled.name_expression = name;
  compiled.lowered_name = lowered;
  compiled.arch = nvrtc_target_arch(kind, arch);
  compiled.code = program_code(program.get(), kind);
  compiled.log = std::move(log);
  return compiled;
}

CompiledKernel compile_to_ptx(std::string_view source, std::string_view name_expression,
                              const std::vector<std::string>& options, std::string_view arch) {
  return compile_kernel(CodeKind::ptx, source, name_expression, options, arch);
}

CompiledKernel compile_to_cubin(std::string_view source, std::string_view name_expression,
                                const std::vector<std::string>& options, std::string_view arch) {
  return compile_kernel(CodeKind::cubin, source, name_expression, options, arch);
}

}  // namespace trtutils::core
