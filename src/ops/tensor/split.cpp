// Split: cuts the input along `axis` into the node's outputs. Where the sizes
// come from depends on the opset (ONNX Split-1/2/11/13/18): the `split`
// attribute before 13 (Split-1 also took it as an optional second input), the
// optional second input from 13, else `num_outputs` (18: the last chunk may be
// smaller) or equal parts.
#include <cstring>

#include "ops/tensor/gpu_index_map.hpp"
#include "ops/tensor/tensor_common.hpp"

namespace trtutils::ops::tensor {
namespace {

bool sizes_from_input(std::int64_t opset) { return opset >= 13 || opset == 1; }

/// Resolves the size of each output for an axis of extent `extent`.
template <typename Ctx>
std::vector<std::int64_t> resolve_sizes(const Ctx& ctx, const std::vector<std::int64_t>* explicit_sizes,
                                        std::int64_t extent) {
  const auto outputs = static_cast<std::int64_t>(ctx.output_count());
  if (explicit_sizes && !explicit_sizes->empty()) {
    std::int64_t sum = 0;
    for (const std::int64_t s : *explicit_sizes) {
      if (s < 0) ctx.fail(detail::concat("split sizes must be >= 0, got ", s));
      sum += s;
    }
    if (static_cast<std::int64_t>(explicit_sizes->size()) != outputs) {
      ctx.fail(detail::concat(explicit_sizes->size(), " split sizes for ", outputs, " outputs"));
    }
    if (sum != extent) {
      ctx.fail(detail::concat("split sizes add up to ", sum, " but the axis has ", extent));
    }
    return *explicit_sizes;
  }
  if (ctx.opset() >= 18 && ctx.attributes().has("num_outputs")) {
    const std::int64_t n = ctx.attributes().get_int("num_outputs");
    if (n != outputs) ctx.fail(detail::concat("num_outputs is ", n, " but the node has ", outputs));
    // Split-18: chunks of ceil(extent / n), the last one smaller if need be.
    const std::int64_t chunk = (extent + n - 1) / n;
    std::vector<std::int64_t> sizes(static_cast<std::size_t>(n));
    std::int64_t left = extent;
    for (auto& s : sizes) {
      s = std::min(chunk, left);
      left -= s;
    }
    return sizes;
  }
  if (outputs == 0 || extent % outputs != 0) {
    ctx.fail(detail::concat("cannot split an axis of ", extent, " into ", outputs,
                            " equal parts; give 'split' sizes"));
  }
  return std::vector<std::int64_t>(static_cast<std::size_t>(outputs), extent / outputs);
}

void infer_split(InferContext& ctx) {
  const DType dtype = ctx.input_dtype(0);
  const ir::MaybeShape& shape = ctx.input_shape(0);
  if (!shape) {
    for (std::size_t i = 0; i < ctx.output_count(); ++i) ctx.set_output(i, dtype, std::nullopt);
    return;
  }
  const auto axis = static_cast<std::size_t>(axis_of(
      ctx, ctx.attributes().get_int("axis", 0), static_cast<std::int64_t>(shape->size())));
  std::optional<std::vector<std::int64_t>> given;
  bool known = true;
  if (sizes_from_input(ctx.opset()) && ctx.has_input(1)) {
    given = constant_ints(ctx, 1);
    known = given.has_value();
  } else if (ctx.opset() < 13) {
    given = ctx.attributes().get_ints("split", {});
  }
  const ir::Dim& extent = (*shape)[axis];
  std::vector<ir::Dim> dims(ctx.output_count(), ir::Dim());
  if (known && given && !given->empty() && !extent.is_static()) {
    dims.assign(given->begin(), given->end());
  } else if (known && extent.is_static()) {
    const std::vector<std::int64_t> sizes =
        resolve_sizes(ctx, given ? &*given : nullptr, extent.value);
    dims.assign(sizes.begin(), sizes.end());
  }
  for (std::size_t i = 0; i < ctx.output_count(); ++i) {
    ir::DimList out = *shape;
    out[axis] = i < dims.size() ? dims[i] : ir::Dim();
    ctx.set_output(i, dtype, out);
  }
}

std::vector<HostTensor> run_split(const CpuContext& ctx) {
  const HostTensor& in = ctx.input(0);
  const auto axis = static_cast<std::size_t>(
      axis_of(ctx, ctx.attributes().get_int("axis", 0), in.rank()));
  std::optional<std::vector<std::int64_t>> given;
  if (sizes_from_input(ctx.opset()) && ctx.has_input(1)) {
    given = input_ints(ctx, 1, "split");
  } else if (ctx.opset() < 13) {
    given = ctx.attributes().get_ints("split", {});
  }
  const std::vector<std::int64_t> sizes =
      resolve_sizes(ctx, given ? &*given : nullptr, in.shape()[axis]);

  const std::size_t size = dtype_size(in.dtype());
  const std::int64_t outer = element_count(Shape(in.shape().begin(), in.shape().begin() + axis));
  const std::int64_t inner = element_count(Shape(in.shape().begin() + axis + 1, in.shape().end()));
  const auto in_row = static_cast<std::size_t>(in.shape()[axis] * inner) * size;
  std::vector<HostTensor> outputs;
  std::size_t column = 0;
  for (const std::int64_t part : sizes) {
    Shape shape = in.shape();
    shape[axis] = part;
    HostTensor out(shape, in.dtype());
    const auto out_row = static_cast<std::size_t>(part * inner) * size;
    for (std::int64_t o = 0; out_row != 0 && o < outer; ++o) {
      const auto row = static_cast<std::size_t>(o);
      std::memcpy(bytes_of(out) + row * out_row, bytes_of(in) + row * in_row + column, out_row);
    }
    column += out_row;
    outputs.push_back(std::move(out));
  }
  return outputs;
}

// GPU: one strided copy per output from its window of the input (an alias
// for a lone output). Sizes given as an input decide shapes: build-time.
void lower_split(LoweringContext& ctx) {
  const LoweringArgs args(ctx);
  const Shape& in = ctx.input(0).shape;
  const auto axis = static_cast<std::size_t>(
      axis_of(args, args.attributes().get_int("axis", 0), static_cast<std::int64_t>(in.size())));
  std::optional<std::vector<std::int64_t>> given;
  if (sizes_from_input(ctx.opset()) && ctx.has_input(1)) {
    given = build_time_ints(ctx, 1, "split");
  } else if (ctx.opset() < 13) {
    given = args.attributes().get_ints("split", {});
  }
  const std::vector<std::int64_t> sizes = resolve_sizes(args, given ? &*given : nullptr, in[axis]);
  const std::vector<std::int64_t> in_strides = contiguous_strides(in);
  std::int64_t column = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    Shape shape = in;
    shape[axis] = sizes[i];
    const std::int64_t offset = column * in_strides[axis];
    column += sizes[i];
    if (!ctx.output(i).present()) continue;
    if (shape != ctx.output(i).shape) {
      ctx.fail(detail::concat("output ", i, " is ", shape_to_string(ctx.output(i).shape),
                              " but the split gives ", shape_to_string(shape)));
    }
    StridedCopy copy;
    copy.domain = shape;
    copy.src_strides = in_strides;
    copy.src_offset = offset;
    copy.dst_strides = contiguous_strides(shape);
    lower_copy(ctx, detail::concat("output", i), copy, 0, i);
  }
}

}  // namespace

void register_split(OpRegistry& registry) {
  registry.add({"Split", "", infer_split, run_split, lower_split});
}

}  // namespace trtutils::ops::tensor
