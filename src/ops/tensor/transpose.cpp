// Transpose (ONNX Transpose-1/13): out dim i is input dim perm[i]; perm
// defaults to reversing the dims.
#include <algorithm>
#include <limits>

#include "ops/tensor/gpu_index_map.hpp"
#include "ops/tensor/tensor_common.hpp"

namespace trtutils::ops::tensor {
namespace {

template <typename Ctx>
std::vector<std::int64_t> permutation(const Ctx& ctx, std::size_t rank) {
  std::vector<std::int64_t> perm(rank);
  for (std::size_t i = 0; i < rank; ++i) perm[i] = static_cast<std::int64_t>(rank - 1 - i);
  perm = ctx.attributes().get_ints("perm", perm);
  std::vector<std::int64_t> check = perm;
  std::sort(check.begin(), check.end());
  bool valid = check.size() == rank;
  for (std::size_t i = 0; valid && i < rank; ++i) valid = check[i] == static_cast<std::int64_t>(i);
  if (!valid) ctx.fail(detail::concat("perm is not a permutation of 0 .. ", rank, " - 1"));
  return perm;
}

/// The tiled kernel's grid x counts tiles of the input's contiguous axis.
bool tiles_fit(const StridedCopy& copy) {
  return element_count(copy.domain) / 32 < std::numeric_limits<std::int32_t>::max();
}

void infer_transpose(InferContext& ctx) {
  const ir::MaybeShape& shape = ctx.input_shape(0);
  if (!shape) return ctx.set_output(0, ctx.input_dtype(0), std::nullopt);
  const std::vector<std::int64_t> perm = permutation(ctx, shape->size());
  ir::DimList out;
  for (const std::int64_t p : perm) out.push_back((*shape)[static_cast<std::size_t>(p)]);
  ctx.set_output(0, ctx.input_dtype(0), out);
}

std::vector<HostTensor> run_transpose(const CpuContext& ctx) {
  const HostTensor& in = ctx.input(0);
  const std::vector<std::int64_t> perm = permutation(ctx, in.shape().size());
  const std::vector<std::int64_t> in_strides = contiguous_strides(in.shape());
  Shape out_shape;
  std::vector<std::int64_t> strides;
  for (const std::int64_t p : perm) {
    out_shape.push_back(in.shape()[static_cast<std::size_t>(p)]);
    strides.push_back(in_strides[static_cast<std::size_t>(p)]);
  }
  HostTensor out(out_shape, in.dtype());
  strided_gather(in, 0, strides, out);
  return {std::move(out)};
}

/// When the innermost output axis is not the innermost input axis (NCHW <->
/// NHWC, matrix transposes), a plain strided copy reads or writes with a
/// stride. Tiled instead: each block loads a 32 x 32 tile with reads running
/// along the input's contiguous axis, and stores it through shared memory
/// with writes running along the output's contiguous axis, so both sides are
/// coalesced. The other axes index tiles in the batch (grid z).
/// Returns false (nothing emitted) when the copy is not of that shape.
bool lower_tiled(LoweringContext& ctx, const StridedCopy& full) {
  const StridedCopy copy = simplify(full);
  const std::size_t rank = copy.domain.size();
  if (rank < 2 || copy.dst_strides[rank - 1] != 1 || copy.src_strides[rank - 1] == 1) return false;
  std::size_t inner = rank;  // the domain axis the input is contiguous along
  for (std::size_t d = 0; d < rank; ++d) {
    if (copy.src_strides[d] == 1) inner = d;
  }
  constexpr std::int64_t kTile = 32;
  const std::size_t j_axis = rank - 1;
  if (inner == rank || copy.domain[inner] < 4 || copy.domain[j_axis] < 4) return false;
  Shape batch;
  std::vector<std::int64_t> batch_src;
  std::vector<std::int64_t> batch_dst;
  for (std::size_t d = 0; d < rank; ++d) {
    if (d == inner || d == j_axis) continue;
    batch.push_back(copy.domain[d]);
    batch_src.push_back(copy.src_strides[d]);
    batch_dst.push_back(copy.dst_strides[d]);
  }
  const GpuTensor x = ctx.input(0);
  const GpuTensor y = ctx.output(0);
  const std::int64_t extent_i = copy.domain[inner];
  const std::int64_t extent_j = copy.domain[j_axis];
  const std::int64_t batches = element_count(batch);
  const std::int64_t tiles_i = (extent_i + kTile - 1) / kTile;
  const std::int64_t tiles_j = (extent_j + kTile - 1) / kTile;
  const std::string unit = raw_unit_type(dtype_size(x.dtype));
  const auto ll = [](std::int64_t v) { return std::to_string(v) + "LL"; };
  std::string source = gpu::kernel_preamble();
  source += "extern \"C\" __global__ void trt_transpose_tiled(const " + unit +
            "* __restrict__ x, " + unit + "* __restrict__ y) {\n"
            "  __shared__ " + unit + " tile[32][33];\n"
            "  for (long long b = blockIdx.z; b < " + ll(batches) + "; b += gridDim.z) {\n"
            "    long long s = 0, d = 0;\n" +
            decompose_code("b", batch, {batch_src, batch_dst}, {"s", "d"}, "long long") +
            "    for (long long tj = blockIdx.y; tj < " + ll(tiles_j) + "; tj += gridDim.y) {\n"
            "      const long long i0 = (long long)blockIdx.x * 32, j0 = tj * 32;\n"
            "      for (int r = threadIdx.y; r < 32; r += 8) {\n"
            "        const long long j = j0 + r, i = i0 + threadIdx.x;\n"
            "        if (j < " + ll(extent_j) + " && i < " + ll(extent_i) + ") tile[r][threadIdx.x] = x[s + j * " +
            ll(copy.src_strides[j_axis]) + " + i];\n"
            "      }\n"
            "      __syncthreads();\n"
            "      for (int r = threadIdx.y; r < 32; r += 8) {\n"
            "        const long long i = i0 + r, j = j0 + threadIdx.x;\n"
            "        if (i < " + ll(extent_i) + " && j < " + ll(extent_j) + ") y[d + i * " +
            ll(copy.dst_strides[inner]) + " + j] = tile[threadIdx.x][r];\n"
            "      }\n"
            "      __syncthreads();\n"
            "    }\n"
            "  }\n"
            "}\n";
  KernelLaunch launch;
  launch.source = std::move(source);
  launch.entry = "trt_transpose_tiled";
  launch.block = {32, 8, 1};
  launch.grid = {static_cast<std::uint32_t>(tiles_i),
                 static_cast<std::uint32_t>(std::min<std::int64_t>(tiles_j, 65535)),
                 static_cast<std::uint32_t>(std::min<std::int64_t>(batches, 65535))};
  launch.arguments = {KernelArgument::pointer_to(x), KernelArgument::pointer_to(y)};
  ctx.emit_kernel(ctx.node().name() + "/transpose", std::move(launch));
  return true;
}

// GPU: a tiled transpose when the innermost axis moves, else a strided copy
// reading the input through permuted strides.
void lower_transpose(LoweringContext& ctx) {
  const Shape& in = ctx.input(0).shape;
  const std::vector<std::int64_t> perm = permutation(LoweringArgs(ctx), in.size());
  const std::vector<std::int64_t> in_strides = contiguous_strides(in);
  StridedCopy copy;
  for (const std::int64_t p : perm) {
    copy.domain.push_back(in[static_cast<std::size_t>(p)]);
    copy.src_strides.push_back(in_strides[static_cast<std::size_t>(p)]);
  }
  copy.dst_strides = contiguous_strides(copy.domain);
  const bool same_dtype = ctx.input(0).dtype == ctx.output(0).dtype;
  if (same_dtype && element_count(in) > 0 && tiles_fit(copy) && lower_tiled(ctx, copy)) return;
  lower_copy(ctx, "transpose", copy, 0, 0);
}

}  // namespace

void register_transpose(OpRegistry& registry) {
  registry.add({"Transpose", "", infer_transpose, run_transpose, lower_transpose});
}

}  // namespace trtutils::ops::tensor
