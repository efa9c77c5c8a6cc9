#pragma once
// Small shared helpers for op shape rules and CPU references: broadcasting,
// axis normalisation, reading integer tensors, dtype dispatch. Family-specific
// helpers stay in their family folder.
#include <cstdint>
#include <type_traits>
#include <vector>

#include "trtutils/ir/dim.hpp"
#include "trtutils/ops/op_schema.hpp"
#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils::ops {

/// Numpy-style multidirectional broadcast; throws InvalidArgument when the
/// shapes are incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b);
/// The same on partly-symbolic shapes: an unknown dim against 1 stays unknown,
/// two different symbols give an anonymous unknown. nullopt if either rank is
/// unknown.
ir::MaybeShape broadcast_shapes(const ir::MaybeShape& a, const ir::MaybeShape& b);

/// Element strides of `input` laid against an `output` of higher or equal
/// rank: 0 where the input is broadcast. Result has output.size() entries.
std::vector<std::int64_t> broadcast_strides(const Shape& input, const Shape& output);

/// Maps a possibly negative axis into [0, rank); throws ModelError naming the
/// node when it is out of range.
std::int64_t normalize_axis(std::int64_t axis, std::int64_t rank, const ir::Node& node);

/// Reads an integer (i32/i64/u8/i8) tensor as int64 values.
std::vector<std::int64_t> read_ints(const HostTensor& tensor);
/// Reads any numeric tensor as doubles.
std::vector<double> read_doubles(const HostTensor& tensor);

/// Calls f(std::type_identity<T>{}) with T the C++ type of `dtype`
/// (Half/BFloat16 for f16/bf16). Throws UnsupportedError for kUndefined.
template <typename F>
decltype(auto) visit_dtype(DType dtype, F&& f) {
  switch (dtype) {
    case DType::kUInt8: return f(std::type_identity<std::uint8_t>{});
    case DType::kInt8: return f(std::type_identity<std::int8_t>{});
    case DType::kInt32: return f(std::type_identity<std::int32_t>{});
    case DType::kInt64: return f(std::type_identity<std::int64_t>{});
    case DType::kFloat16: return f(std::type_identity<Half>{});
    case DType::kBFloat16: return f(std::type_identity<BFloat16>{});
    case DType::kFloat32: return f(std::type_identity<float>{});
    case DType::kFloat64: return f(std::type_identity<double>{});
    case DType::kBool: return f(std::type_identity<bool>{});
    case DType::kUndefined: break;
  }
  throw UnsupportedError("tensor has no dtype");
}

/// For ops computed in f32 for f16/bf16 inputs ("compute type"): f16/bf16 ->
/// f32; other dtypes are returned unchanged.
DType compute_dtype(DType dtype) noexcept;
/// Converts to compute_dtype(tensor.dtype()) (a copy for f16/bf16).
HostTensor to_compute(const HostTensor& tensor);
/// Converts a compute-type result back to `dtype` (no-op when equal).
HostTensor from_compute(HostTensor tensor, DType dtype);

/// Calls f(coords, linear) for every element of `shape` in row-major order.
template <typename F>
void for_each_index(const Shape& shape, F&& f) {
  const std::int64_t total = element_count(shape);
  std::vector<std::int64_t> coords(shape.size(), 0);
  for (std::int64_t linear = 0; linear < total; ++linear) {
    f(static_cast<const std::vector<std::int64_t>&>(coords), linear);
    for (std::size_t d = shape.size(); d-- > 0;) {
      if (++coords[d] < shape[d]) break;
      coords[d] = 0;
    }
  }
}

/// The DType for an ONNX TensorProto.DataType number as attributes carry it
/// (Cast's `to`, EyeLike's `dtype`...): 1 FLOAT, 2 UINT8, 3 INT8, 6 INT32,
/// 7 INT64, 9 BOOL, 10 FLOAT16, 11 DOUBLE, 16 BFLOAT16. kUndefined for types
/// trtutils has no dtype for (string, u16, i16, u32, u64, complex, f8...).
DType dtype_from_onnx_type(std::int64_t onnx_type) noexcept;

/// The fully known shape of input i in a shape rule, or nullopt.
std::optional<Shape> static_input_shape(const InferContext& ctx, std::size_t i);

}  // namespace trtutils::ops
