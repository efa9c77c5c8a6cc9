// GridSample (ONNX GridSample-16): 4-D input [N, C, H, W] sampled at the
// normalised (x, y) locations of grid [N, H_out, W_out, 2] -> [N, C, H_out, W_out].
//
// ONNX defines it as PyTorch's grid_sample (its tests come from PyTorch), so
// the details follow that definition:
// - unnormalise: align_corners ? (g + 1) / 2 * (size - 1)
//                              : ((g + 1) * size - 1) / 2;
// - bilinear and nearest first move the coordinate by padding_mode (border:
//   clamp to [0, size - 1]; reflection: reflect about the corner pixel centres
//   (align_corners) or the image edges (-0.5, size - 0.5), then clamp); taps
//   that still fall outside read 0;
// - nearest rounds half to even (nearbyint);
// - bicubic (a = -0.75) applies padding_mode to each of its 4x4 taps instead.
#include <algorithm>
#include <cmath>
#include <string>

#include "ops/image/image_ops.hpp"
#include "ops/image/kernel_text.hpp"
#include "ops/support.hpp"
#include "trtutils/ops/gpu_lowering.hpp"

namespace trtutils::ops::image {
namespace {

enum class Mode { kBilinear, kNearest, kBicubic };
enum class Padding { kZeros, kBorder, kReflection };

struct GridSampleAttributes {
  Mode mode = Mode::kBilinear;
  Padding padding = Padding::kZeros;
  bool align_corners = false;
};

template <typename Ctx>
GridSampleAttributes parse_attributes(const Ctx& ctx) {
  GridSampleAttributes g;
  const std::string mode = ctx.attributes().get_string("mode", "bilinear");
  if (mode == "bilinear") {
    g.mode = Mode::kBilinear;
  } else if (mode == "nearest") {
    g.mode = Mode::kNearest;
  } else if (mode == "bicubic") {
    g.mode = Mode::kBicubic;
  } else if (mode == "linear" || mode == "cubic") {
    ctx.unsupported(detail::concat("mode '", mode, "' (GridSample-20 names) is not implemented"));
  } else {
    ctx.fail(detail::concat("unknown mode '", mode, "'"));
  }
  const std::string padding = ctx.attributes().get_string("padding_mode", "zeros");
  if (padding == "zeros") {
    g.padding = Padding::kZeros;
  } else if (padding == "border") {
    g.padding = Padding::kBorder;
  } else if (padding == "reflection") {
    g.padding = Padding::kReflection;
  } else {
    ctx.fail(detail::concat("unknown padding_mode '", padding, "'"));
  }
  g.align_corners = ctx.attributes().get_int("align_corners", 0) != 0;
  return g;
}

double unnormalize(double g, std::int64_t size, bool align_corners) {
  const auto s = static_cast<double>(size);
  return align_corners ? (g + 1.0) / 2.0 * (s - 1.0) : ((g + 1.0) * s - 1.0) / 2.0;
}

/// Reflects x into [low, high] (mirror images repeat with period 2 * span).
double reflect(double x, double low, double high) {
  if (low == high) return 0.0;
  const double span = high - low;
  x = std::fabs(x - low);
  const double extra = std::fmod(x, span);
  const auto flips = static_cast<std::int64_t>(std::floor(x / span));
  return flips % 2 == 0 ? low + extra : high - extra;
}

/// The coordinate after padding_mode (zeros leaves it alone).
double apply_padding(double x, std::int64_t size, const GridSampleAttributes& g) {
  const double high = static_cast<double>(size - 1);
  switch (g.padding) {
    case Padding::kZeros:
      return x;
    case Padding::kBorder:
      return std::clamp(x, 0.0, high);
    case Padding::kReflection:
      x = g.align_corners ? reflect(x, 0.0, high)
                          : reflect(x, -0.5, static_cast<double>(size) - 0.5);
      return std::clamp(x, 0.0, high);
  }
  return x;
}

double cubic_weight(double d) {
  constexpr double a = -0.75;
  d = std::fabs(d);
  if (d <= 1.0) return ((a + 2.0) * d - (a + 3.0)) * d * d + 1.0;
  if (d < 2.0) return ((a * d - 5.0 * a) * d + 8.0 * a) * d - 4.0 * a;
  return 0.0;
}

void infer_grid_sample(InferContext& ctx) {
  parse_attributes(ctx);
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& x = ctx.input_shape(0);
  const ir::MaybeShape& grid = ctx.input_shape(1);
  if (x && x->size() != 4)
    ctx.unsupported(detail::concat("only 4-D input is supported, got rank ", x->size()));
  if (grid && grid->size() != 4)
    ctx.fail(detail::concat("grid must be 4-D [N, H_out, W_out, 2], got rank ", grid->size()));
  ir::DimList out{ir::Dim(), ir::Dim(), ir::Dim(), ir::Dim()};
  if (x) {
    out[0] = (*x)[0];
    out[1] = (*x)[1];
  }
  if (grid) {
    if (!out[0].is_static() && out[0].symbol.empty()) out[0] = (*grid)[0];
    out[2] = (*grid)[1];
    out[3] = (*grid)[2];
  }
  ctx.set_output(0, dtype, out);
}

std::vector<HostTensor> run_grid_sample(const CpuContext& ctx) {
  const GridSampleAttributes g = parse_attributes(ctx);
  const HostTensor& x = ctx.input(0);
  const HostTensor& grid = ctx.input(1);
  if (x.rank() != 4)
    ctx.unsupported(detail::concat("only 4-D input is supported, got rank ", x.rank()));
  if (grid.rank() != 4 || grid.shape()[3] != 2 || grid.shape()[0] != x.shape()[0]) {
    ctx.fail(detail::concat("grid must be [N, H_out, W_out, 2] with N = ", x.shape()[0], ", got ",
                            shape_to_string(grid.shape())));
  }
  const std::int64_t n = x.shape()[0], c = x.shape()[1], h = x.shape()[2], w = x.shape()[3];
  const std::int64_t ho = grid.shape()[1], wo = grid.shape()[2];
  const std::vector<double> in = read_doubles(x);
  const std::vector<double> gv = read_doubles(grid);
  HostTensor out(Shape{n, c, ho, wo}, x.dtype());
  const TensorView target = out.view();

  for (std::int64_t b = 0; b < n; ++b) {
    for (std::int64_t ch = 0; ch < c; ++ch) {
      const double* plane = in.data() + (b * c + ch) * h * w;
      // Reads 0 outside the image (after any padding adjustment).
      const auto at = [&](std::int64_t yi, std::int64_t xi) {
        if (yi < 0 || yi >= h || xi < 0 || xi >= w) return 0.0;
        return plane[yi * w + xi];
      };
      for (std::int64_t oy = 0; oy < ho; ++oy) {
        for (std::int64_t ox = 0; ox < wo; ++ox) {
          const std::size_t gi = static_cast<std::size_t>(((b * ho + oy) * wo + ox) * 2);
          double fx = unnormalize(gv[gi], w, g.align_corners);
          double fy = unnormalize(gv[gi + 1], h, g.align_corners);
          double value = 0.0;
          if (g.mode == Mode::kBicubic) {
            const double x0 = std::floor(fx), y0 = std::floor(fy);
            const double tx = fx - x0, ty = fy - y0;
            for (int j = -1; j <= 2; ++j) {
              double row = 0.0;
              for (int i = -1; i <= 2; ++i) {
                const double px = apply_padding(x0 + i, w, g), py = apply_padding(y0 + j, h, g);
                row += cubic_weight(tx - i) *
                       at(static_cast<std::int64_t>(py), static_cast<std::int64_t>(px));
              }
              value += cubic_weight(ty - j) * row;
            }
          } else {
            fx = apply_padding(fx, w, g);
            fy = apply_padding(fy, h, g);
            if (g.mode == Mode::kNearest) {
              value = at(static_cast<std::int64_t>(std::nearbyint(fy)),
                         static_cast<std::int64_t>(std::nearbyint(fx)));
            } else {
              const double x0 = std::floor(fx), y0 = std::floor(fy);
              const double tx = fx - x0, ty = fy - y0;
              const auto xi = static_cast<std::int64_t>(x0), yi = static_cast<std::int64_t>(y0);
              value = (1 - ty) * ((1 - tx) * at(yi, xi) + tx * at(yi, xi + 1)) +
                      ty * ((1 - tx) * at(yi + 1, xi) + tx * at(yi + 1, xi + 1));
            }
          }
          set_element_from_double(target, ((b * c + ch) * ho + oy) * wo + ox, value);
        }
      }
    }
  }
  return {std::move(out)};
}

// --- GPU lowering -------------------------------------------------------------
// One thread per output element. Coordinates (unnormalise, padding_mode,
// floor / nearbyint) are computed in double exactly as above so every tap is
// the CPU's; weights and the sum are in W (float for f32/f16/bf16, double for
// f64).

std::string padding_code(const GridSampleAttributes& g) {
  switch (g.padding) {
    case Padding::kZeros:
      return "return x;";
    case Padding::kBorder:
      return "return fmin(fmax(x, 0.0), high);";
    case Padding::kReflection:
      return g.align_corners
                 ? "return fmin(fmax(reflect(x, 0.0, high), 0.0), high);"
                 : "return fmin(fmax(reflect(x, -0.5, (double)size - 0.5), 0.0), high);";
  }
  return "return x;";
}

void lower_grid_sample(LoweringContext& ctx) {
  const GridSampleAttributes g = parse_attributes(gpu::LoweringAttributeView{ctx});
  const GpuTensor x = ctx.input(0);
  const GpuTensor grid = ctx.input(1);
  const GpuTensor y = ctx.output(0);
  if (x.shape.size() != 4) ctx.unsupported("only 4-D input is supported");
  if (grid.shape.size() != 4 || grid.shape[3] != 2 || grid.shape[0] != x.shape[0]) {
    ctx.fail("grid must be [N, H_out, W_out, 2] with the input's N, got " +
             shape_to_string(grid.shape));
  }
  const std::int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
  const std::int64_t ho = grid.shape[1], wo = grid.shape[2];
  if (y.shape != Shape{n, c, ho, wo}) ctx.fail("output shape differs from [N, C, H_out, W_out]");
  const char* sample = nullptr;
  switch (g.mode) {
    case Mode::kBicubic:
      sample = R"(
      const double x0 = floor(fx), y0 = floor(fy);
      const W tx = (W)(fx - x0), ty = (W)(fy - y0);
      for (int j = -1; j <= 2; ++j) {
        W row = (W)0;
        const long long py = (long long)pad(y0 + j, H);
        for (int i = -1; i <= 2; ++i) {
          const long long px = (long long)pad(x0 + i, WIDTH);
          row += cubic(tx - (W)i) * at(plane, py, px);
        }
        value += cubic(ty - (W)j) * row;
      })";
      break;
    case Mode::kNearest:
      sample = R"(
      fx = pad(fx, WIDTH); fy = pad(fy, H);
      value = at(plane, (long long)nearbyint(fy), (long long)nearbyint(fx));)";
      break;
    case Mode::kBilinear:
      sample = R"(
      fx = pad(fx, WIDTH); fy = pad(fy, H);
      const double x0 = floor(fx), y0 = floor(fy);
      const W tx = (W)(fx - x0), ty = (W)(fy - y0);
      const long long xi = (long long)x0, yi = (long long)y0;
      value = ((W)1 - ty) * (((W)1 - tx) * at(plane, yi, xi) + tx * at(plane, yi, xi + 1)) +
              ty * (((W)1 - tx) * at(plane, yi + 1, xi) + tx * at(plane, yi + 1, xi + 1));)";
      break;
  }
  const std::string entry = gpu::entry_name(ctx, "grid_sample");
  const std::string source =
      gpu::kernel_preamble() +
      gpu::substitute(R"(
typedef $WTYPE W;
#define H $HEIGHT
#define WIDTH $WIDTH_VALUE
__device__ __forceinline__ double reflect(double x, double low, double high) {
  if (low == high) return 0.0;
  const double span = high - low;
  x = fabs(x - low);
  const double extra = fmod(x, span);
  const long long flips = (long long)floor(x / span);
  return flips % 2 == 0 ? low + extra : high - extra;
}
__device__ __forceinline__ double pad(double x, long long size) {
  const double high = (double)(size - 1);
  (void)high;
  $PADDING
}
__device__ __forceinline__ W cubic(W d) {
  const W a = (W)-0.75;
  d = d < (W)0 ? -d : d;
  if (d <= (W)1) return ((a + (W)2) * d - (a + (W)3)) * d * d + (W)1;
  if (d < (W)2) return ((a * d - (W)5 * a) * d + (W)8 * a) * d - (W)4 * a;
  return (W)0;
}
__device__ __forceinline__ W at(const $T* plane, long long yi, long long xi) {
  if (yi < 0 || yi >= H || xi < 0 || xi >= WIDTH) return (W)0;
  return (W)($LOAD);
}
extern "C" __global__ void $ENTRY(const $T* __restrict__ x, const $G* __restrict__ grid,
                                  $T* __restrict__ y) {
  const long long C = $CHANNELS, HO = $HO, WO = $WO;
  for (long long linear = trt_tid(); linear < $TOTAL; linear += trt_stride()) {
    const long long ox = linear % WO, oy = (linear / WO) % HO;
    const long long ch = (linear / (WO * HO)) % C, b = linear / (WO * HO * C);
    const $T* plane = x + (b * C + ch) * H * WIDTH;
    const long long gi = ((b * HO + oy) * WO + ox) * 2;
    const double gx = (double)($GX), gy = (double)($GY);
    double fx = $UNNORM_X;
    double fy = $UNNORM_Y;
    W value = (W)0;$SAMPLE
    y[linear] = $STORE;
  }
}
)",
                      {{"WTYPE", x.dtype == DType::kFloat64 ? "double" : "float"},
                       {"HEIGHT", gpu::int_literal(h)},
                       {"WIDTH_VALUE", gpu::int_literal(w)},
                       {"PADDING", padding_code(g)},
                       {"LOAD", gpu::load_expr(x.dtype, "plane[yi * WIDTH + xi]")},
                       {"ENTRY", entry},
                       {"T", gpu::cuda_type(x.dtype)},
                       {"G", gpu::cuda_type(grid.dtype)},
                       {"CHANNELS", gpu::int_literal(std::max<std::int64_t>(c, 1))},
                       {"HO", gpu::int_literal(std::max<std::int64_t>(ho, 1))},
                       {"WO", gpu::int_literal(std::max<std::int64_t>(wo, 1))},
                       {"TOTAL", gpu::int_literal(y.element_count())},
                       {"GX", gpu::load_expr(grid.dtype, "grid[gi]")},
                       {"GY", gpu::load_expr(grid.dtype, "grid[gi + 1]")},
                       {"UNNORM_X", g.align_corners ? "(gx + 1.0) / 2.0 * ((double)WIDTH - 1.0)"
                                                    : "((gx + 1.0) * (double)WIDTH - 1.0) / 2.0"},
                       {"UNNORM_Y", g.align_corners ? "(gy + 1.0) / 2.0 * ((double)H - 1.0)"
                                                    : "((gy + 1.0) * (double)H - 1.0) / 2.0"},
                       {"SAMPLE", sample},
                       {"STORE", gpu::store_expr(x.dtype, "value")}});
  KernelLaunch launch;
  launch.source = source;
  launch.entry = entry;
  gpu::set_linear_launch(launch, y.element_count());
  launch.arguments = {KernelArgument::pointer_to(x), KernelArgument::pointer_to(grid),
                      KernelArgument::pointer_to(y)};
  ctx.emit_kernel(ctx.node().name() + ".grid_sample", std::move(launch));
}

}  // namespace

OpSchema grid_sample_schema() {
  return {"GridSample", "", infer_grid_sample, run_grid_sample, lower_grid_sample};
}

}  // namespace trtutils::ops::image
