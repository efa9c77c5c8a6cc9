#pragma once
// Dimensions of IR shapes: a known size, or a named symbol ("batch") or an
// anonymous unknown. Shapes of graph values may be partly symbolic; shapes of
// host tensors (trtutils::Shape) are always concrete.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "trtutils/tensor/shape.hpp"

namespace trtutils::ir {

struct Dim {
  std::int64_t value = -1;  // >= 0 when known
  std::string symbol;       // set for named unknown dims (ONNX dim_param)

  Dim() = default;
  Dim(std::int64_t known) : value(known) {}  // NOLINT: implicit from a size on purpose
  static Dim symbolic(std::string name) {
    Dim d;
    d.symbol = std::move(name);
    return d;
  }
  bool is_static() const noexcept { return value >= 0; }
  friend bool operator==(const Dim&, const Dim&) = default;
};

using DimList = std::vector<Dim>;

/// A value's shape: nullopt when even the rank is unknown.
using MaybeShape = std::optional<DimList>;

bool is_static(const MaybeShape& shape) noexcept;
/// The concrete shape; throws ModelError if any dimension is unknown.
Shape to_static(const DimList& dims);
DimList from_static(const Shape& shape);
/// "[batch, 3, 640, 640]", "[?, 3]", "<unknown rank>".
std::string to_string(const MaybeShape& shape);

}  // namespace trtutils::ir
