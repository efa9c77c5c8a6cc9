#include "trtutils/tensor/shape.hpp"

#include <limits>

#include "trtutils/core/error.hpp"

namespace trtutils {

std::int64_t element_count(const Shape& shape) {
  std::int64_t count = 1;
  for (const std::int64_t dim : shape) {
    TRTUTILS_CHECK(dim >= 0, "negative dimension in shape ", shape_to_string(shape));
    if (dim != 0) {
      TRTUTILS_CHECK(count <= std::numeric_limits<std::int64_t>::max() / dim,
                     "element count of shape ", shape_to_string(shape), " overflows int64");
    }
    count *= dim;
  }
  return count;
}

std::vector<std::int64_t> contiguous_strides(const Shape& shape) {
  std::vector<std::int64_t> strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i > 1; --i) {
    strides[i - 2] = strides[i - 1] * shape[i - 1];
  }
  return strides;
}

std::string shape_to_string(const Shape& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

}  // namespace trtutils
