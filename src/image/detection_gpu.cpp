// YOLO raw-head post-processing on the GPU. The kernels repeat the float
// formulas of detection.cpp operation by operation (decode, candidate_key,
// iou) and are compiled with --fmad=false, so their results equal the CPU
// reference's exactly.
#include <algorithm>
#include <bit>

#include "trtutils/core/error.hpp"
#include "trtutils/image/detection.hpp"

namespace trtutils::image {

namespace {

constexpr int kSortThreads = 1024;
constexpr int kScanWords = 64;  // capacity <= 4096 = 64 words of 64 bits

constexpr const char* kYoloKernels = R"(
struct Box { float x1, y1, x2, y2; };
struct Detection { float x1, y1, x2, y2, score; int class_id; int index; };

__device__ __forceinline__ unsigned long long candidate_key(float score, unsigned int index) {
  unsigned int bits = __float_as_uint(score);
  bits = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
  return ((unsigned long long)bits << 32) | (0xFFFFFFFFu - index);
}

__device__ __forceinline__ float smaller(float a, float b) { return a < b ? a : b; }
__device__ __forceinline__ float larger(float a, float b) { return a > b ? a : b; }

__device__ __forceinline__ float iou(const Box& a, const Box& b) {
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

// One thread per anchor: best class, threshold, box; survivors append their
// key to the image's candidate list (order fixed later by the sort).
extern "C" __global__ void yolo_decode(const in_t* __restrict__ head, int channels, int anchors,
                                       float threshold, Box* __restrict__ boxes,
                                       float* __restrict__ scores, int* __restrict__ classes,
                                       unsigned long long* __restrict__ keys,
                                       int* __restrict__ counts) {
  const int n = blockIdx.x * blockDim.x + threadIdx.x;
  const int b = blockIdx.y;
  if (n >= anchors) return;
  const in_t* h = head + (unsigned long long)b * channels * anchors + n;
  float best = to_float(h[4ull * anchors]);
  int best_class = 0;
  for (int c = 1; c < channels - 4; ++c) {
    const float s = to_float(h[(unsigned long long)(4 + c) * anchors]);
    if (s > best) { best = s; best_class = c; }
  }
  if (!(best > threshold)) return;
  const float cx = to_float(h[0]);
  const float cy = to_float(h[(unsigned long long)anchors]);
  const float w = to_float(h[2ull * anchors]);
  const float hh = to_float(h[3ull * anchors]);
  const unsigned long long slot = (unsigned long long)b * anchors + n;
  Box box;
  box.x1 = cx - w * 0.5f;
  box.y1 = cy - hh * 0.5f;
  box.x2 = cx + w * 0.5f;
  box.y2 = cy + hh * 0.5f;
  boxes[slot] = box;
  scores[slot] = best;
  classes[slot] = best_class;
  const int pos = atomicAdd(counts + b, 1);
  keys[(unsigned long long)b * anchors + pos] = candidate_key(best, (unsigned int)n);
}

// One block per image: when there are more than `keep` candidates, a radix
// select (8 passes of 8 bits, most significant first) finds the keep-th
// largest key and only keys >= it stay (keys are unique: exactly `keep`).
// Then a bitonic sort, descending, in shared memory; writes anchor indices.
extern "C" __global__ void yolo_select_sort(const unsigned long long* __restrict__ keys,
                                            const int* __restrict__ counts, int anchors, int keep,
                                            int capacity, int* __restrict__ sorted,
                                            int* __restrict__ sorted_counts) {
  __shared__ unsigned long long s_keys[4096];
  __shared__ unsigned int s_hist[256];
  __shared__ unsigned int s_bin;
  __shared__ unsigned int s_remaining;
  __shared__ unsigned int s_count;
  const int b = blockIdx.x;
  const unsigned long long* kb = keys + (unsigned long long)b * anchors;
  int n = counts[b];
  if (n > anchors) n = anchors;
  int m = n;
  if (n > keep) {
    unsigned long long prefix = 0, mask = 0;
    unsigned int remaining = (unsigned int)keep;
    for (int shift = 56; shift >= 0; shift -= 8) {
      for (int i = threadIdx.x; i < 256; i += blockDim.x) s_hist[i] = 0;
      __syncthreads();
      for (int i = threadIdx.x; i < n; i += blockDim.x) {
        const unsigned long long k = kb[i];
        if ((k & mask) == prefix) atomicAdd(&s_hist[(k >> shift) & 255ull], 1u);
      }
      __syncthreads();
      if (threadIdx.x == 0) {
        unsigned int above = 0;
        int bin = 255;
        for (; bin > 0; --bin) {
          if (above + s_hist[bin] >= remaining) break;
          above += s_hist[bin];
        }
        s_bin = (unsigned int)bin;
        s_remaining = remaining - above;
      }
      __syncthreads();
      prefix |= (unsigned long long)s_bin << shift;
      mask |= 255ull << shift;
      remaining = s_remaining;
      __syncthreads();
    }
    if (threadIdx.x == 0) s_count = 0;
    __syncthreads();
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
      const unsigned long long k = kb[i];
      if (k >= prefix) s_keys[atomicAdd(&s_count, 1u)] = k;
    }
    m = keep;
  } else {
    for (int i = threadIdx.x; i < n; i += blockDim.x) s_keys[i] = kb[i];
  }
  int size = 1;
  while (size < m) size <<= 1;
  // Key 0 ranks below every real key (a real key's low word is 0xFFFFFFFF - index > 0).
  for (int i = m + threadIdx.x; i < size; i += blockDim.x) s_keys[i] = 0ull;
  __syncthreads();
  for (int span = 2; span <= size; span <<= 1) {
    for (int stride = span >> 1; stride > 0; stride >>= 1) {
      for (int i = threadIdx.x; i < size; i += blockDim.x) {
        const int j = i ^ stride;
        if (j > i) {
          const unsigned long long a = s_keys[i];
          const unsigned long long c = s_keys[j];
          const bool descending = (i & span) == 0;
          if (descending ? (a < c) : (a > c)) { s_keys[i] = c; s_keys[j] = a; }
        }
      }
      __syncthreads();
    }
  }
  for (int i = threadIdx.x; i < m; i += blockDim.x) {
    sorted[(unsigned long long)b * capacity + i] = (int)(0xFFFFFFFFu - (unsigned int)(s_keys[i] & 0xFFFFFFFFull));
  }
  if (threadIdx.x == 0) sorted_counts[b] = m;
}

// torchvision-style IoU bitmask: block (col, row, image) of 64 threads; bit j
// of mask[i][col] says candidate col*64+j (ranked after i) is suppressed by i.
extern "C" __global__ void nms_mask(const Box* __restrict__ boxes, const int* __restrict__ classes,
                                    const int* __restrict__ sorted,
                                    const int* __restrict__ sorted_counts, int anchors,
                                    int capacity, float iou_threshold, int agnostic,
                                    unsigned long long* __restrict__ mask) {
  const int col = blockIdx.x;
  const int row = blockIdx.y;
  const int b = blockIdx.z;
  const int m = sorted_counts[b];
  if (col < row || row * 64 >= m || col * 64 >= m) return;
  const int words = capacity / 64;
  __shared__ Box s_boxes[64];
  __shared__ int s_classes[64];
  const int t = threadIdx.x;
  const int col_count = min(64, m - col * 64);
  if (t < col_count) {
    const int anchor = sorted[(unsigned long long)b * capacity + col * 64 + t];
    s_boxes[t] = boxes[(unsigned long long)b * anchors + anchor];
    s_classes[t] = classes[(unsigned long long)b * anchors + anchor];
  }
  __syncthreads();
  const int i = row * 64 + t;
  if (i >= m) return;
  const int anchor = sorted[(unsigned long long)b * capacity + i];
  const Box box = boxes[(unsigned long long)b * anchors + anchor];
  const int cls = classes[(unsigned long long)b * anchors + anchor];
  unsigned long long bits = 0;
  for (int j = (row == col) ? t + 1 : 0; j < col_count; ++j) {
    if ((agnostic || cls == s_classes[j]) && iou(box, s_boxes[j]) > iou_threshold) bits |= 1ull << j;
  }
  mask[((unsigned long long)b * capacity + i) * words + col] = bits;
}

// One warp per image: the greedy walk over ranked candidates.
extern "C" __global__ void nms_scan(const Box* __restrict__ boxes, const float* __restrict__ scores,
                                    const int* __restrict__ classes, const int* __restrict__ sorted,
                                    const int* __restrict__ sorted_counts,
                                    const unsigned long long* __restrict__ mask, int anchors,
                                    int capacity, int max_detections,
                                    Detection* __restrict__ out, int* __restrict__ out_counts) {
  __shared__ unsigned long long removed[64];
  const int b = blockIdx.x;
  const int lane = threadIdx.x;
  const int words = capacity / 64;
  for (int w = lane; w < words; w += 32) removed[w] = 0ull;
  __syncwarp();
  const int m = sorted_counts[b];
  int kept = 0;
  for (int i = 0; i < m && kept < max_detections; ++i) {
    if ((removed[i >> 6] >> (i & 63)) & 1ull) continue;
    if (lane == 0) {
      const int anchor = sorted[(unsigned long long)b * capacity + i];
      const unsigned long long slot = (unsigned long long)b * anchors + anchor;
      const Box box = boxes[slot];
      Detection d;
      d.x1 = box.x1; d.y1 = box.y1; d.x2 = box.x2; d.y2 = box.y2;
      d.score = scores[slot];
      d.class_id = classes[slot];
      d.index = anchor;
      out[(unsigned long long)b * max_detections + kept] = d;
    }
    ++kept;
    const unsigned long long* row = mask + ((unsigned long long)b * capacity + i) * words;
    for (int w = (i >> 6) + lane; w < words; w += 32) removed[w] |= row[w];
    __syncwarp();
  }
  if (lane == 0) out_counts[b] = kept;
}
)";

}  // namespace

std::vector<std::string> detection_nvrtc_options() { return {"--fmad=false"}; }

std::string generate_yolo_source(DType input_dtype) {
  TRTUTILS_CHECK(input_dtype == DType::kFloat32 || input_dtype == DType::kFloat16,
                 "YOLO post-processing reads f32 or f16 heads, not ", dtype_name(input_dtype));
  std::string s =
      "// trtutils YOLO post-processing; formulas: include/trtutils/image/detection.hpp\n";
  if (input_dtype == DType::kFloat16) {
    s += "#include <cuda_fp16.h>\ntypedef __half in_t;\n"
         "__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }\n";
  } else {
    s += "typedef float in_t;\n__device__ __forceinline__ float to_float(float v) { return v; }\n";
  }
  return s + kYoloKernels;
}

YoloPostprocessor::YoloPostprocessor(int max_batch, int channels, int anchors, NmsOptions options,
                                     DType input_dtype)
    : max_batch_(max_batch),
      channels_(channels),
      anchors_(anchors),
      options_(options),
      input_dtype_(input_dtype) {
  check_nms_options(options_);
  TRTUTILS_CHECK(max_batch > 0 && max_batch <= 65535, "max_batch is ", max_batch,
                 ": it must be in 1..65535");
  TRTUTILS_CHECK(channels > 4 && anchors > 0,
                 "a YOLO head is [batch, 4 + classes, anchors] with at "
                 "least one class and anchor, got channels ",
                 channels, ", anchors ", anchors);
  capacity_ =
      std::max(64, static_cast<int>(std::bit_ceil(static_cast<unsigned>(options_.max_candidates))));
  const std::string source = generate_yolo_source(input_dtype);
  const auto opts = detection_nvrtc_options();
  decode_ = std::make_unique<core::Kernel>(source, "yolo_decode", opts);
  select_sort_ = std::make_unique<core::Kernel>(source, "yolo_select_sort", opts);
  mask_ = std::make_unique<core::Kernel>(source, "nms_mask", opts);
  scan_ = std::make_unique<core::Kernel>(source, "nms_scan", opts);

  const auto b = static_cast<std::size_t>(max_batch);
  const auto n = static_cast<std::size_t>(anchors);
  const auto cap = static_cast<std::size_t>(capacity_);
  const auto dets = static_cast<std::size_t>(options_.max_detections);
  boxes_ = core::DeviceBuffer(b * n * 16);
  scores_ = core::DeviceBuffer(b * n * sizeof(float));
  classes_ = core::DeviceBuffer(b * n * sizeof(int));
  keys_ = core::DeviceBuffer(b * n * sizeof(std::uint64_t));
  counts_ = core::DeviceBuffer(2 * b * sizeof(int));
  sorted_ = core::DeviceBuffer(b * cap * sizeof(int));
  mask_bits_ = core::DeviceBuffer(b * cap * (cap / 64) * sizeof(std::uint64_t));
  detections_ = core::DeviceBuffer(b * dets * sizeof(Detection) + b * sizeof(int));
  host_results_ = core::PinnedBuffer(detections_.size());
}

YoloPostprocessor::YoloPostprocessor(YoloPostprocessor&&) noexcept = default;
YoloPostprocessor& YoloPostprocessor::operator=(YoloPostprocessor&&) noexcept = default;
YoloPostprocessor::~YoloPostprocessor() = default;

void YoloPostprocessor::run_async(const void* head, int batch, core::StreamView stream) {
  TRTUTILS_CHECK(batch > 0 && batch <= max_batch_, "batch ", batch, " is outside 1..", max_batch_,
                 " (the max_batch this YoloPostprocessor was made for)");
  TRTUTILS_CHECK(head != nullptr, "the YOLO head pointer is null");
  const auto b = static_cast<unsigned>(batch);
  auto* counts = static_cast<int*>(counts_.data());
  int* sorted_counts = counts + max_batch_;
  core::memset_device_async(counts, 0, b * sizeof(int), stream);
  decode_->launch(dim3(static_cast<unsigned>((anchors_ + 255) / 256), b, 1), dim3(256, 1, 1),
                  stream, head, channels_, anchors_, options_.score_threshold, boxes_.data(),
                  static_cast<float*>(scores_.data()), static_cast<int*>(classes_.data()),
                  static_cast<std::uint64_t*>(keys_.data()), counts);
  select_sort_->launch(dim3(b, 1, 1), dim3(kSortThreads, 1, 1), stream,
                       static_cast<const std::uint64_t*>(keys_.data()),
                       static_cast<const int*>(counts), anchors_, options_.max_candidates,
                       capacity_, static_cast<int*>(sorted_.data()), sorted_counts);
  const auto words = static_cast<unsigned>(capacity_ / 64);
  mask_->launch(dim3(words, words, b), dim3(64, 1, 1), stream,
                static_cast<const void*>(boxes_.data()), static_cast<const int*>(classes_.data()),
                static_cast<const int*>(sorted_.data()), static_cast<const int*>(sorted_counts),
                anchors_, capacity_, options_.iou_threshold, options_.class_agnostic ? 1 : 0,
                static_cast<std::uint64_t*>(mask_bits_.data()));
  auto* dets = static_cast<Detection*>(detections_.data());
  int* det_counts =
      reinterpret_cast<int*>(dets + static_cast<std::size_t>(max_batch_) *
                                        static_cast<std::size_t>(options_.max_detections));
  scan_->launch(dim3(b, 1, 1), dim3(32, 1, 1), stream, static_cast<const void*>(boxes_.data()),
                static_cast<const float*>(scores_.data()), static_cast<const int*>(classes_.data()),
                static_cast<const int*>(sorted_.data()), static_cast<const int*>(sorted_counts),
                static_cast<const std::uint64_t*>(mask_bits_.data()), anchors_, capacity_,
                options_.max_detections, dets, det_counts);
  core::memcpy_device_to_host_async(host_results_.data(), detections_.data(), detections_.size(),
                                    stream);
  last_batch_ = batch;
}

std::vector<Detection> YoloPostprocessor::results(int b) const {
  TRTUTILS_CHECK(b >= 0 && b < last_batch_, "image ", b, " is outside the last batch of ",
                 last_batch_);
  const auto* dets = static_cast<const Detection*>(host_results_.data());
  const auto per_image = static_cast<std::size_t>(options_.max_detections);
  const auto* counts =
      reinterpret_cast<const int*>(dets + static_cast<std::size_t>(max_batch_) * per_image);
  const auto first = dets + static_cast<std::size_t>(b) * per_image;
  return {first, first + counts[b]};
}

std::vector<std::vector<Detection>> YoloPostprocessor::run(const void* head, int batch,
                                                           core::StreamView stream) {
  run_async(head, batch, stream);
  stream.synchronize();
  std::vector<std::vector<Detection>> out;
  for (int b = 0; b < batch; ++b) out.push_back(results(b));
  return out;
}

}  // namespace trtutils::image
