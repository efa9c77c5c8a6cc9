#pragma once
// On-disk cache of NVRTC compilations, so that a process compiles a kernel
// once per (source, options, architecture, NVRTC version, name) and every later
// process loads the result.
//
// Entry file (<directory>/<key as 16 hex digits>.kernel), little-endian:
//   magic "TRTKCACH" | u32 format version | u32 reserved (0) | u64 key |
//   u64 payload size | u64 FNV-1a 64 of payload | payload
// payload: u8 kind | u32 n + lowered name | u32 n + arch | u64 n + code.
// An entry that fails any check (short, bad magic/version/key/size/checksum,
// undecodable payload) is never trusted: it counts as rejected_corrupt, the
// kernel is recompiled and the entry rewritten. Writes go to a temporary file in
// the same directory and are renamed into place, so concurrent processes see
// either the old entry, the new one, or none.
//
// The key does not cover the contents of headers the source #includes: after
// editing such a header, clear the cache directory.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trtutils/core/nvrtc_compiler.hpp"

namespace trtutils::core {

/// 64-bit FNV-1a (http://www.isthe.com/chongo/tech/comp/fnv/), continuing from
/// `hash`. Not cryptographic: it names cache entries and detects damage.
inline constexpr std::uint64_t kFnv1a64Offset = 0xcbf29ce484222325ULL;
std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t hash = kFnv1a64Offset) noexcept;

/// The cache key: FNV-1a 64 over a length-prefixed encoding of the kind, source,
/// name expression, architecture, NVRTC version and the options sorted (so
/// their order does not matter).
std::uint64_t kernel_cache_key(CodeKind kind, std::string_view source,
                               std::string_view name_expression, std::vector<std::string> options,
                               std::string_view arch, std::string_view nvrtc_version);

/// Where the cache lives when not told: env TRTUTILS_KERNEL_CACHE_DIR, else
/// $XDG_CACHE_HOME/trtutils/kernels, else $HOME/.cache/trtutils/kernels; empty
/// when none of these is set.
std::filesystem::path default_kernel_cache_directory();

struct KernelCacheConfig {
  std::filesystem::path directory;  ///< empty: default_kernel_cache_directory()
  bool enabled = true;              ///< false: compile every time, touch no file
};

struct KernelCacheStats {
  std::uint64_t hits = 0;              ///< entries loaded and used
  std::uint64_t misses = 0;            ///< lookups that had to compile (includes rejected)
  std::uint64_t rejected_corrupt = 0;  ///< entries present but refused as damaged
  std::uint64_t write_failures = 0;    ///< entries that could not be written (not fatal)
};

class KernelCache {
 public:
  explicit KernelCache(KernelCacheConfig config = {});
  KernelCache(const KernelCache&) = delete;
  KernelCache& operator=(const KernelCache&) = delete;

  /// The process-wide cache Kernel uses unless given another: default
  /// directory; disabled when env TRTUTILS_KERNEL_CACHE is "0" or "off".
  static KernelCache& process_default();

  /// False when disabled by config or when no directory could be determined.
  bool enabled() const noexcept { return enabled_; }
  const std::filesystem::path& directory() const noexcept { return directory_; }
  std::filesystem::path entry_path(std::uint64_t key) const;

  /// The compiled kernel for `key`, or nothing when absent or damaged.
  /// Counts a hit, or a miss (and rejected_corrupt for a damaged entry).
  std::optional<CompiledKernel> load(std::uint64_t key);

  /// Writes the entry atomically. Returns false (and counts a write failure)
  /// when it cannot; a cache that cannot be written never fails a compile.
  bool store(std::uint64_t key, const CompiledKernel& compiled);

  /// The cached compilation when there is a sound entry, otherwise compiles
  /// with compile_kernel and stores the result.
  CompiledKernel compile(CodeKind kind, std::string_view source, std::string_view name_expression,
                         const std::vector<std::string>& options, std::string_view arch);

  KernelCacheStats stats() const noexcept;
  void reset_stats() noexcept;

 private:
  std::filesystem::path directory_;
  bool enabled_;
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::uint64_t> write_failures_{0};
};

/// Entry encoding, exposed for tests and tools.
std::string encode_kernel_cache_entry(std::uint64_t key, const CompiledKernel& compiled);
/// Decodes an entry; nothing when it is damaged or was written for another key.
std::optional<CompiledKernel> decode_kernel_cache_entry(std::string_view bytes,
                                                        std::uint64_t expected_key);

}  // namespace trtutils::core
