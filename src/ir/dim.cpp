#include "trtutils/ir/dim.hpp"

#include "trtutils/core/error.hpp"

namespace trtutils::ir {

bool is_static(const MaybeShape& shape) noexcept {
  if (!shape) return false;
  for (const Dim& d : *shape) {
    if (!d.is_static()) return false;
  }
  return true;
}

Shape to_static(const DimList& dims) {
  Shape shape;
  shape.reserve(dims.size());
  for (const Dim& d : dims) {
    if (!d.is_static()) {
      throw ModelError(detail::concat("shape ", to_string(dims), " is not fully known"));
    }
    shape.push_back(d.value);
  }
  return shape;
}

DimList from_static(const Shape& shape) { return DimList(shape.begin(), shape.end()); }

std::string to_string(const MaybeShape& shape) {
  if (!shape) return "<unknown rank>";
  std::string text = "[";
  for (std::size_t i = 0; i < shape->size(); ++i) {
    if (i) text += ", ";
    const Dim& d = (*shape)[i];
    text += d.is_static() ? std::to_string(d.value) : (d.symbol.empty() ? "?" : d.symbol);
  }
  return text + "]";
}

}  // namespace trtutils::ir
