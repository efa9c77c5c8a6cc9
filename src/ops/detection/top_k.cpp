// TopK (ONNX TopK-1/10/11): the k largest (or, from 11, smallest) elements
// along `axis` and their i64 indices. k is an attribute before 10, then a
// 1-element i64 input. Equal values keep the lower index first (the order
// ONNX's tests expect); the result is always sorted, which `sorted = 0`
// permits.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "ops/detection/detection_ops.hpp"
#include "ops/image/kernel_text.hpp"
#include "ops/support.hpp"
#include "trtutils/ops/gpu_lowering.hpp"

namespace trtutils::ops::detection {
namespace {

/// A value's sort key: f16/bf16 compare as float, the rest as themselves.
template <typename T>
auto sort_key(T value) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    return static_cast<float>(value);
  } else {
    return value;
  }
}

void infer_top_k(InferContext& ctx) {
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& shape = ctx.input_shape(0);
  if (!shape) {
    ctx.set_output(0, dtype, std::nullopt);
    ctx.set_output(1, DType::kInt64, std::nullopt);
    return;
  }
  const std::int64_t axis = normalize_axis(ctx.attributes().get_int("axis", -1),
                                           static_cast<std::int64_t>(shape->size()), ctx.node());
  ir::Dim k;
  if (ctx.opset() < 10) {
    k = ctx.attributes().get_int("k");
  } else if (const HostTensor* kt = ctx.input_constant(1)) {
    const std::vector<std::int64_t> kv = read_ints(*kt);
    if (kv.size() != 1) ctx.fail("K must hold exactly one value");
    k = kv[0];
  }
  if (k.is_static() && k.value < 0)
    ctx.fail(detail::concat("k must not be negative, got ", k.value));
  const ir::Dim& dim = (*shape)[static_cast<std::size_t>(axis)];
  if (k.is_static() && dim.is_static() && k.value > dim.value) {
    ctx.fail(detail::concat("k = ", k.value, " exceeds the axis size ", dim.value));
  }
  ir::DimList out = *shape;
  out[static_cast<std::size_t>(axis)] = k;
  ctx.set_output(0, dtype, out);
  ctx.set_output(1, DType::kInt64, out);
}

std::vector<HostTensor> run_top_k(const CpuContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const std::int64_t axis =
      normalize_axis(ctx.attributes().get_int("axis", -1), x.rank(), ctx.node());
  std::int64_t k = 0;
  if (ctx.opset() < 10) {
    k = ctx.attributes().get_int("k");
  } else {
    const std::vector<std::int64_t> kv = read_ints(ctx.input(1));
    if (kv.size() != 1) ctx.fail("K must hold exactly one value");
    k = kv[0];
  }
  const bool largest = ctx.opset() < 11 || ctx.attributes().get_int("largest", 1) != 0;
  const std::int64_t n = x.shape()[static_cast<std::size_t>(axis)];
  if (k < 0 || k > n) ctx.fail(detail::concat("k = ", k, " is outside [0, ", n, "]"));

  Shape out_shape = x.shape();
  out_shape[static_cast<std::size_t>(axis)] = k;
  HostTensor values(out_shape, x.dtype());
  HostTensor indices(out_shape, DType::kInt64);
  std::int64_t inner = 1;
  for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < x.shape().size(); ++d)
    inner *= x.shape()[d];
  std::int64_t outer = 1;
  for (std::size_t d = 0; d < static_cast<std::size_t>(axis); ++d) outer *= x.shape()[d];
  const std::size_t e = dtype_size(x.dtype());
  const auto* src = static_cast<const std::byte*>(x.data());
  auto* dst = static_cast<std::byte*>(values.data());
  auto out_idx = indices.values<std::int64_t>();

  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto data = x.values<T>();
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    for (std::int64_t o = 0; o < outer; ++o) {
      for (std::int64_t i = 0; i < inner; ++i) {
        const std::int64_t base = o * n * inner + i;
        const auto at = [&](std::int64_t j) {
          return sort_key(data[static_cast<std::size_t>(base + j * inner)]);
        };
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](std::int64_t l, std::int64_t r) {
          return largest ? at(l) > at(r) : at(l) < at(r);
        });
        for (std::int64_t j = 0; j < k; ++j) {
          const std::int64_t from = base + order[static_cast<std::size_t>(j)] * inner;
          const std::int64_t to = o * k * inner + j * inner + i;
          std::memcpy(dst + static_cast<std::size_t>(to) * e,
                      src + static_cast<std::size_t>(from) * e, e);
          out_idx[static_cast<std::size_t>(to)] = order[static_cast<std::size_t>(j)];
        }
      }
    }
  });
  return {std::move(values), std::move(indices)};
}

// --- GPU lowering ----------------------------------------------------------------
// One block per row (outer x inner rows of n elements, stride inner). Keys
// compare in the compute type (f16/bf16 as float); the order is total: better
// value first, equal values lower index first, so the result equals the CPU's
// stable sort. A row whose keys and indices fit in shared memory is sorted
// there with a bitonic network (padding slots sort last); otherwise the block
// picks the k best one after another, each pass taking the best element that
// comes after the previous pick in that order.

constexpr std::int64_t kTopKSharedLimit = 48 * 1024;
constexpr std::uint32_t kTopKThreads = 256;

std::int64_t next_power_of_two(std::int64_t v) {
  std::int64_t p = 1;
  while (p < v) p *= 2;
  return p;
}

const char* kTopKCommon = R"(
typedef $KEY K;
__device__ __forceinline__ bool better(K a, long long ia, K b, long long ib) {
  if (ia < 0) return false;
  if (ib < 0) return true;
  if (a != b) return $LARGEST ? a > b : a < b;
  return ia < ib;
}
)";

const char* kTopKBitonic = R"(
extern "C" __global__ void $ENTRY(const $T* __restrict__ x, $T* __restrict__ values,
                                  long long* __restrict__ indices) {
  extern __shared__ __align__(16) unsigned char shared[];
  K* keys = (K*)shared;
  int* ids = (int*)(shared + ((sizeof(K) * $P + 7) / 8) * 8);
  const long long N = $N, KK = $KK, INNER = $INNER, P = $P;
  for (long long row = blockIdx.x; row < $ROWS; row += gridDim.x) {
    const long long o = row / INNER, i = row % INNER;
    const long long base = o * N * INNER + i;
    for (long long j = threadIdx.x; j < P; j += blockDim.x) {
      ids[j] = j < N ? (int)j : -1;
      keys[j] = j < N ? (K)($LOAD) : (K)0;
    }
    __syncthreads();
    for (long long size = 2; size <= P; size *= 2) {
      for (long long stride = size / 2; stride > 0; stride /= 2) {
        for (long long j = threadIdx.x; j < P; j += blockDim.x) {
          const long long partner = j ^ stride;
          if (partner <= j) continue;
          const bool ascending = (j & size) == 0;  // "ascending" = best first
          const bool swap = ascending ? better(keys[partner], ids[partner], keys[j], ids[j])
                                      : better(keys[j], ids[j], keys[partner], ids[partner]);
          if (swap) {
            const K tk = keys[j]; keys[j] = keys[partner]; keys[partner] = tk;
            const int ti = ids[j]; ids[j] = ids[partner]; ids[partner] = ti;
          }
        }
        __syncthreads();
      }
    }
    for (long long j = threadIdx.x; j < KK; j += blockDim.x) {
      const long long to = o * KK * INNER + j * INNER + i;
      values[to] = x[base + (long long)ids[j] * INNER];
      indices[to] = ids[j];
    }
    __syncthreads();
  }
}
)";

const char* kTopKSelect = R"(
extern "C" __global__ void $ENTRY(const $T* __restrict__ x, $T* __restrict__ values,
                                  long long* __restrict__ indices) {
  __shared__ K best_key[$THREADS];
  __shared__ long long best_id[$THREADS];
  const long long N = $N, KK = $KK, INNER = $INNER;
  for (long long row = blockIdx.x; row < $ROWS; row += gridDim.x) {
    const long long o = row / INNER, i = row % INNER;
    const long long base = o * N * INNER + i;
    K previous_key = (K)0;
    long long previous = -1;
    for (long long pick = 0; pick < KK; ++pick) {
      K mine = (K)0;
      long long mine_id = -1;
      for (long long j = threadIdx.x; j < N; j += blockDim.x) {
        const K key = (K)($LOAD);
        if (previous >= 0 && !better(previous_key, previous, key, j)) continue;
        if (better(key, j, mine, mine_id)) { mine = key; mine_id = j; }
      }
      best_key[threadIdx.x] = mine;
      best_id[threadIdx.x] = mine_id;
      __syncthreads();
      for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half &&
            better(best_key[threadIdx.x + half], best_id[threadIdx.x + half],
                   best_key[threadIdx.x], best_id[threadIdx.x])) {
          best_key[threadIdx.x] = best_key[threadIdx.x + half];
          best_id[threadIdx.x] = best_id[threadIdx.x + half];
        }
        __syncthreads();
      }
      previous_key = best_key[0];
      previous = best_id[0];
      if (threadIdx.x == 0) {
        const long long to = o * KK * INNER + pick * INNER + i;
        values[to] = x[base + previous * INNER];
        indices[to] = previous;
      }
      __syncthreads();
    }
  }
}
)";

void lower_top_k(LoweringContext& ctx) {
  const GpuTensor x = ctx.input(0);
  const GpuTensor values = ctx.output(0);
  const GpuTensor indices = ctx.output(1);
  const auto rank = static_cast<std::int64_t>(x.shape.size());
  const std::int64_t axis =
      normalize_axis(ctx.node().attributes().get_int("axis", -1), rank, ctx.node());
  std::int64_t k = 0;
  if (ctx.opset() < 10) {
    k = ctx.node().attributes().get_int("k");
  } else {
    const HostTensor* kt = gpu::build_time_input(ctx, 1, "K");
    if (!kt) ctx.fail("input 'K' is required");
    const std::vector<std::int64_t> kv = read_ints(*kt);
    if (kv.size() != 1) ctx.fail("K must hold exactly one value");
    k = kv[0];
  }
  const bool largest = ctx.opset() < 11 || ctx.node().attributes().get_int("largest", 1) != 0;
  const std::int64_t n = x.shape[static_cast<std::size_t>(axis)];
  if (k < 0 || k > n) ctx.fail(detail::concat("k = ", k, " is outside [0, ", n, "]"));
  std::int64_t inner = 1, outer = 1;
  for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < x.shape.size(); ++d)
    inner *= x.shape[d];
  for (std::size_t d = 0; d < static_cast<std::size_t>(axis); ++d) outer *= x.shape[d];
  const std::int64_t rows = k == 0 ? 0 : outer * inner;

  const std::string key_type = gpu::cuda_compute_type(x.dtype);
  const std::int64_t key_bytes =
      x.dtype == DType::kFloat64 || x.dtype == DType::kInt64                                 ? 8
      : x.dtype == DType::kFloat32 || x.dtype == DType::kInt32 || is_floating_point(x.dtype) ? 4
                                                                                             : 1;
  const std::int64_t padded = next_power_of_two(std::max<std::int64_t>(n, 1));
  const std::int64_t shared = padded * (key_bytes + 4) + 16;
  const bool bitonic = shared <= kTopKSharedLimit && n < (1LL << 30);
  const std::string entry = gpu::entry_name(ctx, bitonic ? "top_k_sort" : "top_k_select");
  const std::string source =
      gpu::kernel_preamble() +
      gpu::substitute(std::string(kTopKCommon) + (bitonic ? kTopKBitonic : kTopKSelect),
                      {{"KEY", key_type},
                       {"LARGEST", largest ? "true" : "false"},
                       {"ENTRY", entry},
                       {"T", gpu::cuda_type(x.dtype)},
                       {"LOAD", gpu::load_expr(x.dtype, "x[base + j * INNER]")},
                       {"KK", gpu::int_literal(k)},
                       {"N", gpu::int_literal(n)},
                       {"INNER", gpu::int_literal(std::max<std::int64_t>(inner, 1))},
                       {"P", gpu::int_literal(padded)},
                       {"ROWS", gpu::int_literal(rows)},
                       {"THREADS", std::to_string(kTopKThreads)}});
  KernelLaunch launch;
  launch.source = source;
  launch.entry = entry;
  launch.grid = {static_cast<std::uint32_t>(std::clamp<std::int64_t>(rows, 1, 65535LL * 16)), 1, 1};
  launch.block = {kTopKThreads, 1, 1};
  launch.shared_bytes = bitonic ? static_cast<std::uint32_t>(shared) : 0;
  launch.arguments = {KernelArgument::pointer_to(x), KernelArgument::pointer_to(values),
                      KernelArgument::pointer_to(indices)};
  ctx.emit_kernel(ctx.node().name() + ".top_k", std::move(launch));
}

}  // namespace

OpSchema top_k_schema() { return {"TopK", "", infer_top_k, run_top_k, lower_top_k}; }

}  // namespace trtutils::ops::detection
