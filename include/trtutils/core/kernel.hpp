#pragma once
// A CUDA kernel compiled from source at run time and launched with checked
// arguments, after the Python trtutils Kernel:
//
//   Kernel kernel(source, "saxpy");
//   KernelArgs args = kernel.create_args(n, 2.0f, x_ptr, y_ptr);
//   kernel.call(grid, block, stream, args);
//   kernel.launch(grid, block, stream, n, 2.0f, x_ptr, y_ptr);  // same, in one step
//
// The source is compiled to a cubin for the current device's architecture (no
// PTX JIT), loaded as a cudaLibrary_t, and its parameter layout read with
// cudaFuncGetParamInfo. Every launch first compares the arguments' count and
// byte sizes with that layout and refuses a mismatch before anything reaches the
// GPU: a 'double' passed for a 'float' parameter is an error, not garbage.
#include <cuda_runtime_api.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "trtutils/core/kernel_cache.hpp"
#include "trtutils/core/stream.hpp"

namespace trtutils::core {

/// One kernel parameter in the device-side parameter layout.
struct ParamInfo {
  std::size_t offset = 0;
  std::size_t size = 0;
};

namespace detail {
template <typename T>
constexpr const char* argument_type_name() {
  if constexpr (std::is_pointer_v<T> || std::is_null_pointer_v<T>)
    return "pointer";
  else if constexpr (std::is_same_v<T, float>)
    return "float";
  else if constexpr (std::is_same_v<T, double>)
    return "double";
  else if constexpr (std::is_same_v<T, bool>)
    return "bool";
  else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>)
    return "signed integer";
  else if constexpr (std::is_integral_v<T>)
    return "unsigned integer";
  else if constexpr (std::is_enum_v<T>)
    return "enum";
  else
    return "struct";
}
}  // namespace detail

/// Kernel arguments by value: each one's bytes, size and a type description
/// (for error messages). Holds copies, so temporaries may be passed.
class KernelArgs {
 public:
  KernelArgs() = default;
  KernelArgs(const KernelArgs& other);
  KernelArgs& operator=(const KernelArgs& other);
  // Moving a vector keeps its buffer, so the cached pointers stay valid.
  KernelArgs(KernelArgs&&) noexcept = default;
  KernelArgs& operator=(KernelArgs&&) noexcept = default;
  ~KernelArgs() = default;

  template <typename... Args>
  static KernelArgs of(const Args&... args) {
    KernelArgs packed;
    (packed.push(args), ...);
    return packed;
  }

  /// Appends one argument. Only trivially copyable values (pointers, scalars,
  /// plain structs) can cross to the device by value.
  template <typename T>
  void push(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>,
                  "kernel arguments must be trivially copyable (pointers, scalars, plain structs)");
    static_assert(!std::is_array_v<T>, "pass a pointer to the array's device memory instead");
    push_bytes(&value, sizeof(T), alignof(T), detail::argument_type_name<T>());
  }

  /// Appends `size` bytes copied from `data`, aligned to `alignment`.
  void push_bytes(const void* data, std::size_t size, std::size_t alignment,
                  const char* type_name = "bytes");

  std::size_t count() const noexcept { return entries_.size(); }
  std::size_t size_of(std::size_t index) const { return entries_.at(index).size; }
  const char* type_name_of(std::size_t index) const { return entries_.at(index).type_name; }
  /// Pointers to each argument's bytes, as cudaLaunchKernel wants them. Valid
  /// until this object is changed or destroyed.
  const std::vector<void*>& pointers() const noexcept { return pointers_; }

 private:
  struct Entry {
    std::size_t offset;
    std::size_t size;
    const char* type_name;
  };
  // Each argument sits at a multiple of its alignment within storage_, which is
  // itself max_align_t aligned.
  std::vector<std::max_align_t> storage_;
  std::size_t used_ = 0;
  std::vector<Entry> entries_;
  std::vector<void*> pointers_;  // one per entry, into storage_
};

/// Throws InvalidArgument unless `args` matches `params` in count and in
/// each argument's byte size, e.g. "kernel 'saxpy' takes 4 parameters, got 3"
/// or "parameter 2 of 'saxpy' is 4 bytes, argument is 8 bytes (double?)".
/// Parameters are numbered from 1.
void check_arguments(std::string_view kernel_name, const std::vector<ParamInfo>& params,
                     const KernelArgs& args);

/// Throws InvalidArgument for a launch configuration no GPU accepts: a zero
/// dimension, more than 1024 threads per block, block.z > 64, grid.y or
/// grid.z > 65535, grid.x > 2^31 - 1.
void check_launch_dimensions(std::string_view kernel_name, dim3 grid, dim3 block);

/// Launch settings beyond grid, block and stream.
struct LaunchOptions {
  std::size_t shared_mem = 0;  ///< dynamic shared memory per block, bytes
  /// Programmatic dependent launch (PDL, sm_90 and newer): the grid may be scheduled, and
  /// run up to its `griddepcontrol.wait`, while the kernel before it on the stream is still
  /// finishing (once every block of that kernel has executed
  /// `griddepcontrol.launch_dependents` or exited). `griddepcontrol.wait` returns when every
  /// earlier kernel on the stream has completed and its writes are visible. So a kernel
  /// launched this way must execute `griddepcontrol.wait` before it touches global memory an
  /// earlier kernel may write (read-after-write) or still read (write-after-read). Stream
  /// capture turns the launch into a programmatic edge of the graph. On GPUs before sm_90
  /// the launch is a plain one (the instructions must then be compiled out, e.g. under
  /// `__CUDA_ARCH__ >= 900`). Only kernel-to-kernel order is relaxed: a copy, memset or
  /// event wait before the launch still completes first.
  bool programmatic_dependent_launch = false;
};

/// True for architectures ("sm_90", "sm_90a", "sm_100", ...) with programmatic dependent
/// launch: sm_90 and newer. False for older ones and for text that names no architecture.
bool supports_programmatic_dependent_launch(std::string_view arch);

/// The launch attributes `options` asks for on a device of architecture `arch`: one
/// (cudaLaunchAttributeProgrammaticStreamSerialization = 1) when PDL is asked for and
/// supported, none otherwise. Pure, so tested without a GPU.
struct LaunchAttributes {
  std::array<cudaLaunchAttribute, 1> values{};
  unsigned count = 0;
};
LaunchAttributes launch_attributes(const LaunchOptions& options, std::string_view arch);

/// The current device's real architecture, e.g. "sm_90". Needs a GPU.
std::string current_device_arch();

/// The real architecture a cubin was compiled for ("sm_90"), read from the
/// SM number in its ELF header's e_flags (bits 8-15 from CUDA ELF ABI version
/// 8 on, bits 0-7 before; the "a"/"f" feature suffixes are not recorded
/// there). InvalidArgument when `cubin` is not a CUDA ELF file. Needs no GPU.
std::string cubin_arch(std::string_view cubin);

/// A compiled, loaded kernel. Move-only; unloads its module when destroyed.
class Kernel {
 public:
  /// Compiles `source` (through `cache` unless it is null) for `arch`, which
  /// defaults to current_device_arch(), and loads it on the current device.
  Kernel(std::string_view source, std::string_view name_expression,
         const std::vector<std::string>& options = {}, std::string arch = {},
         KernelCache* cache = &KernelCache::process_default());
  /// Loads an already-compiled cubin (no NVRTC), e.g. one stored in an engine
  /// plan. InvalidArgument when `compiled` is PTX or when the cubin was
  /// compiled for another architecture than the current device's
  /// ("cubin of 'k' was compiled for sm_86, this GPU is sm_90: ...").
  explicit Kernel(const CompiledKernel& compiled);
  /// The same from raw cubin bytes and the symbol to launch (`lowered_name`,
  /// e.g. an extern "C" name); `name` names the kernel in messages
  /// (defaults to `lowered_name`).
  static Kernel from_cubin(std::string_view cubin, std::string lowered_name,
                           std::string name = {});
  ~Kernel();
  Kernel(Kernel&& other) noexcept;
  Kernel& operator=(Kernel&& other) noexcept;
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  const std::string& name() const noexcept { return name_; }
  const std::string& lowered_name() const noexcept { return lowered_name_; }
  const std::string& arch() const noexcept { return arch_; }
  const std::vector<ParamInfo>& params() const noexcept { return params_; }
  cudaKernel_t handle() const noexcept { return kernel_; }

  template <typename... Args>
  KernelArgs create_args(const Args&... args) const {
    return KernelArgs::of(args...);
  }

  /// Checks `args` and the dimensions, then launches on `stream`; throws
  /// InvalidArgument (launching nothing) on a mismatch, CudaError when the
  /// launch fails.
  void call(dim3 grid, dim3 block, StreamView stream, const KernelArgs& args,
            std::size_t shared_mem = 0) const;
  /// The same with launch options (dynamic shared memory, programmatic dependent
  /// launch); cudaLaunchKernelExC when an attribute applies, else cudaLaunchKernel.
  void call(dim3 grid, dim3 block, StreamView stream, const KernelArgs& args,
            const LaunchOptions& options) const;

  /// create_args + call, without dynamic shared memory.
  template <typename... Args>
  void launch(dim3 grid, dim3 block, StreamView stream, const Args&... args) const {
    call(grid, block, stream, KernelArgs::of(args...));
  }

 private:
  Kernel() = default;
  /// Checks the cubin's architecture against the device's, loads it and
  /// reads the parameter layout of lowered_name_.
  void load_cubin(std::string_view cubin);
  void release() noexcept;

  std::string name_;
  std::string lowered_name_;
  std::string arch_;
  cudaLibrary_t library_ = nullptr;
  cudaKernel_t kernel_ = nullptr;
  std::vector<ParamInfo> params_;
};

}  // namespace trtutils::core
