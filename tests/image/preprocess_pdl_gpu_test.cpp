// Pre-processing launched with programmatic dependent launch (PDL, the default on sm_90+)
// next to kernels that write its source and read its output, eagerly and from a CUDA
// graph, against the CPU reference bit for bit; and every launch variant
// (PreprocessTuning) against the CPU reference. On GPUs before sm_90 the same tests run
// with plain launches.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "gpu_test_support.hpp"
#include "trtutils/core/cuda_graph.hpp"
#include "trtutils/core/kernel.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/core/stream.hpp"
#include "trtutils/image/preprocess.hpp"

namespace {

using namespace trtutils::image;
namespace core = trtutils::core;

// Lets dependents launch at once, then spins before copying: a PDL launch after it
// that did not wait would read the destination before it is written, or overwrite
// the source before it is read.
constexpr const char* kSlowCopy = R"(
extern "C" __global__ void slow_copy(const unsigned char* in, unsigned char* out,
                                     unsigned long long n, long long cycles) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;");
#endif
  const long long start = clock64();
  while (clock64() - start < cycles) {}
  const unsigned long long step = (unsigned long long)gridDim.x * blockDim.x;
  for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
       i += step)
    out[i] = in[i];
}
)";
constexpr long long kSpinCycles = 400000;  // ~0.2 ms, far longer than a launch

std::vector<std::uint8_t> random_pixels(std::size_t bytes, std::uint32_t seed) {
  std::vector<std::uint8_t> pixels(bytes);
  std::mt19937 rng(seed);
  for (auto& p : pixels) p = static_cast<std::uint8_t>(rng());
  return pixels;
}

std::vector<std::uint8_t> read_back(const core::DeviceBuffer& buffer) {
  std::vector<std::uint8_t> host(buffer.size());
  core::memcpy_device_to_host(host.data(), buffer.data(), buffer.size());
  return host;
}

void expect_identical(const std::vector<std::uint8_t>& gpu, const trtutils::HostTensor& cpu,
                      const char* what) {
  ASSERT_EQ(gpu.size(), cpu.byte_size()) << what;
  const std::size_t element = trtutils::dtype_size(cpu.dtype());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < gpu.size(); i += element) {
    if (std::memcmp(gpu.data() + i, static_cast<const std::uint8_t*>(cpu.data()) + i, element) != 0)
      ++mismatches;
  }
  EXPECT_EQ(mismatches, 0u) << what << ": elements differing from the CPU reference, of "
                            << gpu.size() / element;
}

// The 1920x1080 BGR job of the benchmark, two different images, on one stream:
//   1. slow_copy(image A -> source)             a kernel writing the pre-processing's source
//   2. preprocess(source -> out)      [PDL]     read-after-write: out must be ref(A)
//   3. slow_copy(out -> kept)                   a kernel reading the pre-processing's output
//   4. preprocess(image B -> out)     [PDL]     write-after-read: kept must stay ref(A)
//   5. preprocess(source -> out_again) [PDL]    straight after another pre-processing
//   6. cudaMemcpyAsync(image B -> source), preprocess(source -> after_copy) [PDL]: after a
//      copy (not a kernel) the launch is ordered as a plain one, captured or not
struct PdlSequence {
  static constexpr int kWidth = 1920;
  static constexpr int kHeight = 1080;
  static constexpr std::size_t kImageBytes = std::size_t{kWidth} * kHeight * 3;

  explicit PdlSequence(PreprocessTuning tuning) : pre(options(), tuning) {
    const auto a = random_pixels(kImageBytes, 1);
    const auto b = random_pixels(kImageBytes, 2);
    core::memcpy_host_to_device(image_a.data(), a.data(), kImageBytes);
    core::memcpy_host_to_device(image_b.data(), b.data(), kImageBytes);
    const ImageView host_a{a.data(), kWidth, kHeight, 0, PixelFormat::kBGR8, MemoryKind::kHost};
    const ImageView host_b{b.data(), kWidth, kHeight, 0, PixelFormat::kBGR8, MemoryKind::kHost};
    reference_a = preprocess_reference(std::span(&host_a, 1), options());
    reference_b = preprocess_reference(std::span(&host_b, 1), options());
  }

  static PreprocessOptions options() {
    PreprocessOptions o;
    o.mean = {0.485f, 0.456f, 0.406f};
    o.std = {0.229f, 0.224f, 0.225f};
    return o;
  }
  ImageView device_view(const core::DeviceBuffer& buffer) const {
    return {buffer.data(), kWidth, kHeight, 0, PixelFormat::kBGR8, MemoryKind::kDevice};
  }
  void slow_copy_bytes(const void* from, void* to, std::size_t bytes, core::StreamView s) const {
    copy.call(
        dim3(264), dim3(256), s,
        copy.create_args(static_cast<const unsigned char*>(from), static_cast<unsigned char*>(to),
                         static_cast<unsigned long long>(bytes), kSpinCycles));
  }

  void enqueue(core::StreamView s) {
    const ImageView source_view = device_view(source);
    const ImageView b_view = device_view(image_b);
    core::memset_device_async(source.data(), 0, kImageBytes, s);
    slow_copy_bytes(image_a.data(), source.data(), kImageBytes, s);
    pre.run(std::span(&source_view, 1), out.data(), out.size(), transforms, s);
    slow_copy_bytes(out.data(), kept.data(), out.size(), s);
    pre.run(std::span(&b_view, 1), out.data(), out.size(), transforms, s);
    pre.run(std::span(&source_view, 1), out_again.data(), out_again.size(), transforms, s);
    core::memcpy_device_to_device_async(source.data(), image_b.data(), kImageBytes, s);
    pre.run(std::span(&source_view, 1), after_copy.data(), after_copy.size(), transforms, s);
  }

  void expect_results() const {
    expect_identical(read_back(kept), reference_a, "kept (written before the second call)");
    expect_identical(read_back(out), reference_b, "out (second call)");
    expect_identical(read_back(out_again), reference_a, "out_again (third call)");
    expect_identical(read_back(after_copy), reference_b, "after_copy (after a device copy)");
  }

  Preprocessor pre;
  core::Kernel copy{kSlowCopy, "slow_copy", {}, "", nullptr};
  core::DeviceBuffer image_a{kImageBytes}, image_b{kImageBytes}, source{kImageBytes};
  core::DeviceBuffer out{pre.output_bytes(1, PixelFormat::kBGR8)};
  core::DeviceBuffer kept{out.size()}, out_again{out.size()}, after_copy{out.size()};
  std::vector<ImageTransform> transforms = std::vector<ImageTransform>(1);
  trtutils::HostTensor reference_a, reference_b;
};

TEST(PreprocessPdlGpu, WaitsForTheKernelThatWritesItsSourceAndTheOneThatReadsItsOutput) {
  TRTUTILS_REQUIRE_GPU();
  PdlSequence sequence{PreprocessTuning{}};
  ASSERT_TRUE(sequence.pre.tuning().programmatic_dependent_launch);
  const core::Stream stream;
  sequence.enqueue(stream);
  sequence.enqueue(stream);  // twice back to back on one stream
  stream.synchronize();
  sequence.expect_results();
}

TEST(PreprocessPdlGpu, TheSameSequenceReplaysFromACudaGraph) {
  TRTUTILS_REQUIRE_GPU();
  PdlSequence sequence{PreprocessTuning{}};
  const core::Stream stream;
  sequence.enqueue(stream);  // compiles and loads the kernels outside the capture
  stream.synchronize();
  core::memset_device(sequence.out, 0x7F);
  core::memset_device(sequence.kept, 0x7F);
  core::memset_device(sequence.out_again, 0x7F);
  core::memset_device(sequence.after_copy, 0x7F);
  core::GraphReplay replay;
  replay.capture(stream, [&](core::StreamView s) { sequence.enqueue(s); });
  replay.launch(stream);
  replay.launch(stream);  // two replays back to back
  stream.synchronize();
  sequence.expect_results();
}

TEST(PreprocessPdlGpu, WithoutPdlTheSequenceGivesTheSameTensors) {
  TRTUTILS_REQUIRE_GPU();
  PreprocessTuning plain;
  plain.programmatic_dependent_launch = false;
  PdlSequence sequence{plain};
  const core::Stream stream;
  sequence.enqueue(stream);
  stream.synchronize();
  sequence.expect_results();
}

TEST(PreprocessPdlGpu, EveryLaunchVariantMatchesTheCpuBitForBit) {
  TRTUTILS_REQUIRE_GPU();
  // The benchmark's sweep and the extremes of the ranges, on the full-HD job and on a
  // batch of awkward sizes and strides (including a 17-image table batch).
  const auto pixels = random_pixels(PdlSequence::kImageBytes, 5);
  const ImageView hd{pixels.data(), 1920, 1080, 0, PixelFormat::kBGR8, MemoryKind::kHost};
  std::vector<std::vector<std::uint8_t>> small;
  std::vector<ImageView> awkward;
  std::mt19937 rng(9);
  for (int i = 0; i < 17; ++i) {
    const int w = 1 + static_cast<int>(rng() % 700);
    const int h = 1 + static_cast<int>(rng() % 500);
    const std::size_t stride = static_cast<std::size_t>(w) * 3 + static_cast<std::size_t>(i % 5);
    small.push_back(random_pixels(stride * static_cast<std::size_t>(h), 100u + i));
    awkward.push_back({small.back().data(), w, h, stride, PixelFormat::kBGR8, MemoryKind::kHost});
  }
  const PreprocessOptions o = PdlSequence::options();
  const auto hd_reference = preprocess_reference(std::span(&hd, 1), o);
  const auto awkward_reference = preprocess_reference(awkward, o);
  const core::Stream stream;
  for (const int rows : {1, 2, 4, 8, 16, 32}) {
    for (const int loads : {1, 4, 8}) {
      for (const bool pdl : {false, true}) {
        PreprocessTuning tuning;
        tuning.tile_rows = rows;
        tuning.staging_loads = loads;
        tuning.programmatic_dependent_launch = pdl;
        SCOPED_TRACE(tuning_name(tuning));
        Preprocessor pre(o, tuning);
        core::DeviceBuffer out_hd(pre.output_bytes(1, PixelFormat::kBGR8));
        core::DeviceBuffer out_awkward(pre.output_bytes(awkward.size(), PixelFormat::kBGR8));
        pre.run(std::span(&hd, 1), out_hd.data(), out_hd.size(), stream);
        pre.run(awkward, out_awkward.data(), out_awkward.size(), stream);
        stream.synchronize();
        expect_identical(read_back(out_hd), hd_reference, "1920x1080");
        expect_identical(read_back(out_awkward), awkward_reference, "awkward batch of 17");
      }
    }
  }
}

}  // namespace
