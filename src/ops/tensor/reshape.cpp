// Ops that only change the shape, never the data order: Reshape (ONNX
// Reshape-1/5/13/14), Flatten (1/9/11/13), Squeeze and Unsqueeze (1/11/13).
#include <algorithm>

#include "ops/tensor/gpu_index_map.hpp"
#include "ops/tensor/tensor_common.hpp"

namespace trtutils::ops::tensor {
namespace {

// --- Reshape -----------------------------------------------------------------
// In the target shape, 0 copies the input's dim at that position (unless
// allowzero=1, Reshape-14, where 0 is a real zero) and one -1 is inferred.

template <typename Ctx>
Shape resolve_reshape(const Ctx& ctx, const Shape& input, const std::vector<std::int64_t>& spec,
                      bool allowzero) {
  Shape out(spec.begin(), spec.end());
  std::optional<std::size_t> inferred;
  std::int64_t known = 1;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] == 0 && !allowzero) {
      if (i >= input.size()) {
        ctx.fail(detail::concat("shape entry ", i, " is 0 (copy) but the input has rank ",
                                input.size()));
      }
      out[i] = input[i];
    } else if (spec[i] == -1) {
      if (inferred) ctx.fail("the target shape has more than one -1");
      inferred = i;
      continue;
    } else if (spec[i] < -1) {
      ctx.fail(detail::concat("invalid target shape entry ", spec[i]));
    }
    known *= out[i];
  }
  const std::int64_t total = element_count(input);
  if (inferred) {
    if (allowzero && std::find(spec.begin(), spec.end(), 0) != spec.end()) {
      ctx.fail("with allowzero=1 the target shape cannot hold both 0 and -1");
    }
    if (known == 0 || total % known != 0) {
      ctx.fail(detail::concat("cannot reshape ", shape_to_string(input), " (", total,
                              " elements) to a shape with -1 and known dims multiplying to ",
                              known));
    }
    out[*inferred] = total / known;
  }
  if (element_count(out) != total) {
    ctx.fail(detail::concat("cannot reshape ", shape_to_string(input), " (", total,
                            " elements) to ", shape_to_string(out)));
  }
  return out;
}

bool reshape_allowzero(const ir::Attributes& attrs, std::int64_t opset) {
  return opset >= 14 && attrs.get_int("allowzero", 0) != 0;
}

void infer_reshape(InferContext& ctx) {
  const DType dtype = ctx.input_dtype(0);
  std::optional<std::vector<std::int64_t>> spec;
  if (ctx.opset() < 5) {
    spec = ctx.attributes().get_ints("shape");
  } else {
    spec = constant_ints(ctx, 1);
  }
  if (!spec) {
    const ir::MaybeShape& target = ctx.input_shape(1);
    if (target && target->size() == 1 && (*target)[0].is_static()) {
      return ctx.set_output(0, dtype, unknown_dims(static_cast<std::size_t>((*target)[0].value)));
    }
    return ctx.set_output(0, dtype, std::nullopt);
  }
  const bool allowzero = reshape_allowzero(ctx.attributes(), ctx.opset());
  const ir::MaybeShape& input = ctx.input_shape(0);
  if (ir::is_static(input)) {
    return ctx.set_output(0, dtype,
                          ir::from_static(resolve_reshape(ctx, ir::to_static(*input), *spec, allowzero)));
  }
  // Partly known input: copy dims for 0s; resolve -1 when the input dims not
  // copied through 0s are all static.
  ir::DimList out(spec->size());
  std::optional<std::size_t> inferred;
  std::vector<bool> copied(input ? input->size() : 0, false);
  std::int64_t known = 1;
  for (std::size_t i = 0; i < spec->size(); ++i) {
    const std::int64_t s = (*spec)[i];
    if (s == 0 && !allowzero) {
      if (!input) {
        out[i] = ir::Dim();
        continue;
      }
      if (i >= input->size()) ctx.fail(detail::concat("shape entry ", i, " is 0 but input rank is ", input->size()));
      out[i] = (*input)[i];
      copied[i] = true;
    } else if (s == -1) {
      inferred = i;
    } else {
      out[i] = s;
      known *= s;
    }
  }
  if (inferred) {
    std::int64_t rest = 1;
    bool rest_known = input.has_value();
    for (std::size_t i = 0; rest_known && i < input->size(); ++i) {
      if (copied[i]) continue;
      rest_known = (*input)[i].is_static();
      if (rest_known) rest *= (*input)[i].value;
    }
    out[*inferred] = rest_known && known != 0 && rest % known == 0 ? ir::Dim(rest / known) : ir::Dim();
  }
  ctx.set_output(0, dtype, out);
}

std::vector<HostTensor> run_reshape(const CpuContext& ctx) {
  const HostTensor& in = ctx.input(0);
  const std::vector<std::int64_t> spec =
      ctx.opset() < 5 ? ctx.attributes().get_ints("shape") : input_ints(ctx, 1, "shape");
  return {in.reshaped(resolve_reshape(ctx, in.shape(), spec,
                                      reshape_allowzero(ctx.attributes(), ctx.opset())))};
}

// --- Flatten: (d0 * ... * d(axis-1), d(axis) * ... * d(r-1)) -------------------

template <typename Ctx>
std::size_t flatten_axis(const Ctx& ctx, std::size_t rank) {
  const std::int64_t axis = ctx.attributes().get_int("axis", 1);
  const auto r = static_cast<std::int64_t>(rank);
  if (axis < -r || axis > r) {
    ctx.fail(detail::concat("axis ", axis, " is out of range [", -r, ", ", r, "]"));
  }
  return static_cast<std::size_t>(axis < 0 ? axis + r : axis);
}

void infer_flatten(InferContext& ctx) {
  const ir::MaybeShape& shape = ctx.input_shape(0);
  if (!shape) return ctx.set_output(0, ctx.input_dtype(0), ir::DimList{ir::Dim(), ir::Dim()});
  const std::size_t axis = flatten_axis(ctx, shape->size());
  ctx.set_output(0, ctx.input_dtype(0),
                 ir::DimList{dim_product(*shape, 0, axis), dim_product(*shape, axis, shape->size())});
}

std::vector<HostTensor> run_flatten(const CpuContext& ctx) {
  const HostTensor& in = ctx.input(0);
  const Shape& s = in.shape();
  const std::size_t axis = flatten_axis(ctx, s.size());
  const auto split = s.begin() + static_cast<std::ptrdiff_t>(axis);
  return {in.reshaped({element_count(Shape(s.begin(), split)), element_count(Shape(split, s.end()))})};
}

// --- Squeeze / Unsqueeze -------------------------------------------------------
// Axes: attribute before opset 13, then an input (optional for Squeeze).

/// The axes if given and known; `given` says whether the node has any.
struct AxesArg {
  bool given = false;
  std::optional<std::vector<std::int64_t>> values;
};

AxesArg infer_axes(const InferContext& ctx) {
  AxesArg a;
  if (ctx.opset() < 13) {
    a.given = ctx.attributes().has("axes");
    if (a.given) a.values = ctx.attributes().get_ints("axes");
  } else {
    a.given = ctx.has_input(1);
    if (a.given) a.values = constant_ints(ctx, 1);
  }
  return a;
}

std::optional<std::vector<std::int64_t>> cpu_axes(const CpuContext& ctx) {
  if (ctx.opset() < 13) {
    if (!ctx.attributes().has("axes")) return std::nullopt;
    return ctx.attributes().get_ints("axes");
  }
  if (!ctx.has_input(1)) return std::nullopt;
  return input_ints(ctx, 1, "axes");
}

/// Normalised, sorted axes; fails on a repeat.
template <typename Ctx>
std::vector<std::int64_t> sorted_axes(const Ctx& ctx, std::vector<std::int64_t> axes,
                                      std::int64_t rank) {
  for (std::int64_t& a : axes) a = normalize_axis(a, rank, ctx.node());
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) ctx.fail("axes repeat");
  return axes;
}

void infer_squeeze(InferContext& ctx) {
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& shape = ctx.input_shape(0);
  const AxesArg axes = infer_axes(ctx);
  if (!shape || (axes.given && !axes.values)) return ctx.set_output(0, dtype, std::nullopt);
  ir::DimList out;
  if (!axes.given || axes.values->empty()) {
    // Squeeze every 1; an unknown dim might be 1, so the rank is unknown then.
    for (const ir::Dim& d : *shape) {
      if (!d.is_static()) return ctx.set_output(0, dtype, std::nullopt);
      if (d.value != 1) out.push_back(d);
    }
    return ctx.set_output(0, dtype, out);
  }
  const std::vector<std::int64_t> sorted =
      sorted_axes(ctx, *axes.values, static_cast<std::int64_t>(shape->size()));
  for (std::size_t i = 0; i < shape->size(); ++i) {
    const bool squeezed = std::binary_search(sorted.begin(), sorted.end(), static_cast<std::int64_t>(i));
    if (squeezed && (*shape)[i].is_static() && (*shape)[i].value != 1) {
      ctx.fail(detail::concat("cannot squeeze axis ", i, " of size ", (*shape)[i].value));
    }
    if (!squeezed) out.push_back((*shape)[i]);
  }
  ctx.set_output(0, dtype, out);
}

std::vector<HostTensor> run_squeeze(const CpuContext& ctx) {
  const HostTensor& in = ctx.input(0);
  const std::optional<std::vector<std::int64_t>> axes = cpu_axes(ctx);
  Shape out;
  if (!axes || axes->empty()) {
    for (const std::int64_t d : in.shape()) {
      if (d != 1) out.push_back(d);
    }
    return {in.reshaped(out)};
  }
  const std::vector<std::int64_t> sorted = sorted_axes(ctx, *axes, in.rank());
  for (std::size_t i = 0; i < in.shape().size(); ++i) {
    const bool squeezed = std::binary_search(sorted.begin(), sorted.end(), static_cast<std::int64_t>(i));
    if (squeezed && in.shape()[i] != 1) {
      ctx.fail(detail::concat("cannot squeeze axis ", i, " of size ", in.shape()[i]));
    }
    if (!squeezed) out.push_back(in.shape()[i]);
  }
  return {in.reshaped(out)};
}

/// Inserts 1s at `axes` (positions in the output).
template <typename Ctx, typename DimT>
std::vector<DimT> unsqueeze_dims(const Ctx& ctx, const std::vector<DimT>& in,
                                 const std::vector<std::int64_t>& axes) {
  const auto rank = static_cast<std::int64_t>(in.size() + axes.size());
  const std::vector<std::int64_t> sorted = sorted_axes(ctx, axes, rank);
  std::vector<DimT> out;
  std::size_t next = 0;
  for (std::int64_t i = 0; i < rank; ++i) {
    if (std::binary_search(sorted.begin(), sorted.end(), i)) {
      out.push_back(DimT(1));
    } else {
      out.push_back(in[next++]);
    }
  }
  return out;
}

void infer_unsqueeze(InferContext& ctx) {
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& shape = ctx.input_shape(0);
  const AxesArg axes = infer_axes(ctx);
  if (!axes.given) ctx.fail("axes are required");
  if (!shape || !axes.values) return ctx.set_output(0, dtype, std::nullopt);
  ctx.set_output(0, dtype, unsqueeze_dims(ctx, *shape, *axes.values));
}

std::vector<HostTensor> run_unsqueeze(const CpuContext& ctx) {
  const HostTensor& in = ctx.input(0);
  const std::optional<std::vector<std::int64_t>> axes = cpu_axes(ctx);
  if (!axes) ctx.fail("axes are required");
  return {in.reshaped(unsqueeze_dims(ctx, in.shape(), *axes))};
}

// --- GPU: same bytes, new shape (an alias; a converting copy if the builder
// stores input and output in different dtypes). The shape-deciding inputs
// must be known at build time even though the output shape already is: the
// lowering checks that they agree.

void lower_reshape(LoweringContext& ctx) {
  if (ctx.opset() >= 5) {
    const LoweringArgs args(ctx);
    const Shape out = resolve_reshape(args, ctx.input(0).shape, build_time_ints(ctx, 1, "shape"),
                                      reshape_allowzero(args.attributes(), ctx.opset()));
    if (out != ctx.output(0).shape) {
      ctx.fail(detail::concat("the target shape gives ", shape_to_string(out),
                              " but the output is ", shape_to_string(ctx.output(0).shape)));
    }
  }
  alias_or_copy(ctx);
}

void lower_squeeze_unsqueeze(LoweringContext& ctx) {
  if (ctx.opset() >= 13 && ctx.has_input(1)) build_time_ints(ctx, 1, "axes");
  alias_or_copy(ctx);
}

}  // namespace

void register_reshape(OpRegistry& registry) {
  registry.add({"Reshape", "", infer_reshape, run_reshape, lower_reshape});
  registry.add({"Flatten", "", infer_flatten, run_flatten, alias_or_copy});
  registry.add({"Squeeze", "", infer_squeeze, run_squeeze, lower_squeeze_unsqueeze});
  registry.add({"Unsqueeze", "", infer_unsqueeze, run_unsqueeze, lower_squeeze_unsqueeze});
}

}  // namespace trtutils::ops::tensor
