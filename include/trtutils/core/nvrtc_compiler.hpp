#pragma once
// Run-time compilation of CUDA C++ source with NVRTC. Needs no GPU: the target
// architecture is named explicitly ("sm_90" for a cubin, "compute_90" for PTX).
//
// The kernel is named by a *name expression* ("saxpy", "scale<float>",
// "ns::relu"); NVRTC reports the lowered (mangled) symbol it compiled to, so
// extern "C", C++-mangled and templated __global__ functions all work the same.
// See https://docs.nvidia.com/cuda/nvrtc/ ("Accessing Lowered Names").
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trtutils/core/error.hpp"

namespace trtutils::core {

/// What NVRTC is asked to produce.
enum class CodeKind : std::uint8_t {
  ptx = 1,    ///< PTX text for a virtual architecture (compute_XY); JIT-compiled at load
  cubin = 2,  ///< machine code (SASS) for one real architecture (sm_XY); loads without JIT
};

/// Printable name of a CodeKind ("ptx" / "cubin").
const char* to_string(CodeKind kind) noexcept;

/// The result of one compilation.
struct CompiledKernel {
  CodeKind kind = CodeKind::cubin;
  std::string name_expression;  ///< as asked for, e.g. "scale<float>"
  std::string lowered_name;     ///< the symbol in the module, e.g. "_Z5scaleIfEvPT_i"
  std::string arch;             ///< as compiled: "sm_90" for cubin, "compute_90" for PTX
  std::string code;             ///< PTX text or cubin bytes (binary; no terminator)
  std::string log;              ///< NVRTC's log (warnings); empty when none
};

/// Compiles `source` to PTX. `arch` is "compute_XY" (or "sm_XY", which is
/// taken as its virtual counterpart compute_XY). Throws NvrtcError with the
/// full NVRTC log on a compile error, InvalidArgument on a malformed arch or
/// option.
CompiledKernel compile_to_ptx(std::string_view source, std::string_view name_expression,
                              const std::vector<std::string>& options, std::string_view arch);

/// Compiles `source` to a cubin for the real architecture `arch` ("sm_90").
/// A virtual architecture ("compute_90") is refused with InvalidArgument.
CompiledKernel compile_to_cubin(std::string_view source, std::string_view name_expression,
                                const std::vector<std::string>& options, std::string_view arch);

/// compile_to_ptx or compile_to_cubin by `kind`.
CompiledKernel compile_kernel(CodeKind kind, std::string_view source,
                              std::string_view name_expression,
                              const std::vector<std::string>& options, std::string_view arch);

/// The architecture option NVRTC gets for `kind`: validates `arch`
/// ("sm_90", "sm_90a", "compute_90") and maps sm_XY to compute_XY for PTX.
std::string nvrtc_target_arch(CodeKind kind, std::string_view arch);

/// Every option NVRTC is given: the architecture, the defaults (-std=c++17
/// unless the caller names a -std, -default-device, -I for each CUDA include
/// directory), then the caller's `options`. --use_fast_math is never added.
/// The caller must not name the architecture in `options` (InvalidArgument).
std::vector<std::string> nvrtc_effective_options(CodeKind kind,
                                                 const std::vector<std::string>& options,
                                                 std::string_view arch);

/// Directories holding the CUDA headers (cuda_fp16.h, ...): the
/// ':'-separated list in env TRTUTILS_CUDA_INCLUDE_DIR when set, otherwise
/// the CUDA toolkit include directories known at build time.
std::vector<std::string> cuda_include_dirs();

/// NVRTC's version, "major.minor".
std::string nvrtc_version();

}  // namespace trtutils::core
