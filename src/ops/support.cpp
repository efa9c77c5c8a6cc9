#include "ops/support.hpp"

#include <algorithm>

namespace trtutils::ops {

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const std::int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    TRTUTILS_CHECK(da == db || da == 1 || db == 1, "shapes ", shape_to_string(a), " and ",
                   shape_to_string(b), " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

ir::MaybeShape broadcast_shapes(const ir::MaybeShape& a, const ir::MaybeShape& b) {
  if (!a || !b) return std::nullopt;
  const std::size_t rank = std::max(a->size(), b->size());
  ir::DimList out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    const ir::Dim da = i < rank - a->size() ? ir::Dim(1) : (*a)[i - (rank - a->size())];
    const ir::Dim db = i < rank - b->size() ? ir::Dim(1) : (*b)[i - (rank - b->size())];
    if (da.is_static() && db.is_static()) {
      TRTUTILS_CHECK(da.value == db.value || da.value == 1 || db.value == 1, "shapes ",
                     ir::to_string(a), " and ", ir::to_string(b), " cannot be broadcast together");
      out[i] = da.value == 1 ? db : da;
    } else if (da.is_static() && da.value == 1) {
      out[i] = db;
    } else if (db.is_static() && db.value == 1) {
      out[i] = da;
    } else if (!da.is_static() && !db.is_static() && da.symbol == db.symbol) {
      out[i] = da;
    } else if (da.is_static()) {
      out[i] = da;  // the unknown side must be 1 or equal
    } else if (db.is_static()) {
      out[i] = db;
    } else {
      out[i] = ir::Dim();
    }
  }
  return out;
}

std::vector<std::int64_t> broadcast_strides(const Shape& input, const Shape& output) {
  std::vector<std::int64_t> strides(output.size(), 0);
  const std::vector<std::int64_t> own = contiguous_strides(input);
  const std::size_t offset = output.size() - input.size();
  for (std::size_t i = 0; i < input.size(); ++i) {
    strides[offset + i] = input[i] == 1 ? 0 : own[i];
  }
  return strides;
}

std::int64_t normalize_axis(std::int64_t axis, std::int64_t rank, const ir::Node& node) {
  if (axis < -rank || axis >= std::max<std::int64_t>(rank, 1)) {
    throw ModelError(detail::concat(node.describe(), ": axis ", axis, " is out of range for rank ",
                                    rank));
  }
  return axis < 0 ? axis + rank : axis;
}

std::vector<std::int64_t> read_ints(const HostTensor& tensor) {
  std::vector<std::int64_t> values(static_cast<std::size_t>(tensor.element_count()));
  visit_dtype(tensor.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T>) {
      const auto data = tensor.values<T>();
      std::copy(data.begin(), data.end(), values.begin());
    } else {
      throw ModelError(detail::concat("expected an integer tensor, got ",
                                      dtype_name(tensor.dtype())));
    }
  });
  return values;
}

std::vector<double> read_doubles(const HostTensor& tensor) {
  std::vector<double> values(static_cast<std::size_t>(tensor.element_count()));
  for (std::int64_t i = 0; i < tensor.element_count(); ++i) {
    values[static_cast<std::size_t>(i)] = element_as_double(tensor.view(), i);
  }
  return values;
}

DType compute_dtype(DType dtype) noexcept {
  return dtype == DType::kFloat16 || dtype == DType::kBFloat16 ? DType::kFloat32 : dtype;
}

HostTensor to_compute(const HostTensor& tensor) {
  return compute_dtype(tensor.dtype()) == tensor.dtype() ? tensor
                                                         : tensor.cast(DType::kFloat32);
}

HostTensor from_compute(HostTensor tensor, DType dtype) {
  return tensor.dtype() == dtype ? std::move(tensor) : tensor.cast(dtype);
}

DType dtype_from_onnx_type(std::int64_t onnx_type) noexcept {
  switch (onnx_type) {
    case 1: return DType::kFloat32;
    case 2: return DType::kUInt8;
    case 3: return DType::kInt8;
    case 6: return DType::kInt32;
    case 7: return DType::kInt64;
    case 9: return DType::kBool;
    case 10: return DType::kFloat16;
    case 11: return DType::kFloat64;
    case 16: return DType::kBFloat16;
    default: return DType::kUndefined;
  }
}

std::optional<Shape> static_input_shape(const InferContext& ctx, std::size_t i) {
  if (!ctx.has_input(i)) return std::nullopt;
  const ir::MaybeShape& shape = ctx.input_shape(i);
  if (!ir::is_static(shape)) return std::nullopt;
  return ir::to_static(*shape);
}

}  // namespace trtutils::ops
