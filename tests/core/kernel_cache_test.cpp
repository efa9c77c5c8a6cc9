// The kernel cache compiles with NVRTC and touches only files: no GPU needed.
#include "trtutils/core/kernel_cache.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

namespace trtutils::core {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSource = R"(
extern "C" __global__ void add_one(float* y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] += 1.0f;
}
)";

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

class KernelCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() /
                 ("trtutils_kernel_cache_test_" + std::to_string(::getpid()) + "_" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  std::uint64_t key_of(const std::vector<std::string>& options = {},
                       const std::string& arch = "sm_90") const {
    return kernel_cache_key(CodeKind::cubin, kSource, "add_one",
                            nvrtc_effective_options(CodeKind::cubin, options, arch), arch,
                            nvrtc_version());
  }

  fs::path directory_;
};

TEST(Fnv1a64, MatchesPublishedTestVectors) {
  // From the FNV reference test suite (isthe.com/chongo/src/fnv/test_fnv.c).
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

TEST(KernelCacheKey, DependsOnEveryInput) {
  const std::uint64_t base =
      kernel_cache_key(CodeKind::cubin, "src", "k", {"-DA"}, "sm_90", "13.0");
  EXPECT_EQ(base, kernel_cache_key(CodeKind::cubin, "src", "k", {"-DA"}, "sm_90", "13.0"));
  EXPECT_NE(base, kernel_cache_key(CodeKind::ptx, "src", "k", {"-DA"}, "sm_90", "13.0"));
  EXPECT_NE(base, kernel_cache_key(CodeKind::cubin, "src2", "k", {"-DA"}, "sm_90", "13.0"));
  EXPECT_NE(base, kernel_cache_key(CodeKind::cubin, "src", "k2", {"-DA"}, "sm_90", "13.0"));
  EXPECT_NE(base, kernel_cache_key(CodeKind::cubin, "src", "k", {"-DB"}, "sm_90", "13.0"));
  EXPECT_NE(base, kernel_cache_key(CodeKind::cubin, "src", "k", {}, "sm_90", "13.0"));
  EXPECT_NE(base, kernel_cache_key(CodeKind::cubin, "src", "k", {"-DA"}, "sm_80", "13.0"));
  EXPECT_NE(base, kernel_cache_key(CodeKind::cubin, "src", "k", {"-DA"}, "sm_90", "13.1"));
}

TEST(KernelCacheKey, OptionOrderDoesNotMatter) {
  EXPECT_EQ(kernel_cache_key(CodeKind::cubin, "s", "k", {"-DA", "-DB"}, "sm_90", "13.0"),
            kernel_cache_key(CodeKind::cubin, "s", "k", {"-DB", "-DA"}, "sm_90", "13.0"));
}

TEST(KernelCacheKey, FieldBoundariesAreUnambiguous) {
  EXPECT_NE(kernel_cache_key(CodeKind::cubin, "ab", "c", {}, "sm_90", "13.0"),
            kernel_cache_key(CodeKind::cubin, "a", "bc", {}, "sm_90", "13.0"));
}

TEST_F(KernelCacheTest, DistinctOptionsAndArchsGetDistinctEntries) {
  KernelCache cache({directory_, true});
  EXPECT_NE(key_of({}), key_of({"-DUNUSED=1"}));
  EXPECT_NE(key_of({}, "sm_90"), key_of({}, "sm_80"));
  (void)cache.compile(CodeKind::cubin, kSource, "add_one", {}, "sm_90");
  (void)cache.compile(CodeKind::cubin, kSource, "add_one", {"-DUNUSED=1"}, "sm_90");
  (void)cache.compile(CodeKind::cubin, kSource, "add_one", {}, "sm_80");
  EXPECT_EQ(cache.stats().misses, 3U);
  EXPECT_EQ(cache.stats().hits, 0U);
  EXPECT_TRUE(fs::exists(cache.entry_path(key_of({}))));
  EXPECT_TRUE(fs::exists(cache.entry_path(key_of({"-DUNUSED=1"}))));
  EXPECT_TRUE(fs::exists(cache.entry_path(key_of({}, "sm_80"))));
}

TEST_F(KernelCacheTest, FirstCompileMissesAndWritesSecondHits) {
  KernelCache cache({directory_, true});
  const CompiledKernel first = cache.compile(CodeKind::cubin, kSource, "add_one", {}, "sm_90");
  EXPECT_EQ(cache.stats().misses, 1U);
  EXPECT_EQ(cache.stats().hits, 0U);
  const fs::path entry = cache.entry_path(key_of());
  ASSERT_TRUE(fs::exists(entry));

  const CompiledKernel second = cache.compile(CodeKind::cubin, kSource, "add_one", {}, "sm_90");
  EXPECT_EQ(cache.stats().hits, 1U);
  EXPECT_EQ(cache.stats().misses, 1U);
  EXPECT_EQ(cache.stats().rejected_corrupt, 0U);
  EXPECT_EQ(second.code, first.code);
  EXPECT_EQ(second.lowered_name, "add_one");
  EXPECT_EQ(second.name_expression, "add_one");
  EXPECT_EQ(second.arch, "sm_90");
  EXPECT_EQ(second.kind, CodeKind::cubin);
}

TEST_F(KernelCacheTest, HitDoesNotRunTheCompiler) {
  KernelCache cache({directory_, true});
  const CompiledKernel real = cache.compile(CodeKind::cubin, kSource, "add_one", {}, "sm_90");
  // Replace the entry by one whose code NVRTC could never have produced: a
  // hit must return it unchanged.
  CompiledKernel planted = real;
  planted.code = "not compiled by nvrtc";
  write_bytes(cache.entry_path(key_of()), encode_kernel_cache_entry(key_of(), planted));
  const CompiledKernel loaded = cache.compile(CodeKind::cubin, kSource, "add_one", {}, "sm_90");
  EXPECT_EQ(loaded.code, "not compiled by nvrtc");
  EXPECT_EQ(cache.stats().hits, 1U);
}

TEST_F(KernelCacheTest, FlippedByteIsRejectedAndTheEntryRebuilt) {
  KernelCache cache({directory_, true});
  const CompiledKernel original = cache.compile(CodeKind::cubin, kSource, "add_one", {}, "sm_90");
  const fs::path entry = cache.entry_path(key_of());
  const std::string good = read_bytes(entry);
  std::string damaged = good;
  damaged[damaged.size() / 2] = static_cast<char>(damaged[damaged.size() / 2] ^ 0x40);
  write_bytes(entry, damaged);

  const CompiledKernel rebuilt = cache.compile(CodeKind::cubin, kSource, "add_one", {}, "sm_90");
  EXPECT_EQ(cache.stats().rejected_corrupt, 1U);
  EXPECT_EQ(cache.stats().misses, 2U);
  EXPECT_EQ(cache.stats().hits, 0U);
  EXPECT_EQ(rebuilt.code, original.code);
  EXPECT_EQ(read_bytes(entry), good);  // rewritten

  (void)cache.compile(CodeKind::cubin, kSource, "add_one", {}, "sm_90");
  EXPECT_EQ(cache.stats().hits, 1U);
}

TEST_F(KernelCacheTest, TruncatedEntryIsRejectedAndTheEntryRebuilt) {
  KernelCache cache({directory_, true});
  (void)cache.compile(CodeKind::cubin, kSource, "add_one", {}, "sm_90");
  const fs::path entry = cache.entry_path(key_of());
  const std::string good = read_bytes(entry);
  for (const std::size_t length : {std::size_t{0}, std::size_t{10}, good.size() - 1}) {
    write_bytes(entry, good.substr(0, length));
    (void)cache.compile(CodeKind::cubin, kSource, "add_one", {}, "sm_90");
    EXPECT_EQ(read_bytes(entry), good) << "after truncation to " << length << " bytes";
  }
  EXPECT_EQ(cache.stats().rejected_corrupt, 3U);
  EXPECT_EQ(cache.stats().hits, 0U);
}

TEST_F(KernelCacheTest, EntryOfAnotherKeyIsRejected) {
  KernelCache cache({directory_, true});
  (void)cache.compile(CodeKind::cubin, kSource, "add_one", {"-DOTHER"}, "sm_90");
  fs::copy_file(cache.entry_path(key_of({"-DOTHER"})), cache.entry_path(key_of()));
  (void)cache.compile(CodeKind::cubin, kSource, "add_one", {}, "sm_90");
  EXPECT_EQ(cache.stats().rejected_corrupt, 1U);
  EXPECT_EQ(cache.stats().hits, 0U);
}

TEST(KernelCacheEntry, DecodeRefusesEveryDamagedHeaderField) {
  CompiledKernel compiled;
  compiled.kind = CodeKind::ptx;
  compiled.lowered_name = "k";
  compiled.arch = "compute_90";
  compiled.code = "PTX";
  const std::string entry = encode_kernel_cache_entry(42, compiled);
  ASSERT_TRUE(decode_kernel_cache_entry(entry, 42).has_value());
  EXPECT_EQ(decode_kernel_cache_entry(entry, 42)->code, "PTX");
  EXPECT_FALSE(decode_kernel_cache_entry(entry, 43).has_value());        // wrong key
  EXPECT_FALSE(decode_kernel_cache_entry(entry + "x", 42).has_value());  // trailing bytes
  // Offsets: magic 0..7, version 8..11, reserved 12..15, key 16..23, size 24..31,
  // checksum 32..39, payload from 40.
  for (const std::size_t offset : {0U, 8U, 12U, 16U, 24U, 32U, 40U, 45U}) {
    std::string damaged = entry;
    damaged[offset] = static_cast<char>(damaged[offset] ^ 0x01);
    EXPECT_FALSE(decode_kernel_cache_entry(damaged, 42).has_value()) << "byte " << offset;
  }
}

TEST_F(KernelCacheTest, UnwritableDirectoryDoesNotFailTheCompile) {
  fs::create_directories(directory_.parent_path());
  write_bytes(directory_, "a file where the directory should be");
  KernelCache cache({directory_ / "kernels", true});
  const CompiledKernel compiled = cache.compile(CodeKind::cubin, kSource, "add_one", {}, "sm_90");
  EXPECT_FALSE(compiled.code.empty());
  EXPECT_EQ(cache.stats().write_failures, 1U);
}

TEST_F(KernelCacheTest, DisabledCacheWritesNothing) {
  KernelCache cache({directory_, false});
  EXPECT_FALSE(cache.enabled());
  (void)cache.compile(CodeKind::cubin, kSource, "add_one", {}, "sm_90");
  (void)cache.compile(CodeKind::cubin, kSource, "add_one", {}, "sm_90");
  EXPECT_FALSE(fs::exists(directory_));
  EXPECT_EQ(cache.stats().hits, 0U);
}

TEST_F(KernelCacheTest, NoTemporaryFilesAreLeftBehind) {
  KernelCache cache({directory_, true});
  (void)cache.compile(CodeKind::cubin, kSource, "add_one", {}, "sm_90");
  (void)cache.compile(CodeKind::ptx, kSource, "add_one", {}, "compute_90");
  std::size_t files = 0;
  for (const fs::directory_entry& file : fs::directory_iterator(directory_)) {
    EXPECT_EQ(file.path().extension(), ".kernel") << file.path();
    ++files;
  }
  EXPECT_EQ(files, 2U);
}

TEST(KernelCacheDirectory, ResolvesEnvironmentInOrder) {
  const auto saved = [](const char* name) {
    const char* value = std::getenv(name);
    return value == nullptr ? std::optional<std::string>{} : std::optional<std::string>{value};
  };
  const auto restore = [](const char* name, const std::optional<std::string>& value) {
    if (value)
      ::setenv(name, value->c_str(), 1);
    else
      ::unsetenv(name);
  };
  const auto explicit_dir = saved("TRTUTILS_KERNEL_CACHE_DIR");
  const auto xdg = saved("XDG_CACHE_HOME");
  const auto home = saved("HOME");

  ::setenv("TRTUTILS_KERNEL_CACHE_DIR", "/tmp/explicit", 1);
  ::setenv("XDG_CACHE_HOME", "/tmp/xdg", 1);
  ::setenv("HOME", "/tmp/home", 1);
  EXPECT_EQ(default_kernel_cache_directory(), fs::path("/tmp/explicit"));
  ::unsetenv("TRTUTILS_KERNEL_CACHE_DIR");
  EXPECT_EQ(default_kernel_cache_directory(), fs::path("/tmp/xdg/trtutils/kernels"));
  ::unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(default_kernel_cache_directory(), fs::path("/tmp/home/.cache/trtutils/kernels"));
  ::unsetenv("HOME");
  EXPECT_TRUE(default_kernel_cache_directory().empty());
  EXPECT_FALSE(KernelCache(KernelCacheConfig{}).enabled());

  restore("TRTUTILS_KERNEL_CACHE_DIR", explicit_dir);
  restore("XDG_CACHE_HOME", xdg);
  restore("HOME", home);
}

}  // namespace
}  // namespace trtutils::core
