#include "trtutils/core/kernel.hpp"

#include <cstring>
#include <utility>

#include "trtutils/core/cuda_check.hpp"

namespace trtutils::core {

namespace {

constexpr unsigned kMaxThreadsPerBlock = 1024;
constexpr unsigned kMaxBlockZ = 64;
constexpr unsigned kMaxGridYZ = 65535;
constexpr unsigned kMaxGridX = 2147483647U;
// Dynamic shared memory above this needs cudaFuncAttributeMaxDynamicSharedMemorySize.
constexpr std::size_t kDefaultSharedMemLimit = std::size_t{48} * 1024;

std::size_t round_up(std::size_t value, std::size_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

// The number of parameters is not reported directly: ask for index 0, 1, ...
// until the runtime answers cudaErrorInvalidValue ("paramIndex must be less
// than the number of parameters").
std::vector<ParamInfo> read_param_layout(cudaKernel_t kernel) {
  const void* function = reinterpret_cast<const void*>(kernel);
  std::vector<ParamInfo> params;
  for (std::size_t index = 0;; ++index) {
    ParamInfo info;
    const cudaError_t status = cudaFuncGetParamInfo(function, index, &info.offset, &info.size);
    if (status == cudaErrorInvalidValue) {
      (void)cudaGetLastError();
      return params;
    }
    TRTUTILS_CUDA_CHECK(status);
    params.push_back(info);
  }
}

}  // namespace

void KernelArgs::push_bytes(const void* data, std::size_t size, std::size_t alignment,
                            const char* type_name) {
  TRTUTILS_CHECK(
      alignment > 0 && alignment <= alignof(std::max_align_t) && (alignment & (alignment - 1)) == 0,
      "kernel argument alignment ", alignment, " is not a power of two up to ",
      alignof(std::max_align_t));
  const std::size_t offset = round_up(used_, alignment);
  used_ = offset + size;
  storage_.resize(round_up(used_, sizeof(std::max_align_t)) / sizeof(std::max_align_t));
  if (size > 0) std::memcpy(reinterpret_cast<char*>(storage_.data()) + offset, data, size);
  entries_.push_back({offset, size, type_name});
  // storage_ may have moved: rebuild the pointer array now so that launching
  // needs no allocation.
  char* base = reinterpret_cast<char*>(storage_.data());
  pointers_.clear();
  for (const Entry& entry : entries_) pointers_.push_back(base + entry.offset);
}

KernelArgs::KernelArgs(const KernelArgs& other)
    : storage_(other.storage_), used_(other.used_), entries_(other.entries_) {
  char* base = reinterpret_cast<char*>(storage_.data());
  for (const Entry& entry : entries_) pointers_.push_back(base + entry.offset);
}

KernelArgs& KernelArgs::operator=(const KernelArgs& other) {
  if (this != &other) *this = KernelArgs(other);
  return *this;
}

void check_arguments(std::string_view kernel_name, const std::vector<ParamInfo>& params,
                     const KernelArgs& args) {
  TRTUTILS_CHECK(args.count() == params.size(), "kernel '", kernel_name, "' takes ", params.size(),
                 params.size() == 1 ? " parameter" : " parameters", ", got ", args.count());
  for (std::size_t index = 0; index < params.size(); ++index) {
    TRTUTILS_CHECK(args.size_of(index) == params[index].size, "parameter ", index + 1, " of '",
                   kernel_name, "' is ", params[index].size, " bytes, argument is ",
                   args.size_of(index), " bytes (", args.type_name_of(index),
                   "?); pass a value of the parameter's exact type");
  }
}

void check_launch_dimensions(std::string_view kernel_name, dim3 grid, dim3 block) {
  TRTUTILS_CHECK(grid.x > 0 && grid.y > 0 && grid.z > 0, "grid of '", kernel_name, "' is (", grid.x,
                 ", ", grid.y, ", ", grid.z, "); every dimension must be at least 1");
  TRTUTILS_CHECK(block.x > 0 && block.y > 0 && block.z > 0, "block of '", kernel_name, "' is (",
                 block.x, ", ", block.y, ", ", block.z, "); every dimension must be at least 1");
  const std::uint64_t threads = std::uint64_t{block.x} * block.y * block.z;
  TRTUTILS_CHECK(threads <= kMaxThreadsPerBlock, "block of '", kernel_name, "' is (", block.x, ", ",
                 block.y, ", ", block.z, ") = ", threads, " threads; at most ", kMaxThreadsPerBlock,
                 " threads per block");
  TRTUTILS_CHECK(block.z <= kMaxBlockZ, "block.z of '", kernel_name, "' is ", block.z, "; at most ",
                 kMaxBlockZ);
  TRTUTILS_CHECK(grid.x <= kMaxGridX, "grid.x of '", kernel_name, "' is ", grid.x, "; at most ",
                 kMaxGridX);
  TRTUTILS_CHECK(grid.y <= kMaxGridYZ && grid.z <= kMaxGridYZ, "grid of '", kernel_name, "' is (",
                 grid.x, ", ", grid.y, ", ", grid.z, "); grid.y and grid.z are at most ",
                 kMaxGridYZ);
}

bool supports_programmatic_dependent_launch(std::string_view arch) {
  constexpr int kFirstPdlArchitecture = 90;
  const std::size_t underscore = arch.find('_');
  if (underscore == std::string_view::npos) return false;
  int number = 0;
  std::size_t digits = 0;
  for (std::size_t i = underscore + 1; i < arch.size() && arch[i] >= '0' && arch[i] <= '9'; ++i) {
    number = number * 10 + (arch[i] - '0');
    if (++digits > 4) return false;
  }
  return digits >= 2 && number >= kFirstPdlArchitecture;
}

LaunchAttributes launch_attributes(const LaunchOptions& options, std::string_view arch) {
  LaunchAttributes attributes;
  if (options.programmatic_dependent_launch && supports_programmatic_dependent_launch(arch)) {
    cudaLaunchAttribute& pdl = attributes.values[attributes.count++];
    pdl.id = cudaLaunchAttributeProgrammaticStreamSerialization;
    pdl.val.programmaticStreamSerializationAllowed = 1;
  }
  return attributes;
}

std::string current_device_arch() {
  int device = 0;
  TRTUTILS_CUDA_CHECK(cudaGetDevice(&device));
  int major = 0;
  int minor = 0;
  TRTUTILS_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
  TRTUTILS_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device));
  return trtutils::detail::concat("sm_", major, minor);
}

std::string cubin_arch(std::string_view cubin) {
  // ELF64 header: e_ident (16 bytes: magic, class, data, version, OS ABI, ABI
  // version...), then e_type (2), e_machine (2) ... e_flags at byte 48.
  constexpr std::size_t kHeaderBytes = 64;
  constexpr unsigned kMachineCuda = 190;  // EM_CUDA
  constexpr unsigned char kClass64 = 2;
  constexpr unsigned char kFirstAbiWithShiftedSm = 8;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(cubin[i]); };
  TRTUTILS_CHECK(cubin.size() >= kHeaderBytes && cubin.substr(0, 4) == "\x7f" "ELF",
                 "not a cubin: ", cubin.size(), " bytes without an ELF header");
  const unsigned machine = byte(18) | (unsigned{byte(19)} << 8);
  TRTUTILS_CHECK(byte(4) == kClass64 && machine == kMachineCuda,
                 "not a cubin: an ELF file for machine ", machine, " (CUDA is ", kMachineCuda, ")");
  std::uint32_t flags = 0;
  for (std::size_t i = 0; i < 4; ++i) flags |= std::uint32_t{byte(48 + i)} << (8 * i);
  const std::uint32_t sm = byte(8) >= kFirstAbiWithShiftedSm ? (flags >> 8) & 0xffU : flags & 0xffU;
  TRTUTILS_CHECK(sm >= 10, "cubin records SM ", sm, ", which is no CUDA architecture");
  return trtutils::detail::concat("sm_", sm);
}

Kernel::Kernel(std::string_view source, std::string_view name_expression,
               const std::vector<std::string>& options, std::string arch, KernelCache* cache)
    : name_(name_expression), arch_(arch.empty() ? current_device_arch() : std::move(arch)) {
  CompiledKernel compiled =
      cache != nullptr ? cache->compile(CodeKind::cubin, source, name_expression, options, arch_)
                       : compile_to_cubin(source, name_expression, options, arch_);
  lowered_name_ = std::move(compiled.lowered_name);
  load_cubin(compiled.code);
}

Kernel::Kernel(const CompiledKernel& compiled)
    : name_(compiled.name_expression.empty() ? compiled.lowered_name : compiled.name_expression),
      lowered_name_(compiled.lowered_name) {
  TRTUTILS_CHECK(compiled.kind == CodeKind::cubin, "kernel '", name_, "' is ",
                 to_string(compiled.kind), "; only a cubin loads without compiling");
  load_cubin(compiled.code);
}

Kernel Kernel::from_cubin(std::string_view cubin, std::string lowered_name, std::string name) {
  TRTUTILS_CHECK(!lowered_name.empty(), "Kernel::from_cubin: the entry name is empty");
  Kernel kernel;
  kernel.name_ = name.empty() ? lowered_name : std::move(name);
  kernel.lowered_name_ = std::move(lowered_name);
  kernel.load_cubin(cubin);
  return kernel;
}

void Kernel::load_cubin(std::string_view cubin) {
  const std::string built_for = cubin_arch(cubin);
  const std::string device_arch = current_device_arch();
  // The SM number alone decides: sm_90 and sm_90a cubins carry the same one.
  const auto number = [](std::string_view arch) {
    std::string digits;
    for (char c : arch.substr(3)) {
      if (c < '0' || c > '9') break;
      digits += c;
    }
    return digits;
  };
  TRTUTILS_CHECK(number(built_for) == number(device_arch), "cubin of '", name_,
                 "' was compiled for ", built_for, ", this GPU is ", device_arch,
                 ": compile it for ", device_arch, " (for an engine: rebuild it on this GPU)");
  if (arch_.empty()) arch_ = device_arch;
  TRTUTILS_CUDA_CHECK(
      cudaLibraryLoadData(&library_, cubin.data(), nullptr, nullptr, 0, nullptr, nullptr, 0));
  try {
    TRTUTILS_CUDA_CHECK(cudaLibraryGetKernel(&kernel_, library_, lowered_name_.c_str()));
    params_ = read_param_layout(kernel_);
  } catch (...) {
    release();
    throw;
  }
}

Kernel::~Kernel() { release(); }

Kernel::Kernel(Kernel&& other) noexcept
    : name_(std::move(other.name_)),
      lowered_name_(std::move(other.lowered_name_)),
      arch_(std::move(other.arch_)),
      library_(std::exchange(other.library_, nullptr)),
      kernel_(std::exchange(other.kernel_, nullptr)),
      params_(std::move(other.params_)) {}

Kernel& Kernel::operator=(Kernel&& other) noexcept {
  if (this != &other) {
    release();
    name_ = std::move(other.name_);
    lowered_name_ = std::move(other.lowered_name_);
    arch_ = std::move(other.arch_);
    library_ = std::exchange(other.library_, nullptr);
    kernel_ = std::exchange(other.kernel_, nullptr);
    params_ = std::move(other.params_);
  }
  return *this;
}

void Kernel::release() noexcept {
  if (library_ != nullptr) {
    // Unloading at process exit may find the runtime already gone; nothing to do then.
    (void)cudaLibraryUnload(library_);
    library_ = nullptr;
  }
  kernel_ = nullptr;
}

void Kernel::call(dim3 grid, dim3 block, StreamView stream, const KernelArgs& args,
                  std::size_t shared_mem) const {
  LaunchOptions options;
  options.shared_mem = shared_mem;
  call(grid, block, stream, args, options);
}

void Kernel::call(dim3 grid, dim3 block, StreamView stream, const KernelArgs& args,
                  const LaunchOptions& options) const {
  const std::size_t shared_mem = options.shared_mem;
  TRTUTILS_CHECK(kernel_ != nullptr, "kernel '", name_, "' was moved from; it cannot launch");
  check_arguments(name_, params_, args);
  check_launch_dimensions(name_, grid, block);
  const void* function = reinterpret_cast<const void*>(kernel_);
  if (shared_mem > kDefaultSharedMemLimit) {
    TRTUTILS_CHECK(shared_mem <= static_cast<std::size_t>(INT32_MAX), "dynamic shared memory of '",
                   name_, "' is ", shared_mem, " bytes; far above any GPU's limit");
    TRTUTILS_CUDA_CHECK(cudaFuncSetAttribute(function, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                             static_cast<int>(shared_mem)));
  }
  // cudaLaunchKernel takes void** but only reads through it.
  void** pointers = const_cast<void**>(args.pointers().data());
  LaunchAttributes attributes = launch_attributes(options, arch_);
  if (attributes.count == 0) {
    TRTUTILS_CUDA_CHECK(
        cudaLaunchKernel(function, grid, block, pointers, shared_mem, stream.handle()));
  } else {
    cudaLaunchConfig_t config{};
    config.gridDim = grid;
    config.blockDim = block;
    config.dynamicSmemBytes = shared_mem;
    config.stream = stream.handle();
    config.attrs = attributes.values.data();
    config.numAttrs = attributes.count;
    TRTUTILS_CUDA_CHECK(cudaLaunchKernelExC(&config, function, pointers));
  }
  TRTUTILS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace trtutils::core
