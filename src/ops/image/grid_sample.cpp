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
#include "ops/support.hpp"

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

}  // namespace

OpSchema grid_sample_schema() { return {"GridSample", "", infer_grid_sample, run_grid_sample}; }

}  // namespace trtutils::ops::image
