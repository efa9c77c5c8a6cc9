#include "trtutils/image/detection.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "trtutils/core/error.hpp"

namespace trtutils::image {

namespace {

float smaller(float a, float b) { return a < b ? a : b; }
float larger(float a, float b) { return a > b ? a : b; }

bool ranks_before(const Detection& a, const Detection& b) {
  return candidate_key(a.score, static_cast<std::uint32_t>(a.index)) >
         candidate_key(b.score, static_cast<std::uint32_t>(b.index));
}

void sort_by_rank(std::vector<Detection>& detections) {
  std::sort(detections.begin(), detections.end(), ranks_before);
}

float clip(float v, float hi) { return v < 0.0f ? 0.0f : (v > hi ? hi : v); }

}  // namespace

float iou(const Detection& a, const Detection& b) noexcept {
  const float iw = smaller(a.x2, b.x2) - larger(a.x1, b.x1);
  const float ih = smaller(a.y2, b.y2) - larger(a.y1, b.y1);
  if (!(iw > 0.0f) || !(ih > 0.0f)) return 0.0f;
  const float inter = iw * ih;
  const float area_a = (a.x2 - a.x1) * (a.y2 - a.y1);
  const float area_b = (b.x2 - b.x1) * (b.y2 - b.y1);
  const float uni = (area_a + area_b) - inter;
  if (!(uni > 0.0f)) return 0.0f;
  return inter / uni;
}

std::uint64_t candidate_key(float score, std::uint32_t index) noexcept {
  std::uint32_t bits = std::bit_cast<std::uint32_t>(score);
  bits = (bits & 0x80000000u) != 0 ? ~bits : (bits | 0x80000000u);
  return (static_cast<std::uint64_t>(bits) << 32) | (0xFFFFFFFFu - index);
}

void check_nms_options(const NmsOptions& options) {
  TRTUTILS_CHECK(options.max_detections > 0, "max_detections is ", options.max_detections,
                 ": it must be positive");
  TRTUTILS_CHECK(options.max_candidates > 0 && options.max_candidates <= 4096, "max_candidates is ",
                 options.max_candidates,
                 ": it must be in 1..4096 (the GPU sorts them in shared memory)");
  TRTUTILS_CHECK(!std::isnan(options.iou_threshold) && !std::isnan(options.score_threshold),
                 "NMS thresholds must not be NaN");
}

std::vector<Detection> nms_reference(std::vector<Detection> candidates, const NmsOptions& options) {
  check_nms_options(options);
  sort_by_rank(candidates);
  if (candidates.size() > static_cast<std::size_t>(options.max_candidates)) {
    candidates.resize(static_cast<std::size_t>(options.max_candidates));
  }
  std::vector<Detection> kept;
  for (const Detection& candidate : candidates) {
    bool suppressed = false;
    for (const Detection& k : kept) {
      if ((options.class_agnostic || k.class_id == candidate.class_id) &&
          iou(k, candidate) > options.iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (suppressed) continue;
    kept.push_back(candidate);
    if (kept.size() == static_cast<std::size_t>(options.max_detections)) break;
  }
  return kept;
}

std::vector<Detection> decode_yolo_candidates(std::span<const float> head, int channels,
                                              int anchors, float score_threshold) {
  TRTUTILS_CHECK(channels > 4 && anchors > 0,
                 "a YOLO head is [4 + classes, anchors] with at least one "
                 "class and anchor, got [",
                 channels, ", ", anchors, "]");
  TRTUTILS_CHECK(
      head.size() == static_cast<std::size_t>(channels) * static_cast<std::size_t>(anchors), "a [",
      channels, ", ", anchors, "] head has ",
      static_cast<std::size_t>(channels) * static_cast<std::size_t>(anchors), " values, got ",
      head.size());
  const auto n_anchors = static_cast<std::size_t>(anchors);
  std::vector<Detection> out;
  for (std::size_t n = 0; n < n_anchors; ++n) {
    float best = head[4 * n_anchors + n];
    int best_class = 0;
    for (int c = 1; c < channels - 4; ++c) {
      const float s = head[(4 + static_cast<std::size_t>(c)) * n_anchors + n];
      if (s > best) {
        best = s;
        best_class = c;
      }
    }
    if (!(best > score_threshold)) continue;
    const float cx = head[n];
    const float cy = head[n_anchors + n];
    const float w = head[2 * n_anchors + n];
    const float h = head[3 * n_anchors + n];
    out.push_back({cx - w * 0.5f, cy - h * 0.5f, cx + w * 0.5f, cy + h * 0.5f, best, best_class,
                   static_cast<int>(n)});
  }
  return out;
}

std::vector<std::vector<Detection>> yolo_reference(std::span<const float> head, int batch,
                                                   int channels, int anchors,
                                                   const NmsOptions& options) {
  TRTUTILS_CHECK(batch > 0, "batch is ", batch, ": it must be positive");
  const std::size_t per_image =
      static_cast<std::size_t>(channels) * static_cast<std::size_t>(anchors);
  TRTUTILS_CHECK(head.size() == per_image * static_cast<std::size_t>(batch), "a [", batch, ", ",
                 channels, ", ", anchors, "] head has ",
                 per_image * static_cast<std::size_t>(batch), " values, got ", head.size());
  std::vector<std::vector<Detection>> out;
  for (int b = 0; b < batch; ++b) {
    out.push_back(nms_reference(
        decode_yolo_candidates(head.subspan(static_cast<std::size_t>(b) * per_image, per_image),
                               channels, anchors, options.score_threshold),
        options));
  }
  return out;
}

std::vector<std::vector<Detection>> decode_end_to_end(std::span<const float> output, int batch,
                                                      int rows, float score_threshold) {
  TRTUTILS_CHECK(
      batch > 0 && rows > 0 &&
          output.size() == static_cast<std::size_t>(batch) * static_cast<std::size_t>(rows) * 6,
      "an end-to-end head [", batch, ", ", rows, ", 6] has ",
      static_cast<std::size_t>(batch) * static_cast<std::size_t>(rows) * 6, " values, got ",
      output.size());
  std::vector<std::vector<Detection>> out(static_cast<std::size_t>(batch));
  for (std::size_t b = 0; b < out.size(); ++b) {
    for (int r = 0; r < rows; ++r) {
      const float* v =
          output.data() + (b * static_cast<std::size_t>(rows) + static_cast<std::size_t>(r)) * 6;
      if (!(v[4] > score_threshold)) continue;
      out[b].push_back({v[0], v[1], v[2], v[3], v[4], static_cast<int>(std::lround(v[5])), r});
    }
  }
  return out;
}

std::vector<std::vector<Detection>> decode_efficient_nms(
    std::span<const std::int32_t> num_detections, std::span<const float> boxes,
    std::span<const float> scores, std::span<const std::int32_t> classes, int batch,
    int max_detections, float score_threshold) {
  const auto b_count = static_cast<std::size_t>(batch);
  const auto k = static_cast<std::size_t>(max_detections);
  TRTUTILS_CHECK(batch > 0 && max_detections > 0 && num_detections.size() == b_count &&
                     boxes.size() == b_count * k * 4 && scores.size() == b_count * k &&
                     classes.size() == b_count * k,
                 "EfficientNMS outputs for batch ", batch, " and ", max_detections,
                 " detections need num_detections [", batch, "], boxes [", batch, ", ",
                 max_detections, ", 4], scores and classes [", batch, ", ", max_detections,
                 "]; got ", num_detections.size(), ", ", boxes.size(), ", ", scores.size(), ", ",
                 classes.size(), " values");
  std::vector<std::vector<Detection>> out(b_count);
  for (std::size_t b = 0; b < b_count; ++b) {
    const auto n = static_cast<std::size_t>(std::clamp(num_detections[b], 0, max_detections));
    for (std::size_t i = 0; i < n; ++i) {
      const float s = scores[b * k + i];
      if (!(s > score_threshold)) continue;
      const float* box = boxes.data() + (b * k + i) * 4;
      out[b].push_back(
          {box[0], box[1], box[2], box[3], s, classes[b * k + i], static_cast<int>(i)});
    }
  }
  return out;
}

std::vector<std::vector<Detection>> decode_detr(std::span<const float> boxes,
                                                std::span<const float> logits, int batch,
                                                int queries, int classes, DetrScoring scoring,
                                                int top_k, float score_threshold, int input_width,
                                                int input_height) {
  const auto b_count = static_cast<std::size_t>(batch);
  const auto q = static_cast<std::size_t>(queries);
  const auto c = static_cast<std::size_t>(classes);
  TRTUTILS_CHECK(batch > 0 && queries > 0 && classes > 0 && top_k > 0 &&
                     boxes.size() == b_count * q * 4 && logits.size() == b_count * q * c,
                 "a DETR head for batch ", batch, ", ", queries, " queries and ", classes,
                 " classes needs boxes [", batch, ", ", queries, ", 4] and logits [", batch, ", ",
                 queries, ", ", classes, "]; got ", boxes.size(), " and ", logits.size(),
                 " values");
  TRTUTILS_CHECK(scoring != DetrScoring::kSoftmax || classes >= 2,
                 "softmax DETR scoring needs at least one class besides 'no object'");
  std::vector<std::vector<Detection>> out(b_count);
  const auto box_of = [&](std::size_t b, std::size_t query, float score, int cls, int index) {
    const float* v = boxes.data() + (b * q + query) * 4;
    const float w = static_cast<float>(input_width);
    const float h = static_cast<float>(input_height);
    return Detection{(v[0] - v[2] * 0.5f) * w,
                     (v[1] - v[3] * 0.5f) * h,
                     (v[0] + v[2] * 0.5f) * w,
                     (v[1] + v[3] * 0.5f) * h,
                     score,
                     cls,
                     index};
  };
  for (std::size_t b = 0; b < b_count; ++b) {
    const float* l = logits.data() + b * q * c;
    std::vector<Detection> candidates;
    if (scoring == DetrScoring::kSigmoid) {
      // Rank all Q * C scores by flat index; index reports the query.
      std::vector<std::pair<std::uint64_t, std::size_t>> ranked;
      for (std::size_t i = 0; i < q * c; ++i) {
        const float s = 1.0f / (1.0f + std::exp(-l[i]));
        if (s > score_threshold)
          ranked.emplace_back(candidate_key(s, static_cast<std::uint32_t>(i)), i);
      }
      std::sort(ranked.begin(), ranked.end(),
                [](const auto& x, const auto& y) { return x.first > y.first; });
      if (ranked.size() > static_cast<std::size_t>(top_k))
        ranked.resize(static_cast<std::size_t>(top_k));
      for (const auto& [key, i] : ranked) {
        const float s = 1.0f / (1.0f + std::exp(-l[i]));
        out[b].push_back(box_of(b, i / c, s, static_cast<int>(i % c), static_cast<int>(i / c)));
      }
      continue;
    }
    for (std::size_t query = 0; query < q; ++query) {
      const float* row = l + query * c;
      float mx = row[0];
      for (std::size_t k = 1; k < c; ++k) mx = larger(mx, row[k]);
      float sum = 0.0f;
      for (std::size_t k = 0; k < c; ++k) sum += std::exp(row[k] - mx);
      float best = -1.0f;
      int best_class = 0;
      for (std::size_t k = 0; k + 1 < c; ++k) {
        const float p = std::exp(row[k] - mx) / sum;
        if (p > best) {
          best = p;
          best_class = static_cast<int>(k);
        }
      }
      if (best > score_threshold) {
        candidates.push_back(box_of(b, query, best, best_class, static_cast<int>(query)));
      }
    }
    sort_by_rank(candidates);
    if (candidates.size() > static_cast<std::size_t>(top_k))
      candidates.resize(static_cast<std::size_t>(top_k));
    out[b] = std::move(candidates);
  }
  return out;
}

Detection to_image(const Detection& detection, const ImageTransform& transform) noexcept {
  Detection d = detection;
  const auto map = [](float v, int pad, double scale, int size) {
    return clip(static_cast<float>((static_cast<double>(v) - pad) / scale),
                static_cast<float>(size));
  };
  d.x1 = map(d.x1, transform.pad_left, transform.scale_x, transform.source_width);
  d.x2 = map(d.x2, transform.pad_left, transform.scale_x, transform.source_width);
  d.y1 = map(d.y1, transform.pad_top, transform.scale_y, transform.source_height);
  d.y2 = map(d.y2, transform.pad_top, transform.scale_y, transform.source_height);
  return d;
}

void to_image(std::span<Detection> detections, const ImageTransform& transform) noexcept {
  for (Detection& d : detections) d = to_image(d, transform);
}

}  // namespace trtutils::image
