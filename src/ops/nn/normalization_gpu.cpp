// GPU lowerings of BatchNormalization (inference: a per-channel affine
// kernel), InstanceNormalization (one block per (n, c) plane) and
// LayerNormalization (optional Mean / InvStdDev outputs: rows of f32/f16/
// bf16 that fit in registers run a lane group per row with 16-byte accesses,
// others one block per row).
// Statistics are always computed in f32 (f64 for f64 tensors), two-pass
// (mean, then the mean squared deviation) like the CPU references.
#include <optional>

#include "ops/nn/nn_gpu.hpp"
#include "ops/nn/nn_ops.hpp"
#include "ops/support.hpp"

namespace trtutils::ops::nn {
namespace {

using namespace gpu_lowering;
using ops::gpu::cuda_type;
using ops::gpu::load_expr;
using ops::gpu::store_expr;

std::string statistics_type(DType dtype) { return dtype == DType::kFloat64 ? "double" : "float"; }

/// Block size for rows of `length` elements: a multiple of 32 (the block
/// reduction works in whole warps), at most kBlockThreads.
std::uint32_t row_block(std::int64_t length) {
  if (length <= 32) return 32;
  if (length <= 128) return 128;
  return kBlockThreads;
}

void lower_batch_normalization(LoweringContext& ctx) {
  const ir::Node& node = ctx.node();
  if (ctx.opset() >= 14 && node.attributes().get_int("training_mode", 0) != 0)
    ctx.unsupported(
        "training_mode = 1 is not supported on the GPU; export the model for inference");
  if (ctx.opset() < 9 && node.attributes().get_int("spatial", 1) == 0)
    ctx.unsupported("spatial = 0 (per-activation statistics, opset < 9) is not implemented");
  for (std::size_t i = 1; i < ctx.output_count(); ++i) {
    if (ctx.output(i).present())
      ctx.unsupported("the training outputs (mean, var, ...) are not supported on the GPU");
  }
  const GpuTensor x = required_input(ctx, 0, "X");
  const GpuTensor y = ctx.output(0);
  if (x.shape.size() < 2) ctx.fail("X must have rank >= 2 ([N, C, ...])");
  const std::int64_t channels = x.shape[1];
  std::vector<GpuTensor> params;
  const char* names[] = {"scale", "B", "input_mean", "input_var"};
  for (std::size_t i = 1; i < 5; ++i) {
    params.push_back(required_input(ctx, i, names[i - 1]));
    if (params.back().element_count() != channels)
      ctx.fail(detail::concat("input ", i, " must have C = ", channels, " elements"));
  }
  const std::int64_t size = element_count(Shape(x.shape.begin() + 2, x.shape.end()));
  const std::string t = statistics_type(x.dtype);
  const double epsilon = node.attributes().get_float("epsilon", 1e-5f);
  const std::string source =
      "extern \"C\" __global__ void trt_batch_normalization(const " + cuda_type(x.dtype) +
      "* x, const " + cuda_type(params[0].dtype) + "* scale, const " + cuda_type(params[1].dtype) +
      "* bias, const " + cuda_type(params[2].dtype) + "* mean, const " +
      cuda_type(params[3].dtype) + "* var, " + cuda_type(y.dtype) +
      "* y, long long n) {\n"
      "  for (long long i = trt_tid(); i < n; i += trt_stride()) {\n"
      "    const long long c = (i / " +
      std::to_string(size) + "LL) % " + std::to_string(channels) +
      "LL;\n"
      "    const " +
      t + " inv_std = (" + t + ")1 / sqrt((" + t + ")" + load_expr(params[3].dtype, "var[c]") +
      " + (" + t + ")" + double_literal(epsilon) +
      ");\n"
      "    const " +
      t + " v = ((" + t + ")" + load_expr(x.dtype, "x[i]") + " - (" + t + ")" +
      load_expr(params[2].dtype, "mean[c]") + ") * inv_std * (" + t + ")" +
      load_expr(params[0].dtype, "scale[c]") + " + (" + t + ")" +
      load_expr(params[1].dtype, "bias[c]") +
      ";\n"
      "    y[i] = " +
      store_expr(y.dtype, "v") + ";\n  }\n}\n";
  KernelLaunch launch = make_launch(source, "trt_batch_normalization");
  ops::gpu::set_linear_launch(launch, x.element_count());
  launch.arguments = {KernelArgument::pointer_to(x)};
  for (const GpuTensor& p : params) launch.arguments.push_back(KernelArgument::pointer_to(p));
  launch.arguments.push_back(KernelArgument::pointer_to(y));
  launch.arguments.push_back(KernelArgument::scalar<long long>(x.element_count()));
  ctx.emit_kernel(layer_name(ctx, "batch_normalization"), std::move(launch));
}

/// The body shared by InstanceNormalization and LayerNormalization: block
/// `row` normalises `size` elements at x + row * size; `scale_at(j)` /
/// `bias_at(j)` are expressions for element j of the row (compute type).
std::string row_normalise_source(const std::string& t, const std::string& scale_at,
                                 const std::string& bias_at, DType x_dtype, DType y_dtype) {
  return "  __shared__ " + t +
         " shared[32];\n"
         "  const long long row = blockIdx.x;\n"
         "  const " +
         cuda_type(x_dtype) +
         "* xr = x + row * size;\n"
         "  " +
         cuda_type(y_dtype) +
         "* yr = y + row * size;\n"
         "  " +
         t +
         " sum = 0;\n"
         "  for (long long j = threadIdx.x; j < size; j += blockDim.x) sum += (" +
         t + ")" + load_expr(x_dtype, "xr[j]") +
         ";\n"
         "  const " +
         t + " mean = trt_block_sum(sum, shared) / (" + t +
         ")size;\n"
         "  " +
         t +
         " squares = 0;\n"
         "  for (long long j = threadIdx.x; j < size; j += blockDim.x) {\n"
         "    const " +
         t + " d = (" + t + ")" + load_expr(x_dtype, "xr[j]") +
         " - mean;\n"
         "    squares += d * d;\n"
         "  }\n"
         "  const " +
         t + " inv_std = (" + t + ")1 / sqrt(trt_block_sum(squares, shared) / (" + t +
         ")size + epsilon);\n"
         "  for (long long j = threadIdx.x; j < size; j += blockDim.x) {\n"
         "    const " +
         t + " v = ((" + t + ")" + load_expr(x_dtype, "xr[j]") + " - mean) * inv_std * (" +
         scale_at + ") + (" + bias_at +
         ");\n"
         "    yr[j] = " +
         store_expr(y_dtype, "v") +
         ";\n"
         "  }\n";
}

void lower_instance_normalization(LoweringContext& ctx) {
  const GpuTensor x = required_input(ctx, 0, "input");
  const GpuTensor scale = required_input(ctx, 1, "scale");
  const GpuTensor bias = required_input(ctx, 2, "B");
  const GpuTensor y = ctx.output(0);
  if (x.shape.size() < 3) ctx.fail("X must have rank >= 3 ([N, C, spatial...])");
  const std::int64_t channels = x.shape[1];
  if (scale.element_count() != channels || bias.element_count() != channels)
    ctx.fail(detail::concat("scale and B must have C = ", channels, " elements"));
  const std::int64_t size = element_count(Shape(x.shape.begin() + 2, x.shape.end()));
  if (x.element_count() == 0) return;
  const std::string t = statistics_type(x.dtype);
  const std::string c = "(row % " + std::to_string(channels) + "LL)";
  const std::string source =
      block_reduce_source() + "extern \"C\" __global__ void trt_instance_normalization(const " +
      cuda_type(x.dtype) + "* x, const " + cuda_type(scale.dtype) + "* scale, const " +
      cuda_type(bias.dtype) + "* bias, " + cuda_type(y.dtype) + "* y, long long size, " + t +
      " epsilon) {\n" +
      row_normalise_source(t, "(" + t + ")" + load_expr(scale.dtype, "scale[" + c + "]"),
                           "(" + t + ")" + load_expr(bias.dtype, "bias[" + c + "]"), x.dtype,
                           y.dtype) +
      "}\n";
  KernelLaunch launch = make_launch(source, "trt_instance_normalization");
  launch.grid = {static_cast<std::uint32_t>(x.shape[0] * channels), 1, 1};
  launch.block = {row_block(size), 1, 1};
  const double epsilon = ctx.node().attributes().get_float("epsilon", 1e-5f);
  launch.arguments = {KernelArgument::pointer_to(x), KernelArgument::pointer_to(scale),
                      KernelArgument::pointer_to(bias), KernelArgument::pointer_to(y),
                      KernelArgument::scalar<long long>(size)};
  launch.arguments.push_back(t == "double"
                                 ? KernelArgument::scalar<double>(epsilon)
                                 : KernelArgument::scalar<float>(static_cast<float>(epsilon)));
  ctx.emit_kernel(layer_name(ctx, "instance_normalization"), std::move(launch));
}

/// Expression for Scale/B's element laid against X's element (row, j): the
/// common [normalised dims] case indexes by j alone, anything else through
/// its broadcast strides.
std::string broadcast_index(const Shape& param, const Shape& x, std::int64_t axis) {
  const std::vector<std::int64_t> strides = broadcast_strides(param, x);
  const std::vector<std::int64_t> packed = contiguous_strides(Shape(x.begin() + axis, x.end()));
  bool by_column = true;
  for (std::size_t d = 0; d < x.size(); ++d) {
    const auto a = static_cast<std::size_t>(axis);
    const std::int64_t want = d < a ? 0 : packed[d - a];
    if (strides[d] != want && x[d] != 1) by_column = false;
  }
  if (by_column) return "j";
  std::string expr = "(0LL";
  std::int64_t inner = 1;
  for (std::size_t d = x.size(); d-- > 0;) {
    if (strides[d] != 0 && x[d] != 1) {
      expr += " + ((row * size + j) / " + std::to_string(inner) + "LL % " + std::to_string(x[d]) +
              "LL) * " + std::to_string(strides[d]) + "LL";
    }
    inner *= x[d];
  }
  return expr + ")";
}

DType stash_dtype(const LoweringContext& ctx) {
  const std::optional<DType> dtype =
      stash_type_dtype(ctx.node().attributes().get_int("stash_type", 1));
  if (!dtype) ctx.fail(kBadStashType);
  return *dtype;
}

/// How the row-group LayerNormalization kernel splits a row: `lanes`
/// threads (a power of two, at most a warp) share a row, each holding `per`
/// 16-byte vectors of `width` elements in registers.
struct RowGroupShape {
  int width = 0;
  int lanes = 0;
  int per = 0;
};

/// The shape, or nullopt when the row does not fit the kernel: f32/f16/bf16
/// throughout, rows a whole number of vectors, at most 16 vectors a thread.
std::optional<RowGroupShape> row_group_shape(DType dtype, std::int64_t size) {
  RowGroupShape s;
  s.width = static_cast<int>(ops::gpu::vector_elements(dtype));
  if (s.width == 0 || size % s.width != 0) return std::nullopt;
  const std::int64_t vectors = size / s.width;
  // About four vectors a thread for short rows (ConvNeXt's 96 channels: 4
  // lanes), a whole warp from 128 vectors on (ViT's 768 f16: 3 each).
  s.lanes = 1;
  while (s.lanes < 32 && s.lanes * 4 < vectors) s.lanes *= 2;
  s.per = static_cast<int>((vectors + s.lanes - 1) / s.lanes);
  if (s.per > 16) return std::nullopt;
  return s;
}

/// LayerNormalization with each row read once into registers by a group of
/// lanes (16-byte loads), mean and variance from the registers (two-pass,
/// shuffle reductions within the group), one 16-byte store pass. The block
/// kernel below reads a row three times with element loads.
std::string row_group_source(const RowGroupShape& s, std::int64_t size, DType dtype,
                             const std::string& scale_at, const std::string& bias_at,
                             DType mean_dtype, DType inv_std_dtype, bool stats) {
  const std::string t = cuda_type(dtype);
  const std::string w = std::to_string(s.width);
  return "extern \"C\" __global__ void trt_layer_normalization_rows(const " + t +
         "* x, const " + t + "* scale, const " + t + "* bias, " + t + "* y, " +
         cuda_type(mean_dtype) + "* mean_out, " + cuda_type(inv_std_dtype) +
         "* inv_std_out, long long rows, float epsilon) {\n"
         "  constexpr int kLanes = " + std::to_string(s.lanes) + ", kPer = " +
         std::to_string(s.per) + ", kWidth = " + w + ";\n"
         "  constexpr long long size = " + std::to_string(size) + "LL;\n"
         "  constexpr int kVectors = " + std::to_string(size / s.width) + ";\n"
         "  const long long row = ((long long)blockIdx.x * blockDim.x + threadIdx.x) / kLanes;\n"
         "  const int lane = threadIdx.x % kLanes;\n"
         "  const bool active = row < rows;\n"
         "  float v[kPer * kWidth];\n"
         "  float sum = 0.0f;\n"
         "#pragma unroll\n"
         "  for (int p = 0; p < kPer; ++p) {\n"
         "    const int q = p * kLanes + lane;\n"
         "    if (active && q < kVectors) {\n"
         "      const uint4 raw = *reinterpret_cast<const uint4*>(x + row * size + (long long)q * kWidth);\n"
         "      const " + t + "* e = reinterpret_cast<const " + t + "*>(&raw);\n"
         "#pragma unroll\n"
         "      for (int k = 0; k < kWidth; ++k) {\n"
         "        v[p * kWidth + k] = " + load_expr(dtype, "e[k]") + ";\n"
         "        sum += v[p * kWidth + k];\n"
         "      }\n"
         "    } else {\n"
         "#pragma unroll\n"
         "      for (int k = 0; k < kWidth; ++k) v[p * kWidth + k] = 0.0f;\n"
         "    }\n"
         "  }\n"
         "#pragma unroll\n"
         "  for (int o = kLanes / 2; o > 0; o /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, o, kLanes);\n"
         "  const float mean = sum / (float)size;\n"
         "  float squares = 0.0f;\n"
         "#pragma unroll\n"
         "  for (int p = 0; p < kPer; ++p) {\n"
         "    if (p * kLanes + lane < kVectors) {\n"
         "#pragma unroll\n"
         "      for (int k = 0; k < kWidth; ++k) {\n"
         "        const float d = v[p * kWidth + k] - mean;\n"
         "        squares += d * d;\n"
         "      }\n"
         "    }\n"
         "  }\n"
         "#pragma unroll\n"
         "  for (int o = kLanes / 2; o > 0; o /= 2) squares += __shfl_xor_sync(0xffffffffu, squares, o, kLanes);\n"
         "  const float inv_std = 1.0f / sqrtf(squares / (float)size + epsilon);\n"
         "  if (!active) return;\n"
         "#pragma unroll\n"
         "  for (int p = 0; p < kPer; ++p) {\n"
         "    const int q = p * kLanes + lane;\n"
         "    if (q >= kVectors) continue;\n"
         "    uint4 raw;\n"
         "    " + t + "* e = reinterpret_cast<" + t + "*>(&raw);\n"
         "#pragma unroll\n"
         "    for (int k = 0; k < kWidth; ++k) {\n"
         "      const long long j = (long long)q * kWidth + k;\n"
         "      e[k] = " + store_expr(dtype, "(v[p * kWidth + k] - mean) * inv_std * (" + scale_at +
                                               ") + (" + bias_at + ")") + ";\n"
         "    }\n"
         "    *reinterpret_cast<uint4*>(y + row * size + (long long)q * kWidth) = raw;\n"
         "  }\n" +
         (stats ? "  if (lane == 0 && mean_out != nullptr) mean_out[row] = " +
                      store_expr(mean_dtype, "mean") +
                      ";\n"
                      "  if (lane == 0 && inv_std_out != nullptr) inv_std_out[row] = " +
                      store_expr(inv_std_dtype, "inv_std") + ";\n"
                : std::string()) +
         "}\n";
}

void lower_layer_normalization(LoweringContext& ctx) {
  const GpuTensor x = required_input(ctx, 0, "X");
  const GpuTensor y = ctx.output(0);
  const auto rank = static_cast<std::int64_t>(x.shape.size());
  const std::int64_t axis =
      normalize_axis(ctx.node().attributes().get_int("axis", -1), rank, ctx.node());
  const std::int64_t rows = element_count(Shape(x.shape.begin(), x.shape.begin() + axis));
  const std::int64_t size = element_count(Shape(x.shape.begin() + axis, x.shape.end()));
  if (rows == 0) return;
  const std::string t = statistics_type(x.dtype) == "double" || stash_dtype(ctx) == DType::kFloat64
                            ? "double"
                            : "float";
  const GpuTensor scale = ctx.has_input(1) ? ctx.input(1) : GpuTensor{};
  const GpuTensor bias = ctx.has_input(2) ? ctx.input(2) : GpuTensor{};
  for (const GpuTensor* p : {&scale, &bias}) {
    if (p->present() &&
        (p->shape.size() > x.shape.size() || broadcast_shapes(p->shape, x.shape) != x.shape))
      ctx.fail(detail::concat("Scale/B of shape ", shape_to_string(p->shape),
                              " does not broadcast to X's shape ", shape_to_string(x.shape)));
  }
  const std::string scale_at =
      scale.present()
          ? "(" + t + ")" +
                load_expr(scale.dtype, "scale[" + broadcast_index(scale.shape, x.shape, axis) + "]")
          : "(" + t + ")1";
  const std::string bias_at =
      bias.present()
          ? "(" + t + ")" +
                load_expr(bias.dtype, "bias[" + broadcast_index(bias.shape, x.shape, axis) + "]")
          : "(" + t + ")0";
  const GpuTensor mean_out = ctx.output_count() > 1 ? ctx.output(1) : GpuTensor{};
  const GpuTensor inv_std_out = ctx.output_count() > 2 ? ctx.output(2) : GpuTensor{};
  const auto pointer_or_null = [](const GpuTensor& tensor) {
    return tensor.present() ? KernelArgument::pointer_to(tensor)
                            : KernelArgument::scalar<std::uint64_t>(0);
  };
  // Both kernels take x, scale, bias, y, mean_out, inv_std_out first.
  const std::vector<KernelArgument> tensor_arguments = {
      KernelArgument::pointer_to(x), pointer_or_null(scale),    pointer_or_null(bias),
      KernelArgument::pointer_to(y), pointer_or_null(mean_out), pointer_or_null(inv_std_out)};
  const double epsilon = ctx.node().attributes().get_float("epsilon", 1e-5f);
  const auto same_type = [&](const GpuTensor& p) { return !p.present() || p.dtype == x.dtype; };
  const auto by_column = [&](const GpuTensor& p) {
    return !p.present() || broadcast_index(p.shape, x.shape, axis) == "j";
  };
  const std::optional<RowGroupShape> group = row_group_shape(x.dtype, size);
  if (t == "float" && group && y.dtype == x.dtype && same_type(scale) && same_type(bias) &&
      by_column(scale) && by_column(bias)) {
    const DType mean_dtype = mean_out.present() ? mean_out.dtype : DType::kFloat32;
    const DType inv_std_dtype = inv_std_out.present() ? inv_std_out.dtype : DType::kFloat32;
    const std::string source =
        row_group_source(*group, size, x.dtype, scale_at, bias_at, mean_dtype, inv_std_dtype,
                         mean_out.present() || inv_std_out.present());
    KernelLaunch launch = make_launch(source, "trt_layer_normalization_rows");
    constexpr std::int64_t kBlock = 256;
    const std::int64_t threads = rows * group->lanes;
    launch.grid = {static_cast<std::uint32_t>((threads + kBlock - 1) / kBlock), 1, 1};
    launch.block = {static_cast<std::uint32_t>(kBlock), 1, 1};
    launch.arguments = tensor_arguments;
    launch.arguments.push_back(KernelArgument::scalar<long long>(rows));
    launch.arguments.push_back(KernelArgument::scalar<float>(static_cast<float>(epsilon)));
    ctx.emit_kernel(layer_name(ctx, "layer_normalization"), std::move(launch));
    return;
  }
  std::string stats;
  if (mean_out.present())
    stats +=
        "  if (threadIdx.x == 0) mean_out[row] = " + store_expr(mean_out.dtype, "mean") + ";\n";
  if (inv_std_out.present())
    stats +=
        "  if (threadIdx.x == 0) inv_std_out[row] = " + store_expr(inv_std_out.dtype, "inv_std") +
        ";\n";
  const std::string source =
      block_reduce_source() + "extern \"C\" __global__ void trt_layer_normalization(const " +
      cuda_type(x.dtype) + "* x, const " + cuda_type(scale.present() ? scale.dtype : x.dtype) +
      "* scale, const " + cuda_type(bias.present() ? bias.dtype : x.dtype) + "* bias, " +
      cuda_type(y.dtype) + "* y, " +
      cuda_type(mean_out.present() ? mean_out.dtype : DType::kFloat32) + "* mean_out, " +
      cuda_type(inv_std_out.present() ? inv_std_out.dtype : DType::kFloat32) +
      "* inv_std_out, long long size, " + t + " epsilon) {\n" +
      row_normalise_source(t, scale_at, bias_at, x.dtype, y.dtype) + stats + "}\n";
  KernelLaunch launch = make_launch(source, "trt_layer_normalization");
  launch.grid = {static_cast<std::uint32_t>(rows), 1, 1};
  launch.block = {row_block(size), 1, 1};
  launch.arguments = tensor_arguments;
  launch.arguments.push_back(KernelArgument::scalar<long long>(size));
  launch.arguments.push_back(t == "double"
                                 ? KernelArgument::scalar<double>(epsilon)
                                 : KernelArgument::scalar<float>(static_cast<float>(epsilon)));
  ctx.emit_kernel(layer_name(ctx, "layer_normalization"), std::move(launch));
}

}  // namespace

GpuLowerFn batch_normalization_gpu_lowering() { return lower_batch_normalization; }
GpuLowerFn instance_normalization_gpu_lowering() { return lower_instance_normalization; }
GpuLowerFn layer_normalization_gpu_lowering() { return lower_layer_normalization; }

}  // namespace trtutils::ops::nn
