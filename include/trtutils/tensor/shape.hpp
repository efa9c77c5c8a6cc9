#pragma once
// Concrete tensor shapes (all dimensions known) and row-major strides.
#include <cstdint>
#include <string>
#include <vector>

namespace trtutils {

using Shape = std::vector<std::int64_t>;

/// Product of the dimensions; 1 for a scalar (empty shape). Throws
/// InvalidArgument on a negative dimension or overflow.
std::int64_t element_count(const Shape& shape);
/// Row-major (C-contiguous) strides in elements.
std::vector<std::int64_t> contiguous_strides(const Shape& shape);
/// "[1, 3, 640, 640]".
std::string shape_to_string(const Shape& shape);

}  // namespace trtutils
