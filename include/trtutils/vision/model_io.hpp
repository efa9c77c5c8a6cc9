#pragma once
// How a vision model's engine looks from the outside: its image input (batch,
// channels, size, layout, dtype) and which detection head its outputs form.
// Pure functions of the engine's TensorSpecs, so that the decisions Detector
// and Classifier make can be tested without a GPU.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trtutils/image/detection.hpp"
#include "trtutils/image/preprocess.hpp"
#include "trtutils/plan/plan.hpp"
#include "trtutils/tensor/dtype.hpp"

namespace trtutils::vision {

/// The output layouts Detector decodes.
enum class DetectionHead : std::uint8_t {
  kAuto,          ///< decide from the engine's outputs (detect_head)
  kYoloRaw,       ///< one [B, 4 + C, N] output (YOLOv8/v11): GPU decode + NMS
  kEndToEnd,      ///< one [B, K, 6] output of x1, y1, x2, y2, score, class (YOLOv10)
  kEfficientNms,  ///< num_dets [B] or [B, 1], boxes [B, K, 4], scores [B, K], classes [B, K]
  kDetr,          ///< boxes [B, Q, 4] (cx, cy, w, h normalised) and logits [B, Q, C]
};
/// "auto", "yolo", "end2end", "efficient_nms", "detr".
std::string_view detection_head_name(DetectionHead head) noexcept;
/// Inverse of detection_head_name; InvalidArgument listing the names.
DetectionHead detection_head_from_name(std::string_view name);

/// The image input of a vision engine: exactly one input, rank 4, static,
/// [B, C, H, W] (NCHW) or [B, H, W, C] (NHWC) with C = 3 (or 1 for grey
/// models), f32 or f16.
struct ModelInput {
  int batch = 0;
  int channels = 0;
  int height = 0;
  int width = 0;
  image::TensorLayout layout = image::TensorLayout::kNCHW;
  DType dtype = DType::kFloat32;
};
/// ModelError naming the shapes found and what is accepted otherwise.
ModelInput describe_input(const std::vector<plan::TensorSpec>& inputs);

/// `options` with the engine's output size, layout and dtype filled in.
image::PreprocessOptions preprocess_options_for(const ModelInput& input,
                                                image::PreprocessOptions options);

/// Which output plays which part, and the extents the decoders need.
struct HeadLayout {
  DetectionHead head = DetectionHead::kAuto;
  int batch = 0;
  /// kYoloRaw: 4 + C; kDetr: C (logit columns).
  int channels = 0;
  /// kYoloRaw: anchors N; kEndToEnd, kEfficientNms: rows K; kDetr: queries Q.
  int rows = 0;
  /// Classes the model predicts, or -1 when the head does not say
  /// (kEndToEnd, kEfficientNms). kDetr with softmax scoring: C - 1.
  int num_classes = -1;
  /// Output indices by role. kYoloRaw / kEndToEnd: {head};
  /// kEfficientNms: {num_dets, boxes, scores, classes}; kDetr: {boxes, logits}.
  std::vector<std::size_t> outputs;
};

/// The head the outputs form, by shape (and, where shapes tie, by name):
///   one rank-3 [B, 4 + C, N] with 1 <= C and 4 + C < N   -> kYoloRaw
///   one rank-3 [B, K, 6]                                  -> kEndToEnd
///   four outputs [B] or [B, 1], [B, K, 4], [B, K], [B, K]  -> kEfficientNms
///   two outputs [B, Q, 4] and [B, Q, C]                   -> kDetr
/// ModelError listing every output (name, shape, dtype) when none fits or
/// more than one does ([B, 5, 6] is both a YOLO head and 5 end-to-end rows),
/// saying to set DetectorOptions::head.
DetectionHead detect_head(const std::vector<plan::TensorSpec>& outputs);

/// The layout for `requested` (kAuto: detect_head), checking that the
/// outputs fit it: ModelError listing the outputs otherwise. The batch
/// dimension of every output must equal `batch`.
HeadLayout resolve_head(const std::vector<plan::TensorSpec>& outputs, DetectionHead requested,
                        int batch, image::DetrScoring detr_scoring = image::DetrScoring::kSigmoid);

/// "name [1, 84, 8400] f32" lines, one per spec, for error messages.
std::string describe_specs(const std::vector<plan::TensorSpec>& specs);

/// A run of consecutive images that goes through the engine at once.
struct BatchChunk {
  std::size_t first = 0;
  std::size_t count = 0;
  friend bool operator==(const BatchChunk&, const BatchChunk&) = default;
};
/// `images` split into chunks of `max_batch` (the last one may be partial);
/// empty for 0 images. InvalidArgument unless max_batch >= 1.
std::vector<BatchChunk> split_into_chunks(std::size_t images, int max_batch);

}  // namespace trtutils::vision
