// NonMaxSuppression (ONNX NonMaxSuppression-10/11): boxes [B, S, 4], scores
// [B, C, S], optional max_output_boxes_per_class (i64 scalar, default 0 =
// select nothing), iou_threshold (default 0), score_threshold (default: no
// filtering). Output selected_indices [num_selected, 3] i64 rows
// (batch, class, box), batch-major, then class, then in selection order.
//
// Per (batch, class): candidates with score > score_threshold are visited in
// decreasing score (equal scores: lower box index first); one is kept unless
// its IoU with an already kept box exceeds iou_threshold; at most
// max_output_boxes_per_class are kept. Boxes are [y1, x1, y2, x2] with the
// corners in either order (center_point_box = 0) or [x_c, y_c, w, h] (1).
// A box of zero area suppresses nothing (as in ONNX Runtime).
#include <algorithm>
#include <numeric>

#include "ops/detection/detection_ops.hpp"
#include "ops/support.hpp"

namespace trtutils::ops::detection {
namespace {

struct Corners {
  double y1, x1, y2, x2;
};

Corners to_corners(const double* b, bool center_point) {
  if (center_point) {
    return {b[1] - b[3] / 2.0, b[0] - b[2] / 2.0, b[1] + b[3] / 2.0, b[0] + b[2] / 2.0};
  }
  return {std::min(b[0], b[2]), std::min(b[1], b[3]), std::max(b[0], b[2]), std::max(b[1], b[3])};
}

bool suppresses(const Corners& a, const Corners& b, double iou_threshold) {
  const double area_a = (a.y2 - a.y1) * (a.x2 - a.x1);
  const double area_b = (b.y2 - b.y1) * (b.x2 - b.x1);
  if (area_a <= 0.0 || area_b <= 0.0) return false;
  const double ih = std::max(0.0, std::min(a.y2, b.y2) - std::max(a.y1, b.y1));
  const double iw = std::max(0.0, std::min(a.x2, b.x2) - std::max(a.x1, b.x1));
  const double inter = ih * iw;
  return inter / (area_a + area_b - inter) > iou_threshold;
}

void infer_nms(InferContext& ctx) {
  const std::int64_t center = ctx.attributes().get_int("center_point_box", 0);
  if (center != 0 && center != 1) ctx.fail("center_point_box must be 0 or 1");
  ctx.set_output(0, DType::kInt64, ir::DimList{ir::Dim(), 3});
}

std::vector<HostTensor> run_nms(const CpuContext& ctx) {
  const bool center = ctx.attributes().get_int("center_point_box", 0) != 0;
  const HostTensor& boxes = ctx.input(0);
  const HostTensor& scores = ctx.input(1);
  if (boxes.rank() != 3 || boxes.shape()[2] != 4) {
    ctx.fail(
        detail::concat("boxes must be [batch, spatial, 4], got ", shape_to_string(boxes.shape())));
  }
  const std::int64_t batches = boxes.shape()[0], spatial = boxes.shape()[1];
  if (scores.rank() != 3 || scores.shape()[0] != batches || scores.shape()[2] != spatial) {
    ctx.fail(detail::concat("scores must be [", batches, ", classes, ", spatial, "], got ",
                            shape_to_string(scores.shape())));
  }
  const std::int64_t classes = scores.shape()[1];
  std::int64_t max_per_class = 0;
  if (ctx.has_input(2) && ctx.input(2).element_count() > 0)
    max_per_class = read_ints(ctx.input(2))[0];
  double iou_threshold = 0.0;
  if (ctx.has_input(3) && ctx.input(3).element_count() > 0)
    iou_threshold = read_doubles(ctx.input(3))[0];
  const bool filter_scores = ctx.has_input(4) && ctx.input(4).element_count() > 0;
  const double score_threshold = filter_scores ? read_doubles(ctx.input(4))[0] : 0.0;

  const std::vector<double> box_values = read_doubles(boxes);
  const std::vector<double> score_values = read_doubles(scores);
  std::vector<std::int64_t> selected;  // flattened rows of 3
  for (std::int64_t b = 0; b < batches; ++b) {
    std::vector<Corners> corners(static_cast<std::size_t>(spatial));
    for (std::int64_t i = 0; i < spatial; ++i) {
      corners[static_cast<std::size_t>(i)] =
          to_corners(box_values.data() + (b * spatial + i) * 4, center);
    }
    for (std::int64_t c = 0; c < classes; ++c) {
      const double* s = score_values.data() + (b * classes + c) * spatial;
      std::vector<std::int64_t> order;
      for (std::int64_t i = 0; i < spatial; ++i) {
        if (!filter_scores || s[i] > score_threshold) order.push_back(i);
      }
      std::stable_sort(order.begin(), order.end(),
                       [&](std::int64_t l, std::int64_t r) { return s[l] > s[r]; });
      std::vector<std::int64_t> kept;
      for (const std::int64_t i : order) {
        if (static_cast<std::int64_t>(kept.size()) >= max_per_class) break;
        const bool drop = std::any_of(kept.begin(), kept.end(), [&](std::int64_t k) {
          return suppresses(corners[static_cast<std::size_t>(k)],
                            corners[static_cast<std::size_t>(i)], iou_threshold);
        });
        if (drop) continue;
        kept.push_back(i);
        selected.insert(selected.end(), {b, c, i});
      }
    }
  }
  const auto rows = static_cast<std::int64_t>(selected.size() / 3);
  return {HostTensor::from_values(Shape{rows, 3}, selected)};
}

}  // namespace

OpSchema non_max_suppression_schema() { return {"NonMaxSuppression", "", infer_nms, run_nms}; }

}  // namespace trtutils::ops::detection
