#pragma once
// Detection post-processing: YOLO raw heads (decode + threshold + NMS, on the
// GPU and as a CPU reference), end-to-end heads, EfficientNMS-style outputs,
// DETR-style heads, and the mapping of boxes back to the original image.
//
// Order and ties: candidates are ranked by candidate_key(score, index), i.e.
// by score descending and, among equal scores, by index ascending (the only
// difference from comparing floats is that -0 ranks below +0). GPU and CPU use
// the same key and the same float formulas (compiled with --fmad=false), so
// they keep the same boxes in the same order.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "trtutils/core/kernel.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/core/stream.hpp"
#include "trtutils/image/preprocess.hpp"
#include "trtutils/tensor/dtype.hpp"

namespace trtutils::image {

/// One detected object; corners in pixels of the model input until mapped
/// back with to_image(). `index` is where it came from in the head's output
/// (the anchor for YOLO, the row / query otherwise), e.g. to pick its mask
/// coefficients or keypoints.
struct Detection {
  float x1 = 0.0f;
  float y1 = 0.0f;
  float x2 = 0.0f;
  float y2 = 0.0f;
  float score = 0.0f;
  int class_id = 0;
  int index = -1;
  friend bool operator==(const Detection&, const Detection&) = default;
};
static_assert(sizeof(Detection) == 28, "the GPU writes Detection records byte for byte");

/// Intersection over union of two corner boxes:
///   iw = min(a.x2, b.x2) - max(a.x1, b.x1), ih likewise; 0 unless both > 0;
///   inter = iw * ih; union = (area(a) + area(b)) - inter; inter / union,
///   or 0 unless union > 0 (degenerate boxes overlap nothing).
float iou(const Detection& a, const Detection& b) noexcept;

/// The rank of a candidate: the score's bits made order-preserving as an
/// unsigned number in the high 32 bits, 0xFFFFFFFF - index in the low 32;
/// larger ranks first.
std::uint64_t candidate_key(float score, std::uint32_t index) noexcept;

struct NmsOptions {
  float score_threshold = 0.25f;  ///< candidates need score > threshold
  float iou_threshold = 0.45f;    ///< a box is suppressed by a kept one when IoU > threshold
  bool class_agnostic = false;    ///< false: only boxes of the same class suppress each other
  int max_detections = 300;       ///< kept per image, best first
  /// Best candidates that enter NMS per image (Ultralytics' max_nms); 1..4096.
  int max_candidates = 4096;
};
void check_nms_options(const NmsOptions& options);

/// Greedy NMS: ranks `candidates` by candidate_key(score, index), keeps the
/// best max_candidates, then walks them best first, keeping a box unless a
/// kept box (of the same class, unless agnostic) overlaps it with IoU above
/// the threshold; stops at max_detections. Does not apply score_threshold.
std::vector<Detection> nms_reference(std::vector<Detection> candidates, const NmsOptions& options);

/// Decodes one image of a YOLOv8/v11 raw head, [4 + C, N] row-major
/// (cx, cy, w, h, then C class scores per anchor): the score is the largest
/// class score (first class on ties), the box
/// (cx - w * 0.5f, cy - h * 0.5f, cx + w * 0.5f, cy + h * 0.5f); keeps
/// score > threshold. Detections carry the anchor as index.
std::vector<Detection> decode_yolo_candidates(std::span<const float> head, int channels,
                                              int anchors, float score_threshold);

/// The CPU reference for a batch [B, 4 + C, N]: decode, then nms_reference.
std::vector<std::vector<Detection>> yolo_reference(std::span<const float> head, int batch,
                                                   int channels, int anchors,
                                                   const NmsOptions& options);

/// End-to-end heads (YOLOv10), [B, K, 6] rows of x1, y1, x2, y2, score, class:
/// the rows with score > threshold, in row order.
std::vector<std::vector<Detection>> decode_end_to_end(std::span<const float> output, int batch,
                                                      int rows, float score_threshold);

/// EfficientNMS-style outputs: num_detections [B], boxes [B, K, 4] corners,
/// scores [B, K], classes [B, K]. The first num_detections rows (at most K)
/// with score > threshold.
std::vector<std::vector<Detection>> decode_efficient_nms(
    std::span<const std::int32_t> num_detections, std::span<const float> boxes,
    std::span<const float> scores, std::span<const std::int32_t> classes, int batch,
    int max_detections, float score_threshold);

enum class DetrScoring : std::uint8_t {
  /// sigmoid over every (query, class) logit, the top_k of all Q * C scores
  /// (RT-DETR, Deformable DETR).
  kSigmoid,
  /// softmax over each query's C logits whose last class is "no object";
  /// each query's best real class, then the top_k queries (original DETR).
  kSoftmax,
};

/// DETR-style heads: boxes [B, Q, 4] as (cx, cy, w, h) normalised to the
/// model input, logits [B, Q, C]. Keeps the top_k by candidate_key with
/// score > threshold; boxes scaled to input_width x input_height pixels;
/// index = query.
std::vector<std::vector<Detection>> decode_detr(std::span<const float> boxes,
                                                std::span<const float> logits, int batch,
                                                int queries, int classes, DetrScoring scoring,
                                                int top_k, float score_threshold, int input_width,
                                                int input_height);

/// Maps a detection from model-input pixels to the original image:
/// x = (x - pad_left) / scale_x, y = (y - pad_top) / scale_y, clipped to
/// [0, source_width] x [0, source_height].
Detection to_image(const Detection& detection, const ImageTransform& transform) noexcept;
void to_image(std::span<Detection> detections, const ImageTransform& transform) noexcept;

// --- GPU --------------------------------------------------------------------

/// The CUDA source of the YOLO kernels for a head of `input_dtype` (f32 or
/// f16): yolo_decode, yolo_select_sort, nms_mask, nms_scan (extern "C").
/// Compile with --fmad=false (detection_nvrtc_options()).
std::string generate_yolo_source(DType input_dtype);
std::vector<std::string> detection_nvrtc_options();

/// YOLO raw-head post-processing on the GPU, for heads of one shape
/// [<= max_batch, channels, anchors]. Four launches per batch: decode with
/// threshold and compaction (grid over anchors), per-image top-k selection
/// (radix select on candidate keys) and bitonic sort in shared memory, the
/// IoU bitmask (torchvision-style 64x64 tiles), and a one-warp greedy scan per
/// image. All buffers are allocated at construction.
class YoloPostprocessor {
 public:
  YoloPostprocessor(int max_batch, int channels, int anchors, NmsOptions options,
                    DType input_dtype = DType::kFloat32);
  YoloPostprocessor(YoloPostprocessor&&) noexcept;
  YoloPostprocessor& operator=(YoloPostprocessor&&) noexcept;
  ~YoloPostprocessor();

  const NmsOptions& options() const noexcept { return options_; }

  /// Queues the kernels and the copy of the results to page-locked memory
  /// on `stream`; `head` is device memory [batch, channels, anchors].
  void run_async(const void* head, int batch, core::StreamView stream);
  /// After run_async's work has completed: the detections of image `b`
  /// (model-input coordinates).
  std::vector<Detection> results(int b) const;
  /// run_async, wait, and every image's results.
  std::vector<std::vector<Detection>> run(const void* head, int batch, core::StreamView stream);

 private:
  int max_batch_;
  int channels_;
  int anchors_;
  int capacity_;  // power of two >= max_candidates, >= 64
  NmsOptions options_;
  DType input_dtype_;
  int last_batch_ = 0;
  std::unique_ptr<core::Kernel> decode_;
  std::unique_ptr<core::Kernel> select_sort_;
  std::unique_ptr<core::Kernel> mask_;
  std::unique_ptr<core::Kernel> scan_;
  core::DeviceBuffer boxes_;       // float4 [B, N]
  core::DeviceBuffer scores_;      // float [B, N]
  core::DeviceBuffer classes_;     // int [B, N]
  core::DeviceBuffer keys_;        // u64 [B, N]
  core::DeviceBuffer counts_;      // int [B] candidates, then int [B] sorted counts
  core::DeviceBuffer sorted_;      // int [B, capacity]
  core::DeviceBuffer mask_bits_;   // u64 [B, capacity, capacity / 64]
  core::DeviceBuffer detections_;  // Detection [B, max_detections], then int [B] counts
  core::PinnedBuffer host_results_;
};

}  // namespace trtutils::image
