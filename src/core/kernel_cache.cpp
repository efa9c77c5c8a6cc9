#include "trtutils/core/kernel_cache.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <system_error>

#include "trtutils/core/error.hpp"

namespace trtutils::core {

namespace {

constexpr std::string_view kMagic = "TRTKCACH";
constexpr std::uint32_t kFormatVersion = 1;
constexpr std::size_t kHeaderSize = 8 + 4 + 4 + 8 + 8 + 8;

void put_u32(std::string& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xffU));
}

void put_u64(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xffU));
}

// Reads fixed-width fields off the front of a byte string; any read past the
// end leaves it failed, so callers check once at the end.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  std::uint64_t unsigned_of(std::size_t width) {
    if (!ok_ || bytes_.size() < width) return fail();
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      value |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes_[i])) << (8 * i);
    }
    bytes_.remove_prefix(width);
    return value;
  }

  std::string_view bytes(std::uint64_t count) {
    if (!ok_ || bytes_.size() < count) {
      fail();
      return {};
    }
    const std::string_view taken = bytes_.substr(0, static_cast<std::size_t>(count));
    bytes_.remove_prefix(static_cast<std::size_t>(count));
    return taken;
  }

  bool ok() const noexcept { return ok_; }
  std::size_t remaining() const noexcept { return bytes_.size(); }

 private:
  std::uint64_t fail() {
    ok_ = false;
    return 0;
  }
  std::string_view bytes_;
  bool ok_ = true;
};

void put_field(std::string& out, std::string_view field) {
  put_u64(out, field.size());
  out.append(field);
}

std::string encode_payload(const CompiledKernel& compiled) {
  std::string payload;
  payload.push_back(static_cast<char>(compiled.kind));
  put_u32(payload, static_cast<std::uint32_t>(compiled.lowered_name.size()));
  payload += compiled.lowered_name;
  put_u32(payload, static_cast<std::uint32_t>(compiled.arch.size()));
  payload += compiled.arch;
  put_u64(payload, compiled.code.size());
  payload += compiled.code;
  return payload;
}

std::optional<CompiledKernel> decode_payload(std::string_view payload) {
  Reader reader(payload);
  CompiledKernel compiled;
  const std::uint64_t kind = reader.unsigned_of(1);
  compiled.lowered_name = reader.bytes(reader.unsigned_of(4));
  compiled.arch = reader.bytes(reader.unsigned_of(4));
  compiled.code = reader.bytes(reader.unsigned_of(8));
  if (!reader.ok() || reader.remaining() != 0) return std::nullopt;
  if (kind != static_cast<std::uint64_t>(CodeKind::ptx) &&
      kind != static_cast<std::uint64_t>(CodeKind::cubin)) {
    return std::nullopt;
  }
  if (compiled.lowered_name.empty() || compiled.code.empty()) return std::nullopt;
  compiled.kind = static_cast<CodeKind>(kind);
  return compiled;
}

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return bytes;
}

// A name no other writer (thread or process) uses at the same moment.
std::filesystem::path temporary_path_for(const std::filesystem::path& target) {
  static std::atomic<std::uint64_t> counter{0};
  return std::filesystem::path(
      target.string() + trtutils::detail::concat(".tmp.", ::getpid(), ".", counter.fetch_add(1)));
}

const char* non_empty_env(const char* name) {
  const char* value = std::getenv(name);
  return (value != nullptr && *value != '\0') ? value : nullptr;
}

}  // namespace

std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t hash) noexcept {
  constexpr std::uint64_t kPrime = 0x100000001b3ULL;
  for (const char byte : bytes) {
    hash ^= static_cast<unsigned char>(byte);
    hash *= kPrime;
  }
  return hash;
}

std::uint64_t kernel_cache_key(CodeKind kind, std::string_view source,
                               std::string_view name_expression, std::vector<std::string> options,
                               std::string_view arch, std::string_view nvrtc_version) {
  std::sort(options.begin(), options.end());
  // Length prefixes keep field boundaries unambiguous ("ab"+"c" != "a"+"bc").
  std::string encoded;
  put_field(encoded, "trtutils-kernel-cache");
  put_u32(encoded, kFormatVersion);
  put_field(encoded, to_string(kind));
  put_field(encoded, source);
  put_field(encoded, name_expression);
  put_field(encoded, arch);
  put_field(encoded, nvrtc_version);
  put_u64(encoded, options.size());
  for (const std::string& option : options) put_field(encoded, option);
  return fnv1a64(encoded);
}

std::filesystem::path default_kernel_cache_directory() {
  if (const char* dir = non_empty_env("TRTUTILS_KERNEL_CACHE_DIR")) return dir;
  if (const char* xdg = non_empty_env("XDG_CACHE_HOME")) {
    return std::filesystem::path(xdg) / "trtutils" / "kernels";
  }
  if (const char* home = non_empty_env("HOME")) {
    return std::filesystem::path(home) / ".cache" / "trtutils" / "kernels";
  }
  return {};
}

std::string encode_kernel_cache_entry(std::uint64_t key, const CompiledKernel& compiled) {
  const std::string payload = encode_payload(compiled);
  std::string entry(kMagic);
  put_u32(entry, kFormatVersion);
  put_u32(entry, 0);
  put_u64(entry, key);
  put_u64(entry, payload.size());
  put_u64(entry, fnv1a64(payload));
  entry += payload;
  return entry;
}

std::optional<CompiledKernel> decode_kernel_cache_entry(std::string_view bytes,
                                                        std::uint64_t expected_key) {
  if (bytes.size() < kHeaderSize) return std::nullopt;
  Reader reader(bytes);
  const bool magic_ok = reader.bytes(kMagic.size()) == kMagic;
  const std::uint64_t version = reader.unsigned_of(4);
  const std::uint64_t reserved = reader.unsigned_of(4);
  const std::uint64_t key = reader.unsigned_of(8);
  const std::uint64_t payload_size = reader.unsigned_of(8);
  const std::uint64_t checksum = reader.unsigned_of(8);
  if (!magic_ok || version != kFormatVersion || reserved != 0 || key != expected_key) {
    return std::nullopt;
  }
  // Exactly the announced payload: a truncated or over-long file is refused.
  if (reader.remaining() != payload_size) return std::nullopt;
  const std::string_view payload = reader.bytes(payload_size);
  if (fnv1a64(payload) != checksum) return std::nullopt;
  return decode_payload(payload);
}

KernelCache::KernelCache(KernelCacheConfig config)
    : directory_(config.directory.empty() ? default_kernel_cache_directory()
                                          : std::move(config.directory)),
      enabled_(config.enabled && !directory_.empty()) {}

KernelCache& KernelCache::process_default() {
  static KernelCache cache([] {
    KernelCacheConfig config;
    const char* switch_value = std::getenv("TRTUTILS_KERNEL_CACHE");
    const std::string_view value = switch_value == nullptr ? "" : switch_value;
    config.enabled = !(value == "0" || value == "off" || value == "OFF");
    return config;
  }());
  return cache;
}

std::filesystem::path KernelCache::entry_path(std::uint64_t key) const {
  char name[17];
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) name[i] = kHex[(key >> (60 - 4 * i)) & 0xfU];
  name[16] = '\0';
  return directory_ / (std::string(name) + ".kernel");
}

std::optional<CompiledKernel> KernelCache::load(std::uint64_t key) {
  const std::optional<std::string> bytes = read_file(entry_path(key));
  if (!bytes) {
    misses_.fetch_add(1);
    return std::nullopt;
  }
  std::optional<CompiledKernel> compiled = decode_kernel_cache_entry(*bytes, key);
  if (!compiled) {
    rejected_.fetch_add(1);
    misses_.fetch_add(1);
    return std::nullopt;
  }
  hits_.fetch_add(1);
  return compiled;
}

bool KernelCache::store(std::uint64_t key, const CompiledKernel& compiled) {
  const std::filesystem::path target = entry_path(key);
  const std::filesystem::path temporary = temporary_path_for(target);
  std::error_code error;
  std::filesystem::create_directories(directory_, error);
  bool written = !error;
  if (written) {
    const std::string entry = encode_kernel_cache_entry(key, compiled);
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(entry.data(), static_cast<std::streamsize>(entry.size()));
    out.close();
    written = static_cast<bool>(out);
  }
  if (written) {
    std::filesystem::rename(temporary, target, error);  // atomic replace on POSIX
    written = !error;
  }
  if (!written) {
    std::filesystem::remove(temporary, error);
    write_failures_.fetch_add(1);
  }
  return written;
}

CompiledKernel KernelCache::compile(CodeKind kind, std::string_view source,
                                    std::string_view name_expression,
                                    const std::vector<std::string>& options,
                                    std::string_view arch) {
  if (!enabled_) return compile_kernel(kind, source, name_expression, options, arch);
  const std::uint64_t key =
      kernel_cache_key(kind, source, name_expression, nvrtc_effective_options(kind, options, arch),
                       arch, nvrtc_version());
  if (std::optional<CompiledKernel> cached = load(key)) {
    cached->name_expression = name_expression;
    return std::move(*cached);
  }
  CompiledKernel compiled = compile_kernel(kind, source, name_expression, options, arch);
  store(key, compiled);
  return compiled;
}

KernelCacheStats KernelCache::stats() const noexcept {
  return {hits_.load(), misses_.load(), rejected_.load(), write_failures_.load()};
}

void KernelCache::reset_stats() noexcept {
  hits_.store(0);
  misses_.store(0);
  rejected_.store(0);
  write_failures_.store(0);
}

}  // namespace trtutils::core
