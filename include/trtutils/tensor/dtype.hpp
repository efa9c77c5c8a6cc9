#pragma once
// Element types the library understands, with their sizes and names. Kept free
// of CUDA so that the IR and the ONNX importer can share it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "trtutils/tensor/half.hpp"

namespace trtutils {

enum class DType : std::uint8_t {
  kUndefined,
  kUInt8,
  kInt8,
  kInt32,
  kInt64,
  kFloat16,
  kBFloat16,
  kFloat32,
  kFloat64,
  kBool,
};

/// Bytes per element (0 for kUndefined).
std::size_t dtype_size(DType dtype) noexcept;
/// Short name: "u8", "i8", "i32", "i64", "f16", "bf16", "f32", "f64", "bool".
std::string_view dtype_name(DType dtype) noexcept;
/// Inverse of dtype_name; throws InvalidArgument naming the accepted names.
DType dtype_from_name(std::string_view name);
bool is_floating_point(DType dtype) noexcept;
bool is_integer(DType dtype) noexcept;

template <typename T>
struct DTypeOf;
template <> struct DTypeOf<std::uint8_t> { static constexpr DType value = DType::kUInt8; };
template <> struct DTypeOf<std::int8_t> { static constexpr DType value = DType::kInt8; };
template <> struct DTypeOf<std::int32_t> { static constexpr DType value = DType::kInt32; };
template <> struct DTypeOf<std::int64_t> { static constexpr DType value = DType::kInt64; };
template <> struct DTypeOf<Half> { static constexpr DType value = DType::kFloat16; };
template <> struct DTypeOf<BFloat16> { static constexpr DType value = DType::kBFloat16; };
template <> struct DTypeOf<float> { static constexpr DType value = DType::kFloat32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::kFloat64; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::kBool; };

/// The DType of a C++ element type, e.g. dtype_of<float> == DType::kFloat32.
template <typename T>
inline constexpr DType dtype_of = DTypeOf<T>::value;

}  // namespace trtutils
