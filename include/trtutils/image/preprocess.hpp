#pragma once
// Image pre-processing for vision models: resize (letterbox or plain),
// colour order, normalisation and layout change from u8 HWC images to an f32
// or f16 batch tensor, as ONE fused NVRTC kernel per configuration and one
// launch per batch; and the CPU reference it is checked against.
//
// Sampling (identical on GPU and CPU, operation by operation; the kernel is
// compiled with --fmad=false and both sides use explicit fmaf, so results
// agree bit for bit):
//   An image of size (sw, sh) is resized to (rw, rh) and placed at (left, top)
//   in the (W, H) output. For output pixel (X, Y) inside that rectangle,
//   dx = X - left, dy = Y - top and, in float,
//     fx = (dx + 0.5f) * scale_x - 0.5f   with scale_x = float(double(sw) / rw)
//     fy = (dy + 0.5f) * scale_y - 0.5f   with scale_y = float(double(sh) / rh)
//     x0 = floor(fx), ax = fx - x0; if x0 < 0 { x0 = 0, ax = 0 };
//     if x0 >= sw - 1 { x0 = sw - 1, ax = 0 }; x1 = min(x0 + 1, sw - 1)
//     (the same for y), which is cv::resize INTER_LINEAR's half-pixel-centre
//     rule with its border clamping;
//     top = fmaf(ax, p(x1,y0) - p(x0,y0), p(x0,y0))
//     bot = fmaf(ax, p(x1,y1) - p(x0,y1), p(x0,y1))
//     v   = fmaf(ay, bot - top, top)
//   Unlike cv::resize on u8 images, v is not rounded back to u8 and the
//   weights are not fixed-point (INTER_RESIZE_COEF_BITS): values can differ
//   from OpenCV's by up to about one grey level.
//   Outside the rectangle v = pad_value (114 by default).
//   (The kernel does not read an upper tap whose weight is 0: fmaf(0, x, a) == a
//   for the finite values here and a is never -0, so the result is the same.)
//   Normalisation: out = fmaf(v, mul[c], add[c]) with mul = scale / std[c] and
//   add = -mean[c] / std[c] computed in double on the host and rounded to
//   float, i.e. out = (v * scale - mean) / std. f16 output rounds that float to
//   nearest even.
// Letterbox geometry follows Ultralytics' LetterBox: ratio
// r = min(W / sw, H / sh) (double), rw = round(sw * r), rh = round(sh * r),
// left = round((W - rw) / 2 - 0.1), top = round((H - rh) / 2 - 0.1).
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "trtutils/core/event.hpp"
#include "trtutils/core/kernel.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/core/stream.hpp"
#include "trtutils/image/image.hpp"
#include "trtutils/tensor/dtype.hpp"
#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils::image {

enum class ResizeMode : std::uint8_t {
  kLetterbox,  ///< keep the aspect ratio, centre, pad with pad_value
  kStretch,    ///< plain bilinear resize to the output size
};

enum class TensorLayout : std::uint8_t {
  kNCHW,  ///< planar: [B, C, H, W]
  kNHWC,  ///< interleaved: [B, H, W, C]
};

/// Output channel order for colour images (Gray8 gives one channel).
enum class ChannelOrder : std::uint8_t { kRGB, kBGR };

struct PreprocessOptions {
  int output_width = 640;
  int output_height = 640;
  ResizeMode resize = ResizeMode::kLetterbox;
  TensorLayout layout = TensorLayout::kNCHW;
  ChannelOrder channel_order = ChannelOrder::kRGB;
  DType output_dtype = DType::kFloat32;  ///< kFloat32 or kFloat16
  float pad_value = 114.0f;  ///< pixel value of the letterbox border, before normalisation
  /// out = (v * scale - mean[c]) / std[c], channels in output order.
  float scale = 1.0f / 255.0f;
  std::array<float, 3> mean{0.0f, 0.0f, 0.0f};
  std::array<float, 3> std{1.0f, 1.0f, 1.0f};
};

/// Throws InvalidArgument for an unusable option (non-positive size, dtype
/// other than f32/f16, a zero std).
void check_options(const PreprocessOptions& options);

/// How one image was placed in the output; maps model coordinates back with
/// x_image = (x_model - pad_x) / scale_x (see detection.hpp).
struct ImageTransform {
  int source_width = 0;
  int source_height = 0;
  int resized_width = 0;   ///< rw
  int resized_height = 0;  ///< rh
  int pad_left = 0;        ///< left
  int pad_top = 0;         ///< top
  /// Model units per image pixel: the letterbox ratio r for both axes, or
  /// W / sw and H / sh for a stretch.
  double scale_x = 1.0;
  double scale_y = 1.0;
};

/// The placement of an sw x sh image under `options` (letterbox geometry above).
ImageTransform compute_transform(int source_width, int source_height,
                                 const PreprocessOptions& options);

/// Shape of the batch tensor: [B, C, H, W] or [B, H, W, C].
Shape output_shape(std::size_t batch, PixelFormat format, const PreprocessOptions& options);

/// The per-channel multiplier and offset of the normalisation (output order).
struct Normalisation {
  std::array<float, 3> mul{};
  std::array<float, 3> add{};
};
Normalisation normalisation_of(const PreprocessOptions& options);

/// The CPU reference: the formulas above, written plainly. Images must be in
/// host memory (kHost or kPinnedHost) and share one format. Fills
/// `transforms` (resized to the batch) when given.
HostTensor preprocess_reference(std::span<const ImageView> images, const PreprocessOptions& options,
                                std::vector<ImageTransform>* transforms = nullptr);

/// A batch of at most this many images passes its per-image parameters inside the
/// kernel launch (768 bytes); larger batches upload a parameter table first.
inline constexpr std::size_t kPreprocessInlineImages = 16;
/// Output rows per block (one warp each) and output columns per warp (32 lanes x 4
/// adjacent pixels) of the kernel.
inline constexpr int kPreprocessTileRows = 4;
inline constexpr int kPreprocessPixelsPerThread = 4;
inline constexpr int kPreprocessTileWidth = 32 * kPreprocessPixelsPerThread;
/// Shared memory a block may use for staged source rows (2 rows per warp).
inline constexpr std::size_t kPreprocessMaxSharedBytes = 48 * 1024;
/// 16-byte loads a lane has in flight while staging a source row segment.
inline constexpr int kPreprocessStagingLoads = 4;

/// How the kernel's work is cut up and launched. Every choice computes the same bits
/// (tests and trtutils-bench-preprocess check each against the CPU reference); they
/// differ only in speed, which the benchmark measures side by side.
struct PreprocessTuning {
  /// Warps per block, each writing one output row (1 to 32). A block stages 2 source
  /// rows per warp; when that exceeds kPreprocessMaxSharedBytes the kernel samples
  /// from global memory instead (slower, same result).
  int tile_rows = kPreprocessTileRows;
  /// 16-byte loads each lane issues before storing any of them to shared memory while
  /// staging (1 to 8). 1 is one DRAM round trip per 32 chunks of a row segment; 4 covers
  /// a 1920-pixel BGR row's segments (~74 chunks per warp) in one.
  int staging_loads = kPreprocessStagingLoads;
  /// Launch with programmatic dependent launch (core::LaunchOptions) where the GPU has
  /// it (sm_90+; a plain launch elsewhere): the launch and the kernel's parameter
  /// arithmetic overlap the end of the kernel before it on the stream. Safe with any
  /// earlier kernel: the kernel touches no global memory before griddepcontrol.wait
  /// (src/image/preprocess_kernel.cuh states the rule).
  bool programmatic_dependent_launch = true;
};
/// Throws InvalidArgument for a tuning outside the ranges above.
void check_tuning(const PreprocessTuning& tuning);
/// "rows 4, loads 4, PDL on": for benchmark tables and messages.
std::string tuning_name(const PreprocessTuning& tuning);

/// True when a batch of `batch` images takes the by-value kernel (no table upload).
constexpr bool preprocess_params_by_value(std::size_t batch) noexcept {
  return batch <= kPreprocessInlineImages;
}

/// What the generated kernel is specialised on.
struct PreprocessKernelConfig {
  PixelFormat input_format = PixelFormat::kBGR8;
  ChannelOrder channel_order = ChannelOrder::kRGB;
  TensorLayout layout = TensorLayout::kNCHW;
  DType output_dtype = DType::kFloat32;
};

/// The CUDA source of the fused kernel for `config`: two extern "C" entry points,
/// kPreprocessKernelName (per-image parameters by value, batches up to
/// kPreprocessInlineImages) and kPreprocessTableKernelName (parameters read from a
/// device table). Compile with preprocess_nvrtc_options(). `tuning` sets the block's
/// rows and the staging loads (its PDL switch is a launch option, not in the source).
std::string generate_preprocess_source(const PreprocessKernelConfig& config,
                                       const PreprocessTuning& tuning = {});
inline constexpr const char* kPreprocessKernelName = "trtutils_preprocess";
inline constexpr const char* kPreprocessTableKernelName = "trtutils_preprocess_table";
/// --fmad=false: the formulas contract exactly where they say fmaf, as on the CPU.
std::vector<std::string> preprocess_nvrtc_options();

/// One entry of the per-image table the kernel reads (device memory), 8-byte aligned.
struct PreprocessImageParams {
  std::uint64_t source = 0;  ///< device address of pixel (0, 0)
  std::uint64_t stride_bytes = 0;
  std::int32_t source_width = 0;
  std::int32_t source_height = 0;
  std::int32_t resized_width = 0;
  std::int32_t resized_height = 0;
  std::int32_t pad_left = 0;
  std::int32_t pad_top = 0;
  float scale_x = 1.0f;  ///< float(double(sw) / rw): source pixels per resized pixel
  float scale_y = 1.0f;
};
static_assert(sizeof(PreprocessImageParams) == 48);

/// The kernel's parameters for one image (`image.data` must be the address the
/// kernel reads: device memory, or the staged copy).
PreprocessImageParams preprocess_image_params(const ImageView& image,
                                              const PreprocessOptions& options);

/// How a batch is launched; pure host logic (tested without a GPU).
struct PreprocessLaunch {
  bool params_by_value = true;  ///< preprocess_params_by_value(batch)
  /// Four adjacent outputs per store (16 bytes f32, 8 bytes f16): needs the output
  /// address aligned to that and output_width % 4 == 0; otherwise element stores.
  bool vector_stores = false;
  /// Bytes of shared memory per staged source row: room for the widest row segment
  /// one warp's taps read (128 output pixels at the batch's largest x scale) plus 15
  /// alignment bytes, a multiple of 16; 0 when that exceeds kPreprocessMaxSharedBytes
  /// (taps are then read from global memory).
  int row_pitch = 0;
  std::size_t shared_bytes = 0;  ///< 2 rows per warp x tile_rows x row_pitch
  unsigned grid_x = 0;           ///< ceil(W / kPreprocessTileWidth)
  unsigned grid_y = 0;           ///< ceil(H / tile_rows)
  unsigned grid_z = 0;           ///< batch
  unsigned block_y = 0;          ///< tile_rows (block = 32 x tile_rows)
};
PreprocessLaunch plan_preprocess_launch(std::span<const PreprocessImageParams> images,
                                        PixelFormat format, const PreprocessOptions& options,
                                        const void* output, const PreprocessTuning& tuning = {});

/// The source bytes the kernel reads for `image` under `options`, counted in the
/// 32-byte sectors DRAM delivers (rows with a weighted tap, each warp's column
/// span), assuming row 0 starts 256-byte aligned. For bandwidth accounting: an
/// integer-ratio downscale reads fewer bytes than the whole image.
std::size_t preprocess_source_bytes_read(const ImageView& image, const PreprocessOptions& options);

/// GPU pre-processing for one PreprocessOptions. Owns its kernels (compiled
/// on first use of a pixel format, through the NVRTC disk cache), a device
/// parameter table and staging buffers, all grow-only: once a batch of some
/// size has been processed, batches no larger allocate nothing.
///
/// Not thread-safe; use one per thread or stream. Staging buffers are reused
/// by the next call: it waits on the host for the previous call's uploads from
/// pinned memory, and on the GPU for the previous kernel that read the device
/// staging or parameter buffers. A batch of device images of at most
/// kPreprocessInlineImages is one kernel launch and nothing else (no copy, no
/// event, no wait), so it can be captured into a CUDA graph. With programmatic
/// dependent launch (PreprocessTuning, on by default) that launch may begin while the
/// kernel before it on the stream finishes, but reads no image and writes no output
/// before that kernel has completed: callers order work exactly as without it.
class Preprocessor {
 public:
  explicit Preprocessor(PreprocessOptions options, PreprocessTuning tuning = {});
  Preprocessor(Preprocessor&&) noexcept;
  Preprocessor& operator=(Preprocessor&&) noexcept;
  ~Preprocessor();

  const PreprocessOptions& options() const noexcept { return options_; }
  const PreprocessTuning& tuning() const noexcept { return tuning_; }

  /// Bytes the output of `batch` images of `format` needs.
  std::size_t output_bytes(std::size_t batch, PixelFormat format) const;

  /// Queues the uploads (host images) and one kernel launch on `stream`,
  /// writing the batch tensor to `output` (device memory, at least
  /// output_bytes() bytes), and fills `transforms` (one per image). Returns
  /// without waiting for the GPU.
  void run(std::span<const ImageView> images, void* output, std::size_t output_capacity_bytes,
           std::span<ImageTransform> transforms, core::StreamView stream);
  /// The same, returning the transforms (allocates the vector).
  std::vector<ImageTransform> run(std::span<const ImageView> images, void* output,
                                  std::size_t output_capacity_bytes, core::StreamView stream);

  /// Allocations made so far (device + pinned); a test of the grow-only rule.
  std::size_t allocation_count() const noexcept { return allocations_; }

 private:
  struct CompiledKernels {
    PixelFormat format;
    std::unique_ptr<core::Kernel> by_value;
    std::unique_ptr<core::Kernel> table;
  };
  const core::Kernel& kernel_for(PixelFormat format, bool by_value);
  void wait_before_replacing_buffers();

  PreprocessOptions options_;
  PreprocessTuning tuning_;
  Normalisation norm_;
  std::vector<CompiledKernels> kernels_;
  std::vector<PreprocessImageParams> params_;  // pageable: the driver stages small copies at once
  core::DeviceBuffer params_device_;
  core::PinnedBuffer staging_host_;
  core::DeviceBuffer staging_device_;
  // Recorded after the uploads from staging_host_: the host waits on it before
  // writing staging_host_ again.
  std::unique_ptr<core::Event> uploads_done_;
  bool uploads_pending_ = false;
  // Recorded after a kernel that read staging_device_ or params_device_: later
  // writes to them (on any stream) wait for it on the GPU, replacing them on the host.
  std::unique_ptr<core::Event> buffers_read_;
  bool buffers_in_use_ = false;
  std::size_t allocations_ = 0;
};

}  // namespace trtutils::image
