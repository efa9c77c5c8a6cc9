// Resize (ONNX Resize-10/11/13/18) and Upsample (Upsample-7/9, the deprecated
// predecessor): N-d nearest / linear / cubic interpolation of every resized
// axis, separable (the weight of an input element is the product of its
// per-axis weights).
//
// Semantics follow the operator page and ONNX's own reference implementation
// (interpolate_1d_with_x in the backend test cases):
// - the output coordinate x maps to x_original through
//   coordinate_transformation_mode, with `length_resized` = scale * input
//   length (an unrounded value when scales are given, the output size when
//   sizes are);
// - neighbours outside the input are clamped to the edge ("edge" padding),
//   except that cubic with exclude_outside drops them and renormalises;
// - tf_crop_and_resize returns extrapolation_value wherever x_original lies
//   outside [0, length - 1] on any axis;
// - an integral x_original reads that element exactly for every mode.
// Resize-10 and Upsample have no coordinate mode: they are "asymmetric", and
// nearest truncates (ONNX Runtime's legacy rule: ceil when downsampling).
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "ops/image/image_ops.hpp"
#include "ops/image/kernel_text.hpp"
#include "ops/support.hpp"
#include "trtutils/ops/gpu_lowering.hpp"

namespace trtutils::ops::image {
namespace {

enum class Mode { kNearest, kLinear, kCubic };
enum class CoordinateMode {
  kHalfPixel,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixelForNn,
  kTfCropAndResize
};
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kLegacy };
enum class AspectPolicy { kStretch, kNotLarger, kNotSmaller };

struct ResizeAttributes {
  Mode mode = Mode::kNearest;
  CoordinateMode coordinates = CoordinateMode::kHalfPixel;
  NearestMode nearest = NearestMode::kRoundPreferFloor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation_value = 0.0;
  AspectPolicy policy = AspectPolicy::kStretch;
  std::vector<std::int64_t> axes;  // as given (maybe negative); empty = all
};

/// How one axis is resampled.
struct AxisPlan {
  std::int64_t in_size = 0;
  std::int64_t out_size = 0;
  double scale = 1.0;
  double length_resized = 0.0;
  double roi_start = 0.0;
  double roi_end = 1.0;
};

template <typename Ctx>
Mode parse_mode(const Ctx& ctx, std::string mode) {
  if (mode == "nearest") return Mode::kNearest;
  // "bilinear" is what some Upsample-7 exporters wrote for "linear".
  if (mode == "linear" || mode == "bilinear") return Mode::kLinear;
  if (mode == "cubic" && ctx.node().op_type() == "Resize" && ctx.opset() >= 11) return Mode::kCubic;
  ctx.fail(detail::concat("mode '", mode, "' is not one of nearest, linear",
                          ctx.opset() >= 11 ? ", cubic" : ""));
}

template <typename Ctx>
ResizeAttributes parse_attributes(const Ctx& ctx) {
  const ir::Attributes& a = ctx.attributes();
  ResizeAttributes r;
  r.mode = parse_mode(ctx, a.get_string("mode", "nearest"));
  const bool legacy = ctx.node().op_type() == "Upsample" || ctx.opset() < 11;
  if (legacy) {
    r.coordinates = CoordinateMode::kAsymmetric;
    r.nearest = NearestMode::kLegacy;
    return r;
  }
  const std::string coordinates = a.get_string("coordinate_transformation_mode", "half_pixel");
  if (coordinates == "half_pixel") {
    r.coordinates = CoordinateMode::kHalfPixel;
  } else if (coordinates == "pytorch_half_pixel") {
    r.coordinates = CoordinateMode::kPytorchHalfPixel;
  } else if (coordinates == "align_corners") {
    r.coordinates = CoordinateMode::kAlignCorners;
  } else if (coordinates == "asymmetric") {
    r.coordinates = CoordinateMode::kAsymmetric;
  } else if (coordinates == "tf_half_pixel_for_nn") {
    r.coordinates = CoordinateMode::kTfHalfPixelForNn;
  } else if (coordinates == "tf_crop_and_resize") {
    r.coordinates = CoordinateMode::kTfCropAndResize;
  } else if (coordinates == "half_pixel_symmetric") {
    ctx.unsupported("coordinate_transformation_mode 'half_pixel_symmetric' (opset 19)");
  } else {
    ctx.fail(detail::concat("unknown coordinate_transformation_mode '", coordinates, "'"));
  }
  const std::string nearest = a.get_string("nearest_mode", "round_prefer_floor");
  if (nearest == "round_prefer_floor") {
    r.nearest = NearestMode::kRoundPreferFloor;
  } else if (nearest == "round_prefer_ceil") {
    r.nearest = NearestMode::kRoundPreferCeil;
  } else if (nearest == "floor") {
    r.nearest = NearestMode::kFloor;
  } else if (nearest == "ceil") {
    r.nearest = NearestMode::kCeil;
  } else {
    ctx.fail(detail::concat("unknown nearest_mode '", nearest, "'"));
  }
  r.cubic_a = a.get_float("cubic_coeff_a", -0.75F);
  r.exclude_outside = a.get_int("exclude_outside", 0) != 0;
  r.extrapolation_value = a.get_float("extrapolation_value", 0.0F);
  if (a.get_int("antialias", 0) != 0) ctx.unsupported("antialias=1 (opset 18) is not implemented");
  const std::string policy = a.get_string("keep_aspect_ratio_policy", "stretch");
  if (policy == "stretch") {
    r.policy = AspectPolicy::kStretch;
  } else if (policy == "not_larger") {
    r.policy = AspectPolicy::kNotLarger;
  } else if (policy == "not_smaller") {
    r.policy = AspectPolicy::kNotSmaller;
  } else {
    ctx.fail(detail::concat("unknown keep_aspect_ratio_policy '", policy, "'"));
  }
  r.axes = a.get_ints("axes", {});
  return r;
}

/// The resized axes in [0, rank), in the order scales/sizes/roi list them.
template <typename Ctx>
std::vector<std::int64_t> resized_axes(const Ctx& ctx, const ResizeAttributes& attrs,
                                       std::int64_t rank) {
  std::vector<std::int64_t> axes;
  if (attrs.axes.empty()) {
    for (std::int64_t d = 0; d < rank; ++d) axes.push_back(d);
    return axes;
  }
  std::vector<bool> seen(static_cast<std::size_t>(rank), false);
  for (const std::int64_t axis : attrs.axes) {
    const std::int64_t d = normalize_axis(axis, rank, ctx.node());
    if (seen[static_cast<std::size_t>(d)]) ctx.fail(detail::concat("axis ", axis, " repeats"));
    seen[static_cast<std::size_t>(d)] = true;
    axes.push_back(d);
  }
  return axes;
}

/// Where the operator keeps its resize targets, by op and opset.
struct InputSlots {
  std::optional<std::size_t> roi, scales, sizes;
};

InputSlots input_slots(const ir::Node& node, std::int64_t opset) {
  if (node.op_type() == "Upsample") return opset >= 9 ? InputSlots{{}, 1, {}} : InputSlots{};
  if (opset < 11) return {{}, 1, {}};
  return {1, 2, 3};
}

/// Per-axis output sizes and scales from the input shape and either scales or
/// sizes (one per resized axis). Fails on malformed values.
template <typename Ctx>
std::vector<AxisPlan> plan_axes(const Ctx& ctx, const ResizeAttributes& attrs, const Shape& in,
                                const std::vector<std::int64_t>& axes,
                                const std::vector<double>* scales,
                                const std::vector<std::int64_t>* sizes,
                                const std::vector<double>* roi) {
  const std::size_t rank = in.size();
  std::vector<AxisPlan> plan(rank);
  for (std::size_t d = 0; d < rank; ++d) {
    plan[d].in_size = in[d];
    plan[d].out_size = in[d];
    plan[d].length_resized = static_cast<double>(in[d]);
  }
  if ((scales == nullptr) == (sizes == nullptr)) {
    ctx.fail("exactly one of 'scales' and 'sizes' must be given (non-empty)");
  }
  const std::vector<std::int64_t>* list_sizes = sizes;
  const std::size_t count = scales ? scales->size() : sizes->size();
  if (count != axes.size()) {
    ctx.fail(detail::concat(scales ? "scales" : "sizes", " has ", count, " values for ",
                            axes.size(), " resized axes"));
  }
  if (scales) {
    for (std::size_t i = 0; i < axes.size(); ++i) {
      const double s = (*scales)[i];
      if (!(s > 0.0)) ctx.fail(detail::concat("scales must be positive, got ", s));
      AxisPlan& p = plan[static_cast<std::size_t>(axes[i])];
      p.scale = s;
      p.length_resized = s * static_cast<double>(p.in_size);
      p.out_size = static_cast<std::int64_t>(std::floor(p.length_resized));
    }
  } else {
    for (const std::int64_t size : *list_sizes) {
      if (size < 0) ctx.fail(detail::concat("sizes must not be negative, got ", size));
    }
    if (attrs.policy == AspectPolicy::kStretch) {
      for (std::size_t i = 0; i < axes.size(); ++i) {
        AxisPlan& p = plan[static_cast<std::size_t>(axes[i])];
        p.out_size = (*sizes)[i];
        p.length_resized = static_cast<double>(p.out_size);
        p.scale = p.in_size > 0 ? p.length_resized / static_cast<double>(p.in_size) : 1.0;
      }
    } else {
      // keep_aspect_ratio_policy (Resize-18): one scale for all resized axes.
      double scale = attrs.policy == AspectPolicy::kNotLarger ? INFINITY : 0.0;
      for (std::size_t i = 0; i < axes.size(); ++i) {
        const double r = static_cast<double>((*sizes)[i]) /
                         static_cast<double>(plan[static_cast<std::size_t>(axes[i])].in_size);
        scale = attrs.policy == AspectPolicy::kNotLarger ? std::min(scale, r) : std::max(scale, r);
      }
      for (const std::int64_t axis : axes) {
        AxisPlan& p = plan[static_cast<std::size_t>(axis)];
        p.scale = scale;
        p.length_resized = scale * static_cast<double>(p.in_size);
        p.out_size = static_cast<std::int64_t>(std::round(p.length_resized));
      }
    }
  }
  if (roi && !roi->empty() && attrs.coordinates == CoordinateMode::kTfCropAndResize) {
    // roi = [starts..., ends...] over the resized axes (all axes before 18).
    if (roi->size() != 2 * axes.size()) {
      ctx.fail(detail::concat("roi has ", roi->size(), " values; expected ", 2 * axes.size()));
    }
    for (std::size_t i = 0; i < axes.size(); ++i) {
      AxisPlan& p = plan[static_cast<std::size_t>(axes[i])];
      p.roi_start = (*roi)[i];
      p.roi_end = (*roi)[axes.size() + i];
    }
  }
  return plan;
}

/// x_original for output coordinate x; nullopt where tf_crop_and_resize
/// extrapolates.
std::optional<double> original_coordinate(const ResizeAttributes& attrs, const AxisPlan& p,
                                          double x) {
  const double in = static_cast<double>(p.in_size);
  switch (attrs.coordinates) {
    case CoordinateMode::kHalfPixel:
      return (x + 0.5) / p.scale - 0.5;
    case CoordinateMode::kPytorchHalfPixel:
      return p.length_resized > 1.0 ? (x + 0.5) / p.scale - 0.5 : 0.0;
    case CoordinateMode::kAlignCorners:
      return p.length_resized == 1.0 ? 0.0 : x * (in - 1.0) / (p.length_resized - 1.0);
    case CoordinateMode::kAsymmetric:
      return x / p.scale;
    case CoordinateMode::kTfHalfPixelForNn:
      return (x + 0.5) / p.scale;
    case CoordinateMode::kTfCropAndResize: {
      const double span = p.roi_end - p.roi_start;
      const double xo =
          p.length_resized > 1.0
              ? p.roi_start * (in - 1.0) + x * span * (in - 1.0) / (p.length_resized - 1.0)
              : 0.5 * (p.roi_start + p.roi_end) * (in - 1.0);
      if (xo < 0.0 || xo > in - 1.0) return std::nullopt;
      return xo;
    }
  }
  return x;
}

struct Tap {
  std::int64_t index;
  double weight;
};

/// Cubic convolution kernel (Keys) with parameter a, at distance d >= 0.
double cubic_weight(double d, double a) {
  if (d <= 1.0) return ((a + 2.0) * d - (a + 3.0)) * d * d + 1.0;
  if (d < 2.0) return ((a * d - 5.0 * a) * d + 8.0 * a) * d - 4.0 * a;
  return 0.0;
}

std::int64_t nearest_index(NearestMode mode, double x, bool downsampling) {
  const double fl = std::floor(x);
  if (fl == x) return static_cast<std::int64_t>(fl);
  const double ratio = x - fl;
  bool up = false;
  switch (mode) {
    case NearestMode::kRoundPreferFloor:
      up = ratio > 0.5;
      break;
    case NearestMode::kRoundPreferCeil:
      up = ratio >= 0.5;
      break;
    case NearestMode::kFloor:
      up = false;
      break;
    case NearestMode::kCeil:
      up = true;
      break;
    case NearestMode::kLegacy:
      up = downsampling;
      break;
  }
  return static_cast<std::int64_t>(fl) + (up ? 1 : 0);
}

/// For every output coordinate of one axis: the input elements it reads and
/// their weights (empty = extrapolate).
std::vector<std::vector<Tap>> axis_taps(const ResizeAttributes& attrs, const AxisPlan& p) {
  std::vector<std::vector<Tap>> taps(static_cast<std::size_t>(p.out_size));
  const auto clamp = [&](std::int64_t i) { return std::clamp<std::int64_t>(i, 0, p.in_size - 1); };
  for (std::int64_t o = 0; o < p.out_size; ++o) {
    std::vector<Tap>& t = taps[static_cast<std::size_t>(o)];
    const std::optional<double> xo = original_coordinate(attrs, p, static_cast<double>(o));
    if (!xo) continue;
    const double x = *xo;
    const double fl = std::floor(x);
    const auto base = static_cast<std::int64_t>(fl);
    const double ratio = x - fl;
    switch (attrs.mode) {
      case Mode::kNearest:
        t.push_back({clamp(nearest_index(attrs.nearest, x, p.scale < 1.0)), 1.0});
        break;
      case Mode::kLinear:
        t.push_back({clamp(base), 1.0 - ratio});
        if (ratio != 0.0) t.push_back({clamp(base + 1), ratio});
        break;
      case Mode::kCubic: {
        double total = 0.0;
        for (std::int64_t k = -1; k <= 2; ++k) {
          const std::int64_t i = base + k;
          double w = cubic_weight(std::abs(x - static_cast<double>(i)), attrs.cubic_a);
          if (attrs.exclude_outside && (i < 0 || i >= p.in_size)) w = 0.0;
          total += w;
          if (w != 0.0) t.push_back({clamp(i), w});
        }
        if (attrs.exclude_outside) {
          for (Tap& tap : t) tap.weight /= total;
        }
        break;
      }
    }
  }
  return taps;
}

HostTensor interpolate(const HostTensor& x, const ResizeAttributes& attrs,
                       const std::vector<AxisPlan>& plan) {
  Shape out_shape(plan.size());
  for (std::size_t d = 0; d < plan.size(); ++d) out_shape[d] = plan[d].out_size;
  HostTensor out(out_shape, x.dtype());
  if (out.element_count() == 0) return out;
  std::vector<std::vector<std::vector<Tap>>> taps;
  for (const AxisPlan& p : plan) {
    if (p.in_size == 0)
      throw ModelError("Resize: cannot resize an axis of size 0 to a non-empty one");
    taps.push_back(axis_taps(attrs, p));
  }
  const std::vector<double> in = read_doubles(x);
  const std::vector<std::int64_t> strides = contiguous_strides(x.shape());
  const std::size_t rank = plan.size();
  const bool integral = is_integer(x.dtype());
  const TensorView target = out.view();
  for_each_index(out_shape, [&](const std::vector<std::int64_t>& coords, std::int64_t linear) {
    for (std::size_t d = 0; d < rank; ++d) {
      if (taps[d][static_cast<std::size_t>(coords[d])].empty()) {
        set_element_from_double(target, linear, attrs.extrapolation_value);
        return;
      }
    }
    double sum = 0.0;
    const auto accumulate = [&](const auto& self, std::size_t d, std::int64_t offset,
                                double weight) -> void {
      if (d == rank) {
        sum += weight * in[static_cast<std::size_t>(offset)];
        return;
      }
      for (const Tap& tap : taps[d][static_cast<std::size_t>(coords[d])]) {
        self(self, d + 1, offset + tap.index * strides[d], weight * tap.weight);
      }
    };
    accumulate(accumulate, 0, 0, 1.0);
    set_element_from_double(target, linear, integral ? std::nearbyint(sum) : sum);
  });
  return out;
}

/// Input i as doubles, or nullopt when absent or empty (an empty tensor is how
/// Resize-11/13 models say "not given").
std::optional<std::vector<double>> optional_doubles(const CpuContext& ctx,
                                                    std::optional<std::size_t> slot) {
  if (!slot || !ctx.has_input(*slot) || ctx.input(*slot).element_count() == 0) return std::nullopt;
  return read_doubles(ctx.input(*slot));
}

std::vector<HostTensor> run_resize(const CpuContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const ResizeAttributes attrs = parse_attributes(ctx);
  const std::vector<std::int64_t> axes = resized_axes(ctx, attrs, x.rank());
  const InputSlots slots = input_slots(ctx.node(), ctx.opset());
  std::optional<std::vector<double>> scales;
  std::optional<std::vector<std::int64_t>> sizes;
  std::optional<std::vector<double>> roi = optional_doubles(ctx, slots.roi);
  if (ctx.node().op_type() == "Upsample" && ctx.opset() < 9) {
    const std::vector<float> s = ctx.attributes().get_floats("scales");
    scales.emplace(s.begin(), s.end());
  } else {
    scales = optional_doubles(ctx, slots.scales);
  }
  if (slots.sizes && ctx.has_input(*slots.sizes) && ctx.input(*slots.sizes).element_count() > 0) {
    sizes = read_ints(ctx.input(*slots.sizes));
  }
  const std::vector<AxisPlan> plan =
      plan_axes(ctx, attrs, x.shape(), axes, scales ? &*scales : nullptr, sizes ? &*sizes : nullptr,
                roi ? &*roi : nullptr);
  return {interpolate(x, attrs, plan)};
}

/// Shape rule: the rank is the input's; a resized dim is known when the input
/// dim and the scale/size are.
void infer_resize(InferContext& ctx) {
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& shape = ctx.input_shape(0);
  if (!shape) return ctx.set_output(0, dtype, std::nullopt);
  const ResizeAttributes attrs = parse_attributes(ctx);
  const auto rank = static_cast<std::int64_t>(shape->size());
  const std::vector<std::int64_t> axes = resized_axes(ctx, attrs, rank);
  const InputSlots slots = input_slots(ctx.node(), ctx.opset());

  std::optional<std::vector<double>> scales;
  std::optional<std::vector<std::int64_t>> sizes;
  bool targets_known = true;
  if (ctx.node().op_type() == "Upsample" && ctx.opset() < 9) {
    const std::vector<float> s = ctx.attributes().get_floats("scales");
    scales.emplace(s.begin(), s.end());
  } else {
    for (const std::optional<std::size_t> slot : {slots.scales, slots.sizes}) {
      if (!slot || !ctx.has_input(*slot)) continue;
      const HostTensor* c = ctx.input_constant(*slot);
      if (!c) {
        // Unknown data: an input declared empty still tells us it is unused.
        const ir::MaybeShape& s = ctx.input_shape(*slot);
        if (!(s && s->size() == 1 && (*s)[0].is_static() && (*s)[0].value == 0)) {
          targets_known = false;
        }
        continue;
      }
      if (c->element_count() == 0) continue;
      if (slot == slots.scales) {
        scales = read_doubles(*c);
      } else {
        sizes = read_ints(*c);
      }
    }
  }
  ir::DimList out = *shape;
  if (!targets_known || (!scales && !sizes)) {
    for (const std::int64_t d : axes) out[static_cast<std::size_t>(d)] = ir::Dim();
    return ctx.set_output(0, dtype, out);
  }
  const std::vector<double>* scale_list = scales ? &*scales : nullptr;
  const std::vector<std::int64_t>* size_list = sizes ? &*sizes : nullptr;
  if (scale_list && sizes)
    ctx.fail("exactly one of 'scales' and 'sizes' must be given (non-empty)");
  const std::size_t count = scale_list ? scale_list->size() : size_list->size();
  if (count != axes.size()) {
    ctx.fail(detail::concat(scale_list ? "scales" : "sizes", " has ", count, " values for ",
                            axes.size(), " resized axes"));
  }
  bool resized_static = true;
  for (const std::int64_t d : axes)
    resized_static &= (*shape)[static_cast<std::size_t>(d)].is_static();
  if (resized_static) {
    Shape in(shape->size(), 1);
    for (const std::int64_t d : axes)
      in[static_cast<std::size_t>(d)] = (*shape)[static_cast<std::size_t>(d)].value;
    const std::vector<AxisPlan> plan =
        plan_axes(ctx, attrs, in, axes, scale_list, size_list, nullptr);
    for (const std::int64_t d : axes)
      out[static_cast<std::size_t>(d)] = plan[static_cast<std::size_t>(d)].out_size;
    return ctx.set_output(0, dtype, out);
  }
  for (std::size_t i = 0; i < axes.size(); ++i) {
    ir::Dim& dim = out[static_cast<std::size_t>(axes[i])];
    if (scale_list) {
      if ((*scale_list)[i] == 1.0) continue;  // a symbolic dim survives scale 1
      dim = dim.is_static() ? ir::Dim(static_cast<std::int64_t>(
                                  std::floor((*scale_list)[i] * static_cast<double>(dim.value))))
                            : ir::Dim();
    } else {
      dim = attrs.policy == AspectPolicy::kStretch ? ir::Dim((*size_list)[i]) : ir::Dim();
    }
  }
  ctx.set_output(0, dtype, out);
}

// --- GPU lowering -------------------------------------------------------------
// One thread per output element. Each resized axis maps its output coordinate
// exactly as original_coordinate / axis_taps do, in double (so nearest picks
// the CPU's element and tap counts agree), then turns the taps into weights and
// sums weight * value in W: double for f32, f64 and integer tensors (integers
// are rounded with nearbyint like the CPU), float for tensors stored in f16 /
// bf16. In double the kernel evaluates the CPU's formulas in the CPU's order
// (same weight products, same summation order) with trt_mul/trt_add, which
// NVRTC never contracts into FMAs (it does by default), so an f32 result is the
// CPU's double sum rounded once: bit-identical. Summing in float instead gives
// errors of a few f32 ulps of sum |weight * value|, far above the result's own
// ulp where cubic lobes cancel. Axes the mapping leaves unchanged index
// directly (the CPU multiplies by an exact 1.0 there).

bool is_identity_axis(const ResizeAttributes& attrs, const AxisPlan& p) {
  if (p.in_size != p.out_size || p.length_resized != static_cast<double>(p.in_size)) return false;
  if (p.scale != 1.0) return false;
  return attrs.coordinates == CoordinateMode::kHalfPixel ||
         attrs.coordinates == CoordinateMode::kPytorchHalfPixel ||
         attrs.coordinates == CoordinateMode::kAlignCorners ||
         attrs.coordinates == CoordinateMode::kAsymmetric;
}

/// Device code: x (double) for output coordinate `o` of one axis.
std::string coordinate_code(const ResizeAttributes& attrs, const AxisPlan& p) {
  using gpu::double_literal;
  const std::string in = double_literal(static_cast<double>(p.in_size));
  const std::string scale = double_literal(p.scale);
  const std::string length = double_literal(p.length_resized);
  switch (attrs.coordinates) {
    case CoordinateMode::kHalfPixel:
      return "(o + 0.5) / " + scale + " - 0.5";
    case CoordinateMode::kPytorchHalfPixel:
      return p.length_resized > 1.0 ? "(o + 0.5) / " + scale + " - 0.5" : "0.0";
    case CoordinateMode::kAlignCorners:
      return p.length_resized == 1.0 ? "0.0" : "o * (" + in + " - 1.0) / (" + length + " - 1.0)";
    case CoordinateMode::kAsymmetric:
      return "o / " + scale;
    case CoordinateMode::kTfHalfPixelForNn:
      return "(o + 0.5) / " + scale;
    case CoordinateMode::kTfCropAndResize: {
      const std::string start = double_literal(p.roi_start);
      const std::string span = double_literal(p.roi_end - p.roi_start);
      if (p.length_resized > 1.0) {
        // start * (in - 1) + o * span * (in - 1) / (length - 1), uncontracted.
        return "trt_add(trt_mul(" + start + ", " + in + " - 1.0), trt_mul(trt_mul(o, " + span +
               "), " + in + " - 1.0) / (" + length + " - 1.0))";
      }
      return "0.5 * (" + start + " + " + double_literal(p.roi_end) + ") * (" + in + " - 1.0)";
    }
  }
  return "o";
}

/// Device code: whether nearest rounds up, given `ratio` (non-zero).
std::string nearest_up_code(NearestMode mode, bool downsampling) {
  switch (mode) {
    case NearestMode::kRoundPreferFloor:
      return "ratio > 0.5";
    case NearestMode::kRoundPreferCeil:
      return "ratio >= 0.5";
    case NearestMode::kFloor:
      return "false";
    case NearestMode::kCeil:
      return "true";
    case NearestMode::kLegacy:
      return downsampling ? "true" : "false";
  }
  return "false";
}

/// Device code filling idx<a>[], wt<a>[], n<a> for resized axis a.
std::string axis_code(const ResizeAttributes& attrs, const AxisPlan& p, std::size_t a) {
  const std::string last = gpu::int_literal(p.in_size - 1);
  std::string code =
      gpu::substitute(R"(
    long long idx$A[4]; W wt$A[4]; int n$A = 0;
    {
      const double o = (double)c$A;
      const double xo = $COORD;
)",
                      {{"A", std::to_string(a)}, {"COORD", coordinate_code(attrs, p)}});
  if (attrs.coordinates == CoordinateMode::kTfCropAndResize) {
    code += "      if (xo < 0.0 || xo > (double)" + last + ") { y[i] = EXTRAPOLATED; continue; }\n";
  }
  code += R"(      const double fl = floor(xo);
      const long long base = (long long)fl;
      const double ratio = xo - fl;
)";
  switch (attrs.mode) {
    case Mode::kNearest:
      code += "      long long pick = base;\n";
      code += "      if (fl != xo && (" + nearest_up_code(attrs.nearest, p.scale < 1.0) +
              ")) pick += 1;\n";
      code += "      idx$A[0] = clampi(pick, $LAST); wt$A[0] = (W)1; n$A = 1;\n";
      break;
    case Mode::kLinear:
      code += "      idx$A[0] = clampi(base, $LAST); wt$A[0] = (W)(1.0 - ratio); n$A = 1;\n";
      code +=
          "      if (ratio != 0.0) { idx$A[1] = clampi(base + 1, $LAST); wt$A[1] = (W)ratio; "
          "n$A = 2; }\n";
      break;
    case Mode::kCubic:
      code += "      W total = (W)0;\n";
      code += "      for (int k = -1; k <= 2; ++k) {\n";
      code += "        const long long t = base + k;\n";
      code += "        W w = cubic((W)fabs(xo - (double)t));\n";
      if (attrs.exclude_outside) code += "        if (t < 0 || t > $LAST) w = (W)0;\n";
      code += "        total += w;\n";
      code += "        if (w != (W)0) { idx$A[n$A] = clampi(t, $LAST); wt$A[n$A] = w; ++n$A; }\n";
      code += "      }\n";
      if (attrs.exclude_outside)
        code += "      for (int k = 0; k < n$A; ++k) wt$A[k] /= total;\n";
      else
        code += "      (void)total;\n";
      break;
  }
  code += "    }\n";
  return gpu::substitute(code, {{"A", std::to_string(a)}, {"LAST", last}});
}

void lower_resize(LoweringContext& ctx) {
  const gpu::LoweringAttributeView view{ctx};
  const ResizeAttributes attrs = parse_attributes(view);
  const GpuTensor x = ctx.input(0);
  const GpuTensor y = ctx.output(0);
  const auto rank = static_cast<std::int64_t>(x.shape.size());
  const std::vector<std::int64_t> axes = resized_axes(view, attrs, rank);
  const InputSlots slots = input_slots(ctx.node(), ctx.opset());

  std::optional<std::vector<double>> scales, roi;
  std::optional<std::vector<std::int64_t>> sizes;
  if (ctx.node().op_type() == "Upsample" && ctx.opset() < 9) {
    const std::vector<float> s = ctx.node().attributes().get_floats("scales");
    scales.emplace(s.begin(), s.end());
  } else if (slots.scales) {
    if (const HostTensor* s = gpu::build_time_input(ctx, *slots.scales, "scales"))
      scales = read_doubles(*s);
  }
  if (slots.sizes) {
    if (const HostTensor* s = gpu::build_time_input(ctx, *slots.sizes, "sizes"))
      sizes = read_ints(*s);
  }
  if (slots.roi && attrs.coordinates == CoordinateMode::kTfCropAndResize) {
    if (const HostTensor* r = gpu::build_time_input(ctx, *slots.roi, "roi")) roi = read_doubles(*r);
  }
  const std::vector<AxisPlan> plan =
      plan_axes(view, attrs, x.shape, axes, scales ? &*scales : nullptr, sizes ? &*sizes : nullptr,
                roi ? &*roi : nullptr);
  Shape out_shape(plan.size());
  for (std::size_t d = 0; d < plan.size(); ++d) out_shape[d] = plan[d].out_size;
  if (out_shape != y.shape) {
    ctx.fail(detail::concat("output shape ", shape_to_string(y.shape), " differs from ",
                            shape_to_string(out_shape), " computed from scales/sizes"));
  }
  const bool empty = y.element_count() == 0;
  for (const AxisPlan& p : plan) {
    if (!empty && p.in_size == 0) ctx.fail("cannot resize an axis of size 0 to a non-empty one");
  }

  const bool wide = x.dtype != DType::kFloat16 && x.dtype != DType::kBFloat16;
  const std::vector<std::int64_t> in_strides = contiguous_strides(x.shape);
  std::string coords, taps, loops_open, loops_close;
  std::string offset = "0LL";
  std::string weight = "(W)1";
  for (std::size_t d = plan.size(); d-- > 0;) {
    const std::string a = std::to_string(d);
    coords += gpu::substitute("    const long long c$A = rem % $OUT; rem /= $OUT;\n",
                              {{"A", a}, {"OUT", gpu::int_literal(plan[d].out_size)}});
  }
  for (std::size_t d = 0; d < plan.size(); ++d) {
    const std::string a = std::to_string(d);
    const std::string stride = gpu::int_literal(in_strides[d]);
    if (is_identity_axis(attrs, plan[d])) {
      offset += " + c" + a + " * " + stride;
      continue;
    }
    taps += axis_code(attrs, plan[d], d);
    loops_open += gpu::substitute(
        "    for (int t$A = 0; t$A < n$A; ++t$A) {\n"
        "    const long long off$A = $PREV + idx$A[t$A] * $STRIDE;\n"
        "    const W w$A = trt_mul($PW, wt$A[t$A]);\n",
        {{"A", a}, {"PREV", offset}, {"STRIDE", stride}, {"PW", weight}});
    loops_close += "    }\n";
    offset = "off" + a;
    weight = "w" + a;
  }
  std::string store;
  if (x.dtype == DType::kBool) {
    store = "(nearbyint(sum) != 0.0)";
  } else if (is_floating_point(x.dtype)) {
    store = gpu::store_expr(x.dtype, "sum");
  } else {
    store = "(" + gpu::cuda_type(x.dtype) + ")nearbyint(sum)";
  }
  const std::string value = gpu::load_expr(x.dtype, "x[" + offset + "]");
  const std::string source =
      gpu::kernel_preamble() +
      gpu::substitute(R"(
typedef $WTYPE W;
// Rounded operations that are never contracted into an FMA (CUDA intrinsics).
__device__ __forceinline__ double trt_mul(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ double trt_add(double a, double b) { return __dadd_rn(a, b); }
__device__ __forceinline__ double trt_sub(double a, double b) { return __dsub_rn(a, b); }
__device__ __forceinline__ float trt_mul(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ float trt_add(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ float trt_sub(float a, float b) { return __fsub_rn(a, b); }
__device__ __forceinline__ long long clampi(long long i, long long last) {
  return i < 0 ? 0 : (i > last ? last : i);
}
// cubic_weight: ((a + 2) d - (a + 3)) d d + 1 and ((a d - 5 a) d + 8 a) d - 4 a.
__device__ __forceinline__ W cubic(W d) {
  const W a = (W)$CUBIC_A;
  if (d <= (W)1) {
    return trt_add(trt_mul(trt_mul(trt_sub(trt_mul(trt_add(a, (W)2), d), trt_add(a, (W)3)), d), d),
                   (W)1);
  }
  if (d < (W)2) {
    return trt_sub(trt_mul(trt_add(trt_mul(trt_sub(trt_mul(a, d), trt_mul((W)5, a)), d),
                                   trt_mul((W)8, a)),
                           d),
                   trt_mul((W)4, a));
  }
  return (W)0;
}
extern "C" __global__ void $ENTRY(const $T* __restrict__ x, $T* __restrict__ y) {
  const $T EXTRAPOLATED = $EXTRAPOLATED;
  (void)EXTRAPOLATED;
  for (long long i = trt_tid(); i < $TOTAL; i += trt_stride()) {
    long long rem = i;
$COORDS$TAPS    W sum = (W)0;
$OPEN    sum = trt_add(sum, trt_mul($WEIGHT, (W)($VALUE)));
$CLOSE    y[i] = $STORE;
  }
}
)",
                      {{"WTYPE", wide ? "double" : "float"},
                       {"CUBIC_A", gpu::double_literal(attrs.cubic_a)},
                       {"ENTRY", gpu::entry_name(ctx, "resize")},
                       {"EXTRAPOLATED",
                        gpu::store_expr(x.dtype, gpu::double_literal(attrs.extrapolation_value))},
                       {"TOTAL", gpu::int_literal(y.element_count())},
                       {"COORDS", coords},
                       {"TAPS", taps},
                       {"OPEN", loops_open},
                       {"WEIGHT", weight},
                       {"VALUE", value},
                       {"CLOSE", loops_close},
                       {"STORE", store},
                       {"T", gpu::cuda_type(x.dtype)}});
  KernelLaunch launch;
  launch.source = source;
  launch.entry = gpu::entry_name(ctx, "resize");
  gpu::set_linear_launch(launch, y.element_count());
  launch.arguments = {KernelArgument::pointer_to(x), KernelArgument::pointer_to(y)};
  ctx.emit_kernel(ctx.node().name() + ".resize", std::move(launch));
}

}  // namespace

OpSchema resize_schema() { return {"Resize", "", infer_resize, run_resize, lower_resize}; }
OpSchema upsample_schema() { return {"Upsample", "", infer_resize, run_resize, lower_resize}; }

}  // namespace trtutils::ops::image
