// NonZero (ONNX NonZero-9/13): the indices of the non-zero elements as an i64
// [rank, count] tensor, in row-major order (numpy.nonzero). The count is data
// dependent: the shape rule leaves it unknown.
#include "ops/detection/detection_ops.hpp"
#include "ops/image/kernel_text.hpp"
#include "ops/support.hpp"
#include "trtutils/ops/gpu_lowering.hpp"

namespace trtutils::ops::detection {
namespace {

void infer_non_zero(InferContext& ctx) {
  const ir::MaybeShape& shape = ctx.input_shape(0);
  ir::Dim rank;
  if (shape) rank = static_cast<std::int64_t>(shape->size());
  ctx.set_output(0, DType::kInt64, ir::DimList{rank, ir::Dim()});
}

std::vector<HostTensor> run_non_zero(const CpuContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const auto rank = static_cast<std::size_t>(x.rank());
  std::vector<std::vector<std::int64_t>> found;  // one coordinate list per hit
  const TensorView view = x.view();
  for_each_index(x.shape(), [&](const std::vector<std::int64_t>& coords, std::int64_t linear) {
    if (element_as_double(view, linear) != 0.0) found.push_back(coords);
  });
  const auto count = static_cast<std::int64_t>(found.size());
  HostTensor out(Shape{static_cast<std::int64_t>(rank), count}, DType::kInt64);
  auto values = out.values<std::int64_t>();
  for (std::size_t d = 0; d < rank; ++d) {
    for (std::size_t i = 0; i < found.size(); ++i) {
      values[d * found.size() + i] = found[i][d];
    }
  }
  return {std::move(out)};
}

// --- GPU lowering ----------------------------------------------------------------
// The output is allocated at its upper bound [rank, element count]; row d of
// the true [rank, count] result is the first `count` entries of row d of that
// allocation (row stride = the allocated column count). Three kernels:
// per-block counts of non-zero elements (1024 elements per block), one block
// turning them into block offsets and the total (the dynamic extent), then
// each block ranking its hits with warp ballots and writing their coordinates.

constexpr std::uint32_t kNonZeroBlock = 1024;

const char* kNonZeroSource = R"(
__device__ __forceinline__ bool hit(const $T* x, long long i) {
  return i < $TOTAL && ($LOAD) != 0;
}
extern "C" __global__ void $COUNT_ENTRY(const $T* __restrict__ x, long long* __restrict__ counts) {
  const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  const int found = __syncthreads_count(hit(x, i));
  if (threadIdx.x == 0) counts[blockIdx.x] = found;
}
extern "C" __global__ void $SCAN_ENTRY(long long* __restrict__ counts, long long* __restrict__ total) {
  // One thread: the block count is small (elements / 1024).
  if (threadIdx.x != 0) return;
  long long running = 0;
  for (long long b = 0; b < $BLOCKS; ++b) {
    const long long c = counts[b];
    counts[b] = running;
    running += c;
  }
  total[0] = running;
}
extern "C" __global__ void $WRITE_ENTRY(const $T* __restrict__ x,
                                        const long long* __restrict__ offsets,
                                        long long* __restrict__ y) {
  __shared__ int warp_base[32];
  const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  const bool mine = hit(x, i);
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const unsigned ballot = __ballot_sync(0xffffffffu, mine);
  if (lane == 0) warp_base[warp] = __popc(ballot);
  __syncthreads();
  if (threadIdx.x == 0) {
    int running = 0;
    for (unsigned w = 0; w < blockDim.x / 32; ++w) {
      const int c = warp_base[w];
      warp_base[w] = running;
      running += c;
    }
  }
  __syncthreads();
  if (!mine) return;
  const long long slot = offsets[blockIdx.x] + warp_base[warp] + __popc(ballot & ((1u << lane) - 1u));
  const long long dims[] = $DIMS;
  long long rem = i;
  for (int d = $RANK - 1; d >= 0; --d) {
    y[(long long)d * $COLUMNS + slot] = rem % dims[d];
    rem /= dims[d];
  }
  (void)dims;
}
)";

void lower_non_zero(LoweringContext& ctx) {
  const GpuTensor x = ctx.input(0);
  const auto rank = static_cast<std::int64_t>(x.shape.size());
  const std::int64_t total = x.element_count();
  // Allocated at the upper bound; each row keeps `total` as its stride and
  // the runtime keeps the first `count` entries of each row (axis 1).
  ctx.set_output_upper_bound(0, Shape{rank, total});
  const GpuTensor y = ctx.output(0);
  if (y.shape.size() != 2 || y.shape[0] != rank || y.shape[1] < total) {
    ctx.fail(detail::concat("NonZero's output must be allocated at its upper bound [", rank, ", ",
                            total, "] (or wider), got ", shape_to_string(y.shape)));
  }
  const std::int64_t blocks =
      std::max<std::int64_t>(1, (total + kNonZeroBlock - 1) / kNonZeroBlock);
  const GpuTensor counts = ctx.add_scratch(DType::kInt64, Shape{blocks});
  const GpuTensor count = ctx.add_scratch(DType::kInt64, Shape{});
  const std::string count_entry = gpu::entry_name(ctx, "count");
  const std::string scan_entry = gpu::entry_name(ctx, "scan");
  const std::string write_entry = gpu::entry_name(ctx, "write");
  const std::string source =
      gpu::kernel_preamble() +
      gpu::substitute(kNonZeroSource, {{"COUNT_ENTRY", count_entry},
                                       {"SCAN_ENTRY", scan_entry},
                                       {"WRITE_ENTRY", write_entry},
                                       {"T", gpu::cuda_type(x.dtype)},
                                       {"LOAD", gpu::load_expr(x.dtype, "x[i]")},
                                       {"TOTAL", gpu::int_literal(total)},
                                       {"BLOCKS", gpu::int_literal(blocks)},
                                       {"DIMS", gpu::int_array(x.shape)},
                                       {"RANK", std::to_string(rank)},
                                       {"COLUMNS", gpu::int_literal(y.shape[1])}});
  const std::array<std::uint32_t, 3> grid{static_cast<std::uint32_t>(blocks), 1, 1};
  KernelLaunch count_launch;
  count_launch.source = source;
  count_launch.entry = count_entry;
  count_launch.grid = grid;
  count_launch.block = {kNonZeroBlock, 1, 1};
  count_launch.arguments = {KernelArgument::pointer_to(x), KernelArgument::pointer_to(counts)};
  ctx.emit_kernel(ctx.node().name() + ".count", std::move(count_launch));
  KernelLaunch scan;
  scan.source = source;
  scan.entry = scan_entry;
  scan.block = {32, 1, 1};
  scan.arguments = {KernelArgument::pointer_to(counts), KernelArgument::pointer_to(count)};
  ctx.emit_kernel(ctx.node().name() + ".scan", std::move(scan));
  KernelLaunch write;
  write.source = source;
  write.entry = write_entry;
  write.grid = grid;
  write.block = {kNonZeroBlock, 1, 1};
  write.arguments = {KernelArgument::pointer_to(x), KernelArgument::pointer_to(counts),
                     KernelArgument::pointer_to(y)};
  ctx.emit_kernel(ctx.node().name() + ".write", std::move(write));
  ctx.set_dynamic_extent(0, count, /*axis=*/1);
}

}  // namespace

OpSchema non_zero_schema() { return {"NonZero", "", infer_non_zero, run_non_zero, lower_non_zero}; }

}  // namespace trtutils::ops::detection
