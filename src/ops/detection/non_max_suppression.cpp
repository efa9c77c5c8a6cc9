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
#include "ops/image/kernel_text.hpp"
#include "ops/support.hpp"
#include "trtutils/ops/gpu_lowering.hpp"

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

// --- GPU lowering ----------------------------------------------------------------
// selected_indices is allocated at its upper bound [B * C * min(M, S), 3]
// (M = max_output_boxes_per_class, which must therefore be known at build
// time); the true row count is the dynamic extent.
// 1. select: one block per (batch, class). Candidates (score > threshold) are
//    sorted in scratch by a bitonic network over P = 2^ceil(log2 S) slots:
//    higher score first, equal scores lower box index first, filtered slots
//    last -- the CPU's stable sort. The block then walks them in order: the
//    next unsuppressed candidate is kept and, in parallel, marks every later
//    candidate it suppresses. A candidate is kept iff no earlier kept box
//    suppresses it, exactly the CPU's greedy rule. IoU is in double like the
//    CPU's, from the boxes converted to double.
// 2. compact: one block writes the kept (batch, class, box) rows batch-major,
//    then class, in selection order, and the row count.
// Thresholds are baked when constant, otherwise read from the device.

constexpr std::uint32_t kNmsThreads = 256;

std::int64_t next_power_of_two(std::int64_t v) {
  std::int64_t p = 1;
  while (p < v) p *= 2;
  return p;
}

const char* kNmsSource = R"(
struct Corners { double y1, x1, y2, x2; };
__device__ __forceinline__ Corners corners_of(const $B* boxes, long long box) {
  const double b0 = (double)($B0), b1 = (double)($B1), b2 = (double)($B2), b3 = (double)($B3);
  Corners c;
  if ($CENTER) {
    c.y1 = b1 - b3 / 2.0; c.x1 = b0 - b2 / 2.0; c.y2 = b1 + b3 / 2.0; c.x2 = b0 + b2 / 2.0;
  } else {
    c.y1 = fmin(b0, b2); c.x1 = fmin(b1, b3); c.y2 = fmax(b0, b2); c.x2 = fmax(b1, b3);
  }
  return c;
}
__device__ __forceinline__ bool suppresses(const Corners& a, const Corners& b, double threshold) {
  const double area_a = (a.y2 - a.y1) * (a.x2 - a.x1);
  const double area_b = (b.y2 - b.y1) * (b.x2 - b.x1);
  if (area_a <= 0.0 || area_b <= 0.0) return false;
  const double ih = fmax(0.0, fmin(a.y2, b.y2) - fmax(a.y1, b.y1));
  const double iw = fmax(0.0, fmin(a.x2, b.x2) - fmax(a.x1, b.x1));
  const double inter = ih * iw;
  return inter / (area_a + area_b - inter) > threshold;
}
__device__ __forceinline__ bool ahead(double a, int ia, double b, int ib) {
  if (ia < 0) return false;
  if (ib < 0) return true;
  if (a != b) return a > b;
  return ia < ib;
}
extern "C" __global__ void $SELECT_ENTRY(const $B* __restrict__ all_boxes,
                                         const $S* __restrict__ scores$THRESHOLD_PARAMETERS,
                                         double* __restrict__ keys_all, int* __restrict__ ids_all,
                                         unsigned char* __restrict__ dropped_all,
                                         long long* __restrict__ kept_all,
                                         long long* __restrict__ kept_counts) {
  const long long S = $SPATIAL, P = $P, CLASSES = $CLASSES, KEEP_MAX = $KEEP_MAX;
  const long long b = blockIdx.y, c = blockIdx.x, pair = b * CLASSES + c;
  const double iou_threshold = $IOU;
  const double score_threshold = $SCORE;
  (void)score_threshold;
  const $B* boxes = all_boxes + b * S * 4;
  const $S* s = scores + pair * S;
  double* keys = keys_all + pair * P;
  int* ids = ids_all + pair * P;
  unsigned char* dropped = dropped_all + pair * P;
  long long* kept = kept_all + pair * KEEP_MAX;
  for (long long j = threadIdx.x; j < P; j += blockDim.x) {
    const double score = j < S ? (double)($SCORE_LOAD) : 0.0;
    const bool candidate = j < S && ($FILTER ? score > score_threshold : true);
    keys[j] = score;
    ids[j] = candidate ? (int)j : -1;
    dropped[j] = 0;
  }
  __syncthreads();
  for (long long size = 2; size <= P; size *= 2) {
    for (long long stride = size / 2; stride > 0; stride /= 2) {
      for (long long j = threadIdx.x; j < P; j += blockDim.x) {
        const long long partner = j ^ stride;
        if (partner <= j) continue;
        const bool swap = (j & size) == 0 ? ahead(keys[partner], ids[partner], keys[j], ids[j])
                                          : ahead(keys[j], ids[j], keys[partner], ids[partner]);
        if (swap) {
          const double tk = keys[j]; keys[j] = keys[partner]; keys[partner] = tk;
          const int ti = ids[j]; ids[j] = ids[partner]; ids[partner] = ti;
        }
      }
      __syncthreads();
    }
  }
  __shared__ long long next;
  long long kept_count = 0, position = 0;
  while (kept_count < KEEP_MAX) {
    if (threadIdx.x == 0) {
      while (position < P && ids[position] >= 0 && dropped[position]) ++position;
      next = position < P && ids[position] >= 0 ? position : -1;
    }
    __syncthreads();
    const long long chosen = next;
    __syncthreads();
    if (chosen < 0) break;
    const Corners keeper = corners_of(boxes, ids[chosen]);
    if (threadIdx.x == 0) kept[kept_count] = ids[chosen];
    ++kept_count;
    position = chosen + 1;
    for (long long j = chosen + 1 + threadIdx.x; j < P; j += blockDim.x) {
      if (ids[j] < 0 || dropped[j]) continue;
      if (suppresses(keeper, corners_of(boxes, ids[j]), iou_threshold)) dropped[j] = 1;
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) kept_counts[pair] = kept_count;
}
extern "C" __global__ void $COMPACT_ENTRY(const long long* __restrict__ kept_all,
                                          const long long* __restrict__ kept_counts,
                                          long long* __restrict__ offsets,
                                          long long* __restrict__ selected,
                                          long long* __restrict__ total) {
  const long long PAIRS = $PAIRS, CLASSES = $CLASSES, KEEP_MAX = $KEEP_MAX;
  if (threadIdx.x == 0) {
    long long running = 0;
    for (long long p = 0; p < PAIRS; ++p) {
      offsets[p] = running;
      running += kept_counts[p];
    }
    total[0] = running;
  }
  __syncthreads();
  for (long long p = 0; p < PAIRS; ++p) {
    for (long long j = threadIdx.x; j < kept_counts[p]; j += blockDim.x) {
      long long* row = selected + (offsets[p] + j) * 3;
      row[0] = p / CLASSES;
      row[1] = p % CLASSES;
      row[2] = kept_all[p * KEEP_MAX + j];
    }
  }
}
)";

void lower_nms(LoweringContext& ctx) {
  const bool center = ctx.node().attributes().get_int("center_point_box", 0) != 0;
  const GpuTensor boxes = ctx.input(0);
  const GpuTensor scores = ctx.input(1);
  if (boxes.shape.size() != 3 || boxes.shape[2] != 4) {
    ctx.fail("boxes must be [batch, spatial, 4], got " + shape_to_string(boxes.shape));
  }
  const std::int64_t batches = boxes.shape[0], spatial = boxes.shape[1];
  if (scores.shape.size() != 3 || scores.shape[0] != batches || scores.shape[2] != spatial) {
    ctx.fail(detail::concat("scores must be [", batches, ", classes, ", spatial, "], got ",
                            shape_to_string(scores.shape)));
  }
  const std::int64_t classes = scores.shape[1];
  std::int64_t max_per_class = 0;
  if (const HostTensor* m = gpu::build_time_input(ctx, 2, "max_output_boxes_per_class")) {
    max_per_class = read_ints(*m)[0];
  }
  const std::int64_t keep_max = std::clamp<std::int64_t>(max_per_class, 0, spatial);
  const std::int64_t bound = batches * classes * keep_max;
  ctx.set_output_upper_bound(0, Shape{bound, 3});
  const GpuTensor selected = ctx.output(0);
  if (selected.shape.size() != 2 || selected.shape[1] != 3 || selected.shape[0] < bound) {
    ctx.fail(detail::concat("selected_indices must be allocated at its upper bound [", bound,
                            ", 3] (or more rows), got ", shape_to_string(selected.shape)));
  }
  if (spatial >= (1LL << 30)) ctx.unsupported("more than 2^30 boxes per batch");

  std::vector<KernelArgument> threshold_arguments;
  std::string threshold_parameters;
  // A threshold: absent/empty -> default, constant -> baked, else read on the device.
  const auto threshold = [&](std::size_t slot, const char* name, const char* fallback) {
    if (!ctx.has_input(slot) || ctx.input(slot).element_count() == 0) return std::string(fallback);
    if (const HostTensor* t = ctx.input_constant(slot)) {
      return gpu::double_literal(read_doubles(*t)[0]);
    }
    const GpuTensor t = ctx.input(slot);
    threshold_arguments.push_back(KernelArgument::pointer_to(t));
    threshold_parameters +=
        detail::concat(", const ", gpu::cuda_type(t.dtype), "* __restrict__ ", name);
    return "(double)" + gpu::load_expr(t.dtype, std::string(name) + "[0]");
  };
  const std::string iou = threshold(3, "iou_threshold_value", "0.0");
  const bool filter = ctx.has_input(4) && ctx.input(4).element_count() > 0;
  const std::string score = threshold(4, "score_threshold_value", "0.0");

  const std::int64_t padded = next_power_of_two(std::max<std::int64_t>(spatial, 1));
  const std::int64_t pairs = batches * classes;
  const std::string select_entry = gpu::entry_name(ctx, "select");
  const std::string compact_entry = gpu::entry_name(ctx, "compact");
  const auto box = [&](int k) {
    return gpu::load_expr(boxes.dtype, detail::concat("boxes[box * 4 + ", k, "]"));
  };
  const std::string source =
      gpu::kernel_preamble() +
      gpu::substitute(kNmsSource,
                      {{"SELECT_ENTRY", select_entry},
                       {"COMPACT_ENTRY", compact_entry},
                       {"THRESHOLD_PARAMETERS", threshold_parameters},
                       {"B0", box(0)},
                       {"B1", box(1)},
                       {"B2", box(2)},
                       {"B3", box(3)},
                       {"B", gpu::cuda_type(boxes.dtype)},
                       {"SCORE_LOAD", gpu::load_expr(scores.dtype, "s[j]")},
                       {"S", gpu::cuda_type(scores.dtype)},
                       {"CENTER", center ? "true" : "false"},
                       {"SPATIAL", gpu::int_literal(spatial)},
                       {"P", gpu::int_literal(padded)},
                       {"CLASSES", gpu::int_literal(std::max<std::int64_t>(classes, 1))},
                       {"KEEP_MAX", gpu::int_literal(keep_max)},
                       {"PAIRS", gpu::int_literal(pairs)},
                       {"IOU", iou},
                       {"SCORE", score},
                       {"FILTER", filter ? "true" : "false"}});
  const std::int64_t slots = std::max<std::int64_t>(pairs * padded, 1);
  const GpuTensor keys = ctx.add_scratch(DType::kFloat64, Shape{slots});
  const GpuTensor ids = ctx.add_scratch(DType::kInt32, Shape{slots});
  const GpuTensor dropped = ctx.add_scratch(DType::kUInt8, Shape{slots});
  const GpuTensor kept =
      ctx.add_scratch(DType::kInt64, Shape{std::max<std::int64_t>(pairs * keep_max, 1)});
  const GpuTensor kept_counts =
      ctx.add_scratch(DType::kInt64, Shape{std::max<std::int64_t>(pairs, 1)});
  const GpuTensor offsets = ctx.add_scratch(DType::kInt64, Shape{std::max<std::int64_t>(pairs, 1)});
  const GpuTensor count = ctx.add_scratch(DType::kInt64, Shape{});
  if (pairs > 0) {
    if (classes > 65535LL * 32 || batches > 65535) ctx.unsupported("more than 65535 batches");
    KernelLaunch select;
    select.source = source;
    select.entry = select_entry;
    select.grid = {static_cast<std::uint32_t>(classes), static_cast<std::uint32_t>(batches), 1};
    select.block = {kNmsThreads, 1, 1};
    select.arguments = {KernelArgument::pointer_to(boxes), KernelArgument::pointer_to(scores)};
    for (const KernelArgument& a : threshold_arguments) select.arguments.push_back(a);
    for (const GpuTensor* t : {&keys, &ids, &dropped, &kept, &kept_counts}) {
      select.arguments.push_back(KernelArgument::pointer_to(*t));
    }
    ctx.emit_kernel(ctx.node().name() + ".select", std::move(select));
  }
  KernelLaunch compact;
  compact.source = source;
  compact.entry = compact_entry;
  compact.block = {kNmsThreads, 1, 1};
  compact.arguments = {KernelArgument::pointer_to(kept), KernelArgument::pointer_to(kept_counts),
                       KernelArgument::pointer_to(offsets), KernelArgument::pointer_to(selected),
                       KernelArgument::pointer_to(count)};
  ctx.emit_kernel(ctx.node().name() + ".compact", std::move(compact));
  ctx.set_dynamic_extent(0, count, /*axis=*/0);
}

}  // namespace

OpSchema non_max_suppression_schema() {
  return {"NonMaxSuppression", "", infer_nms, run_nms, lower_nms};
}

}  // namespace trtutils::ops::detection
