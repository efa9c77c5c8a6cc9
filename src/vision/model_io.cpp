#include "trtutils/vision/model_io.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <sstream>

#include "trtutils/core/error.hpp"
#include "trtutils/tensor/shape.hpp"

namespace trtutils::vision {

namespace {

template <typename... Parts>
[[noreturn]] void throw_model_error(Parts&&... parts) {
  throw ModelError(detail::concat(std::forward<Parts>(parts)...));
}

bool is_float(DType dtype) { return dtype == DType::kFloat32 || dtype == DType::kFloat16; }

int dim(const plan::TensorSpec& spec, std::size_t axis) {
  return static_cast<int>(spec.dims[axis]);
}

bool has_static_dims(const plan::TensorSpec& spec) {
  return std::ranges::all_of(spec.dims, [](std::int64_t d) { return d >= 0; });
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool name_has(const plan::TensorSpec& spec, std::string_view word) {
  return lower(spec.name).find(word) != std::string::npos;
}

const char* const kHeadHelp =
    "Detector reads: one [B, 4+C, N] output with 4+C < N (YOLO raw head, head = kYoloRaw); "
    "one [B, K, 6] output (end-to-end, kEndToEnd); four outputs num_dets [B] or [B,1], "
    "boxes [B,K,4], scores [B,K], classes [B,K] (kEfficientNms); two outputs boxes [B,Q,4] "
    "and logits [B,Q,C] (kDetr). Set DetectorOptions::head (CLI: --head) to choose";

// Each recogniser returns the layout when the outputs fit the head, or nothing.
std::optional<HeadLayout> as_yolo_raw(const std::vector<plan::TensorSpec>& outputs) {
  if (outputs.size() != 1) return std::nullopt;
  const plan::TensorSpec& o = outputs[0];
  if (o.dims.size() != 3 || !is_float(o.dtype)) return std::nullopt;
  const int channels = dim(o, 1);
  const int anchors = dim(o, 2);
  if (channels < 5 || channels >= anchors) return std::nullopt;
  return HeadLayout{DetectionHead::kYoloRaw, dim(o, 0), channels, anchors, channels - 4, {0}};
}

std::optional<HeadLayout> as_end_to_end(const std::vector<plan::TensorSpec>& outputs) {
  if (outputs.size() != 1) return std::nullopt;
  const plan::TensorSpec& o = outputs[0];
  if (o.dims.size() != 3 || dim(o, 2) != 6 || dim(o, 1) < 1 || !is_float(o.dtype))
    return std::nullopt;
  return HeadLayout{DetectionHead::kEndToEnd, dim(o, 0), 6, dim(o, 1), -1, {0}};
}

bool is_count(const plan::TensorSpec& s) {
  return s.dims.size() == 1 || (s.dims.size() == 2 && s.dims[1] == 1);
}

std::optional<HeadLayout> as_efficient_nms(const std::vector<plan::TensorSpec>& outputs) {
  if (outputs.size() != 4) return std::nullopt;
  std::optional<std::size_t> count, boxes;
  std::vector<std::size_t> per_row;  // the two [B, K] outputs
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const plan::TensorSpec& s = outputs[i];
    if (is_count(s) && !count) {
      count = i;
    } else if (s.dims.size() == 3 && s.dims[2] == 4 && !boxes) {
      boxes = i;
    } else if (s.dims.size() == 2) {
      per_row.push_back(i);
    } else {
      return std::nullopt;
    }
  }
  if (!count || !boxes || per_row.size() != 2) return std::nullopt;
  const plan::TensorSpec& box_spec = outputs[*boxes];
  const std::int64_t rows = box_spec.dims[1];
  for (std::size_t i : per_row) {
    if (outputs[i].dims[1] != rows) return std::nullopt;
  }
  // Scores are floating point and classes integers (EfficientNMS_TRT); when
  // both are float (some exports), the names decide.
  std::size_t scores = per_row[0];
  std::size_t classes = per_row[1];
  const bool first_float = is_float(outputs[per_row[0]].dtype);
  const bool second_float = is_float(outputs[per_row[1]].dtype);
  if (first_float != second_float) {
    if (!first_float) std::swap(scores, classes);
  } else if (name_has(outputs[per_row[0]], "class") || name_has(outputs[per_row[1]], "score")) {
    std::swap(scores, classes);
  } else if (!(name_has(outputs[per_row[0]], "score") || name_has(outputs[per_row[1]], "class"))) {
    return std::nullopt;  // two [B, K] outputs of one kind and no names to tell them apart
  }
  if (!is_float(outputs[scores].dtype) || !is_float(box_spec.dtype)) return std::nullopt;
  return HeadLayout{
      DetectionHead::kEfficientNms,     dim(box_spec, 0), 4, static_cast<int>(rows), -1,
      {*count, *boxes, scores, classes}};
}

std::optional<HeadLayout> as_detr(const std::vector<plan::TensorSpec>& outputs,
                                  image::DetrScoring scoring) {
  if (outputs.size() != 2) return std::nullopt;
  for (const plan::TensorSpec& s : outputs) {
    if (s.dims.size() != 3 || !is_float(s.dtype)) return std::nullopt;
  }
  if (outputs[0].dims[1] != outputs[1].dims[1]) return std::nullopt;
  const bool first_boxes = outputs[0].dims[2] == 4;
  const bool second_boxes = outputs[1].dims[2] == 4;
  std::size_t boxes = 0;
  if (first_boxes && second_boxes) {
    // Four classes: only the names can say which output holds the boxes.
    if (name_has(outputs[1], "box")) {
      boxes = 1;
    } else if (!name_has(outputs[0], "box")) {
      return std::nullopt;
    }
  } else if (second_boxes) {
    boxes = 1;
  } else if (!first_boxes) {
    return std::nullopt;
  }
  const std::size_t logits = 1 - boxes;
  const int classes = dim(outputs[logits], 2);
  if (classes < 1) return std::nullopt;
  const int real_classes = scoring == image::DetrScoring::kSoftmax ? classes - 1 : classes;
  if (real_classes < 1) return std::nullopt;
  return HeadLayout{DetectionHead::kDetr, dim(outputs[0], 0), classes,
                    dim(outputs[0], 1),   real_classes,       {boxes, logits}};
}

std::optional<HeadLayout> as_head(const std::vector<plan::TensorSpec>& outputs, DetectionHead head,
                                  image::DetrScoring scoring) {
  switch (head) {
    case DetectionHead::kYoloRaw:
      return as_yolo_raw(outputs);
    case DetectionHead::kEndToEnd:
      return as_end_to_end(outputs);
    case DetectionHead::kEfficientNms:
      return as_efficient_nms(outputs);
    case DetectionHead::kDetr:
      return as_detr(outputs, scoring);
    case DetectionHead::kAuto:
      break;
  }
  return std::nullopt;
}

constexpr DetectionHead kConcreteHeads[] = {DetectionHead::kYoloRaw, DetectionHead::kEndToEnd,
                                            DetectionHead::kEfficientNms, DetectionHead::kDetr};

}  // namespace

std::string_view detection_head_name(DetectionHead head) noexcept {
  switch (head) {
    case DetectionHead::kAuto:
      return "auto";
    case DetectionHead::kYoloRaw:
      return "yolo";
    case DetectionHead::kEndToEnd:
      return "end2end";
    case DetectionHead::kEfficientNms:
      return "efficient_nms";
    case DetectionHead::kDetr:
      return "detr";
  }
  return "unknown";
}

DetectionHead detection_head_from_name(std::string_view name) {
  for (const DetectionHead head :
       {DetectionHead::kAuto, DetectionHead::kYoloRaw, DetectionHead::kEndToEnd,
        DetectionHead::kEfficientNms, DetectionHead::kDetr}) {
    if (detection_head_name(head) == name) return head;
  }
  TRTUTILS_CHECK(false, "unknown detection head '", name,
                 "'; use auto, yolo, end2end, efficient_nms or detr");
  return DetectionHead::kAuto;
}

std::string describe_specs(const std::vector<plan::TensorSpec>& specs) {
  std::ostringstream out;
  for (const plan::TensorSpec& s : specs) {
    out << "\n  " << s.name << " " << shape_to_string(s.dims) << " " << dtype_name(s.dtype);
  }
  return out.str();
}

ModelInput describe_input(const std::vector<plan::TensorSpec>& inputs) {
  const char* const expected =
      "a vision engine takes one image tensor [B, 3, H, W] (NCHW) or [B, H, W, 3] (NHWC), "
      "f32 or f16, with a fixed batch (build it with a fixed batch size, e.g. "
      "`trtutils build --batch 1`)";
  if (inputs.size() != 1) {
    throw_model_error("the engine has ", inputs.size(), " inputs:", describe_specs(inputs), "\n",
                      expected);
  }
  const plan::TensorSpec& s = inputs[0];
  if (s.dims.size() != 4 || !has_static_dims(s) || !is_float(s.dtype) || s.dims[0] < 1) {
    throw_model_error("the engine's input is not an image tensor:", describe_specs(inputs), "\n",
                      expected);
  }
  const auto is_channels = [](std::int64_t d) { return d == 3 || d == 1; };
  ModelInput in;
  in.batch = dim(s, 0);
  in.dtype = s.dtype;
  if (is_channels(s.dims[1])) {
    in.layout = image::TensorLayout::kNCHW;
    in.channels = dim(s, 1);
    in.height = dim(s, 2);
    in.width = dim(s, 3);
  } else if (is_channels(s.dims[3])) {
    in.layout = image::TensorLayout::kNHWC;
    in.channels = dim(s, 3);
    in.height = dim(s, 1);
    in.width = dim(s, 2);
  } else {
    throw_model_error("the engine's input has no channel axis of 3 (or 1):", describe_specs(inputs),
                      "\n", expected);
  }
  if (in.height < 1 || in.width < 1) {
    throw_model_error("the engine's input has an empty image size:", describe_specs(inputs));
  }
  return in;
}

image::PreprocessOptions preprocess_options_for(const ModelInput& input,
                                                image::PreprocessOptions options) {
  options.output_width = input.width;
  options.output_height = input.height;
  options.layout = input.layout;
  options.output_dtype = input.dtype;
  return options;
}

DetectionHead detect_head(const std::vector<plan::TensorSpec>& outputs) {
  std::vector<DetectionHead> fits;
  for (const DetectionHead head : kConcreteHeads) {
    if (as_head(outputs, head, image::DetrScoring::kSigmoid)) fits.push_back(head);
  }
  if (fits.size() == 1) return fits[0];
  if (fits.empty()) {
    throw_model_error(
        "cannot tell the detection head from the engine's outputs:", describe_specs(outputs), "\n",
        kHeadHelp, " (the outputs must fit one of these)");
  }
  std::string names;
  for (const DetectionHead head : fits) {
    names += names.empty() ? "" : " or ";
    names += detection_head_name(head);
  }
  throw_model_error("the engine's outputs fit more than one detection head (", names,
                    "):", describe_specs(outputs), "\n", kHeadHelp);
}

HeadLayout resolve_head(const std::vector<plan::TensorSpec>& outputs, DetectionHead requested,
                        int batch, image::DetrScoring detr_scoring) {
  for (const plan::TensorSpec& s : outputs) {
    if (!has_static_dims(s) || s.dims.empty()) {
      throw_model_error(
          "the engine's output '", s.name,
          "' has no fixed shape; Detector needs static output shapes:", describe_specs(outputs));
    }
  }
  const DetectionHead head = requested == DetectionHead::kAuto ? detect_head(outputs) : requested;
  std::optional<HeadLayout> layout = as_head(outputs, head, detr_scoring);
  if (!layout) {
    throw_model_error("the engine's outputs do not form a '", detection_head_name(head),
                      "' head:", describe_specs(outputs), "\n", kHeadHelp);
  }
  for (const plan::TensorSpec& s : outputs) {
    if (s.dims[0] != batch) {
      throw_model_error("the engine's output '", s.name, "' has batch ", s.dims[0],
                        " but the input has batch ", batch, ":", describe_specs(outputs));
    }
  }
  return *layout;
}

std::vector<BatchChunk> split_into_chunks(std::size_t images, int max_batch) {
  TRTUTILS_CHECK(max_batch >= 1, "max_batch is ", max_batch, ": it must be at least 1");
  std::vector<BatchChunk> chunks;
  const auto step = static_cast<std::size_t>(max_batch);
  for (std::size_t first = 0; first < images; first += step) {
    chunks.push_back({first, std::min(step, images - first)});
  }
  return chunks;
}

}  // namespace trtutils::vision
