#include "ops/elementwise/elementwise.hpp"

namespace trtutils::ops::elementwise {

bool accepts(Types types, DType dtype) noexcept {
  switch (types) {
    case Types::kAny:
      return true;
    case Types::kBool:
      return dtype == DType::kBool;
    case Types::kNumeric:
      return dtype != DType::kBool;
    case Types::kFloat:
      return is_floating_point(dtype);
    case Types::kSignedOrFloat:
      return is_floating_point(dtype) || dtype == DType::kInt8 || dtype == DType::kInt32 ||
             dtype == DType::kInt64;
  }
  return false;
}

void check_input_type(const InferContext& ctx, std::size_t i, Types types) {
  if (!ctx.has_input(i)) return;
  const DType dtype = ctx.input_dtype(i);
  if (dtype != DType::kUndefined && !accepts(types, dtype)) {
    ctx.fail(detail::concat("input ", i, " has element type ", dtype_name(dtype),
                            ", which this operator does not accept"));
  }
}

void broadcast_rule(InferContext& ctx, DType dtype) {
  if (ctx.input_count() == 0 || !ctx.has_input(0)) ctx.fail("needs at least one input");
  ir::MaybeShape shape = ctx.input_shape(0);
  for (std::size_t i = 1; i < ctx.input_count(); ++i) {
    if (!ctx.has_input(i)) continue;
    try {
      shape = broadcast_shapes(shape, ctx.input_shape(i));
    } catch (const InvalidArgument& e) {
      ctx.fail(e.what());
    }
  }
  ctx.set_output(0, dtype == DType::kUndefined ? ctx.input_dtype(0) : dtype, std::move(shape));
}

void refuse_legacy_axis_broadcast(const InferContext& ctx) {
  if (ctx.opset() < 7 && ctx.attributes().has("axis")) {
    ctx.unsupported("the opset < 7 broadcast with an 'axis' attribute is not implemented");
  }
}

}  // namespace trtutils::ops::elementwise
