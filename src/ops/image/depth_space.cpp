// DepthToSpace (ONNX DepthToSpace-1/11/13) and SpaceToDepth (1/13) on 4-D
// [N, C, H, W] tensors with block size b.
// DepthToSpace DCR (default, the only layout before 11): reshape to
// [N, b, b, C/b^2, H, W], transpose (0, 3, 4, 1, 5, 2); CRD: reshape to
// [N, C/b^2, b, b, H, W], transpose (0, 1, 4, 2, 5, 3). Both give
// [N, C/b^2, H*b, W*b]. SpaceToDepth is DCR's inverse: [N, C*b^2, H/b, W/b]
// with output channel (bh * b + bw) * C + c.
#include <cstring>
#include <string>

#include "ops/image/image_ops.hpp"
#include "ops/image/kernel_text.hpp"
#include "ops/support.hpp"
#include "trtutils/ops/gpu_lowering.hpp"

namespace trtutils::ops::image {
namespace {

template <typename Ctx>
std::int64_t block_size(const Ctx& ctx) {
  const std::int64_t b = ctx.attributes().get_int("blocksize");
  if (b <= 0) ctx.fail(detail::concat("blocksize must be positive, got ", b));
  return b;
}

template <typename Ctx>
bool is_crd(const Ctx& ctx) {
  const std::string mode = ctx.attributes().get_string("mode", "DCR");
  if (mode != "DCR" && mode != "CRD")
    ctx.fail(detail::concat("mode must be DCR or CRD, got '", mode, "'"));
  return mode == "CRD";
}

/// dim * factor, or dim / factor (failing when it does not divide), on a maybe-symbolic dim.
template <typename Ctx>
ir::Dim scale_dim(const Ctx& ctx, const ir::Dim& dim, std::int64_t factor, bool divide,
                  const char* what) {
  if (!dim.is_static()) return ir::Dim();
  if (!divide) return dim.value * factor;
  if (dim.value % factor != 0) {
    ctx.fail(detail::concat(what, " ", dim.value, " is not divisible by ", factor));
  }
  return dim.value / factor;
}

void infer_depth_space(InferContext& ctx, bool to_space) {
  const std::int64_t b = block_size(ctx);
  if (to_space) is_crd(ctx);
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& shape = ctx.input_shape(0);
  if (!shape) return ctx.set_output(0, dtype, ir::DimList(4));
  if (shape->size() != 4) ctx.fail(detail::concat("input must be 4-D, got ", ir::to_string(shape)));
  const ir::DimList& s = *shape;
  ir::DimList out{s[0], ir::Dim(), ir::Dim(), ir::Dim()};
  if (to_space) {
    out[1] = scale_dim(ctx, s[1], b * b, true, "channels");
    out[2] = scale_dim(ctx, s[2], b, false, "height");
    out[3] = scale_dim(ctx, s[3], b, false, "width");
  } else {
    out[1] = scale_dim(ctx, s[1], b * b, false, "channels");
    out[2] = scale_dim(ctx, s[2], b, true, "height");
    out[3] = scale_dim(ctx, s[3], b, true, "width");
  }
  ctx.set_output(0, dtype, out);
}

std::vector<HostTensor> run_depth_to_space(const CpuContext& ctx) {
  const std::int64_t b = block_size(ctx);
  const bool crd = is_crd(ctx);
  const HostTensor& x = ctx.input(0);
  if (x.rank() != 4)
    ctx.fail(detail::concat("input must be 4-D, got ", shape_to_string(x.shape())));
  const std::int64_t n = x.shape()[0], c = x.shape()[1], h = x.shape()[2], w = x.shape()[3];
  if (c % (b * b) != 0) ctx.fail(detail::concat("channels ", c, " are not divisible by ", b * b));
  const std::int64_t oc = c / (b * b);
  HostTensor out(Shape{n, oc, h * b, w * b}, x.dtype());
  const std::size_t e = dtype_size(x.dtype());
  const auto* src = static_cast<const std::byte*>(x.data());
  auto* dst = static_cast<std::byte*>(out.data());
  for_each_index(out.shape(), [&](const std::vector<std::int64_t>& o, std::int64_t linear) {
    const std::int64_t bh = o[2] % b, bw = o[3] % b;
    const std::int64_t ic = crd ? (o[1] * b + bh) * b + bw : (bh * b + bw) * oc + o[1];
    const std::int64_t in = ((o[0] * c + ic) * h + o[2] / b) * w + o[3] / b;
    std::memcpy(dst + static_cast<std::size_t>(linear) * e, src + static_cast<std::size_t>(in) * e,
                e);
  });
  return {std::move(out)};
}

std::vector<HostTensor> run_space_to_depth(const CpuContext& ctx) {
  const std::int64_t b = block_size(ctx);
  const HostTensor& x = ctx.input(0);
  if (x.rank() != 4)
    ctx.fail(detail::concat("input must be 4-D, got ", shape_to_string(x.shape())));
  const std::int64_t n = x.shape()[0], c = x.shape()[1], h = x.shape()[2], w = x.shape()[3];
  if (h % b != 0 || w % b != 0) {
    ctx.fail(detail::concat("height ", h, " and width ", w, " must be divisible by ", b));
  }
  HostTensor out(Shape{n, c * b * b, h / b, w / b}, x.dtype());
  const std::size_t e = dtype_size(x.dtype());
  const auto* src = static_cast<const std::byte*>(x.data());
  auto* dst = static_cast<std::byte*>(out.data());
  for_each_index(out.shape(), [&](const std::vector<std::int64_t>& o, std::int64_t linear) {
    const std::int64_t block = o[1] / c, ic = o[1] % c;
    const std::int64_t bh = block / b, bw = block % b;
    const std::int64_t in = ((o[0] * c + ic) * h + o[2] * b + bh) * w + o[3] * b + bw;
    std::memcpy(dst + static_cast<std::size_t>(linear) * e, src + static_cast<std::size_t>(in) * e,
                e);
  });
  return {std::move(out)};
}

// --- GPU lowering -------------------------------------------------------------
// One thread per output element, the CPU's index formulas.

void lower_depth_space(LoweringContext& ctx, bool to_space) {
  const gpu::LoweringAttributeView view{ctx};
  const std::int64_t b = block_size(view);
  const bool crd = to_space && is_crd(view);
  const GpuTensor x = ctx.input(0);
  const GpuTensor y = ctx.output(0);
  if (x.shape.size() != 4) ctx.fail("input must be 4-D, got " + shape_to_string(x.shape));
  const std::int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
  Shape expected;
  std::string index;
  if (to_space) {
    if (c % (b * b) != 0) ctx.fail(detail::concat("channels ", c, " are not divisible by ", b * b));
    expected = Shape{n, c / (b * b), h * b, w * b};
    index = crd ? "const long long ic = (o1 * B + o2 % B) * B + o3 % B;"
                : "const long long ic = ((o2 % B) * B + o3 % B) * OC + o1;";
    index += " const long long in = ((o0 * C + ic) * H + o2 / B) * W + o3 / B;";
  } else {
    if (h % b != 0 || w % b != 0) {
      ctx.fail(detail::concat("height ", h, " and width ", w, " must be divisible by ", b));
    }
    expected = Shape{n, c * b * b, h / b, w / b};
    index =
        "const long long block = o1 / C, ic = o1 % C;"
        " const long long in = ((o0 * C + ic) * H + o2 * B + block / B) * W + o3 * B + block % B;";
  }
  if (expected != y.shape) {
    ctx.fail(detail::concat("output shape ", shape_to_string(y.shape), " differs from ",
                            shape_to_string(expected)));
  }
  const std::string entry = gpu::entry_name(ctx, to_space ? "depth_to_space" : "space_to_depth");
  const std::string source =
      gpu::kernel_preamble() +
      gpu::substitute(R"(
extern "C" __global__ void $ENTRY(const $T* __restrict__ x, $T* __restrict__ y) {
  const long long B = $BLOCK, C = $CHANNELS, H = $HEIGHT, W = $WIDTH, OC = $OUT_C;
  const long long O1 = $O1, O2 = $O2, O3 = $O3;
  (void)OC; (void)H;
  for (long long linear = trt_tid(); linear < $TOTAL; linear += trt_stride()) {
    const long long o3 = linear % O3, o2 = (linear / O3) % O2;
    const long long o1 = (linear / (O3 * O2)) % O1, o0 = linear / (O3 * O2 * O1);
    $INDEX
    y[linear] = x[in];
  }
}
)",
                      {{"ENTRY", entry},
                       {"T", gpu::cuda_type(x.dtype)},
                       {"BLOCK", gpu::int_literal(b)},
                       {"CHANNELS", gpu::int_literal(c)},
                       {"HEIGHT", gpu::int_literal(h)},
                       {"WIDTH", gpu::int_literal(w)},
                       {"OUT_C", gpu::int_literal(expected[1])},
                       {"O1", gpu::int_literal(std::max<std::int64_t>(expected[1], 1))},
                       {"O2", gpu::int_literal(std::max<std::int64_t>(expected[2], 1))},
                       {"O3", gpu::int_literal(std::max<std::int64_t>(expected[3], 1))},
                       {"TOTAL", gpu::int_literal(y.element_count())},
                       {"INDEX", index}});
  KernelLaunch launch;
  launch.source = source;
  launch.entry = entry;
  gpu::set_linear_launch(launch, y.element_count());
  launch.arguments = {KernelArgument::pointer_to(x), KernelArgument::pointer_to(y)};
  ctx.emit_kernel(ctx.node().name() + "." + (to_space ? "depth_to_space" : "space_to_depth"),
                  std::move(launch));
}

}  // namespace

OpSchema depth_to_space_schema() {
  return {"DepthToSpace", "", [](InferContext& ctx) { infer_depth_space(ctx, true); },
          run_depth_to_space, [](LoweringContext& ctx) { lower_depth_space(ctx, true); }};
}

OpSchema space_to_depth_schema() {
  return {"SpaceToDepth", "", [](InferContext& ctx) { infer_depth_space(ctx, false); },
          run_space_to_depth, [](LoweringContext& ctx) { lower_depth_space(ctx, false); }};
}

}  // namespace trtutils::ops::image
