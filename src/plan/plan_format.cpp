#include "plan/plan_format.hpp"

namespace trtutils::plan::format {

std::uint8_t dtype_code(DType dtype) noexcept {
  switch (dtype) {
    case DType::kUndefined:
      return 0;
    case DType::kUInt8:
      return 1;
    case DType::kInt8:
      return 2;
    case DType::kInt32:
      return 3;
    case DType::kInt64:
      return 4;
    case DType::kFloat16:
      return 5;
    case DType::kBFloat16:
      return 6;
    case DType::kFloat32:
      return 7;
    case DType::kFloat64:
      return 8;
    case DType::kBool:
      return 9;
  }
  return 0;
}

DType dtype_from_code(std::uint8_t code) noexcept {
  switch (code) {
    case 1:
      return DType::kUInt8;
    case 2:
      return DType::kInt8;
    case 3:
      return DType::kInt32;
    case 4:
      return DType::kInt64;
    case 5:
      return DType::kFloat16;
    case 6:
      return DType::kBFloat16;
    case 7:
      return DType::kFloat32;
    case 8:
      return DType::kFloat64;
    case 9:
      return DType::kBool;
    default:
      return DType::kUndefined;
  }
}

}  // namespace trtutils::plan::format
