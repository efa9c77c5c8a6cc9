#include "trtutils/tensor/dtype.hpp"

#include <array>
#include <string>

#include "trtutils/core/error.hpp"

namespace trtutils {

namespace {
struct DTypeInfo {
  DType dtype;
  std::string_view name;
  std::size_t size;
};
constexpr std::array<DTypeInfo, 10> kDTypes = {{
    {DType::kUndefined, "undefined", 0},
    {DType::kUInt8, "u8", 1},
    {DType::kInt8, "i8", 1},
    {DType::kInt32, "i32", 4},
    {DType::kInt64, "i64", 8},
    {DType::kFloat16, "f16", 2},
    {DType::kBFloat16, "bf16", 2},
    {DType::kFloat32, "f32", 4},
    {DType::kFloat64, "f64", 8},
    {DType::kBool, "bool", 1},
}};
const DTypeInfo& info(DType dtype) noexcept { return kDTypes[static_cast<std::size_t>(dtype)]; }
}  // namespace

std::size_t dtype_size(DType dtype) noexcept { return info(dtype).size; }
std::string_view dtype_name(DType dtype) noexcept { return info(dtype).name; }

DType dtype_from_name(std::string_view name) {
  for (const auto& entry : kDTypes) {
    if (entry.name == name && entry.dtype != DType::kUndefined) return entry.dtype;
  }
  throw InvalidArgument(detail::concat("unknown dtype '", name,
                                       "'; expected one of u8, i8, i32, i64, f16, bf16, f32, "
                                       "f64, bool"));
}

bool is_floating_point(DType dtype) noexcept {
  return dtype == DType::kFloat16 || dtype == DType::kBFloat16 || dtype == DType::kFloat32 ||
         dtype == DType::kFloat64;
}

bool is_integer(DType dtype) noexcept {
  return dtype == DType::kUInt8 || dtype == DType::kInt8 || dtype == DType::kInt32 ||
         dtype == DType::kInt64;
}

}  // namespace trtutils
