#include "trtutils/runtime/io_check.hpp"

#include "trtutils/core/error.hpp"

namespace trtutils::runtime {

namespace {

std::string names_of(std::span<const plan::TensorSpec> specs) {
  std::string names;
  for (const plan::TensorSpec& spec : specs) {
    if (!names.empty()) names += ", ";
    names += spec.name;
  }
  return names;
}

std::string dims_to_string(const std::vector<std::int64_t>& dims) {
  std::string text = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) text += ", ";
    text += dims[i] == plan::kDynamicDim ? std::string("?") : std::to_string(dims[i]);
  }
  return text + "]";
}

bool extent_accepted(const plan::TensorSpec& spec, std::size_t axis, std::int64_t extent) {
  if (spec.dims[axis] != plan::kDynamicDim) return extent == spec.dims[axis];
  if (!spec.profile) return extent >= 0;
  return extent >= spec.profile->min[axis] && extent <= spec.profile->max[axis];
}

}  // namespace

void check_input_count(std::span<const plan::TensorSpec> inputs, std::size_t count) {
  TRTUTILS_CHECK(count == inputs.size(), "the engine takes ", inputs.size(),
                 inputs.size() == 1 ? " input (" : " inputs (", names_of(inputs), "), got ", count);
}

void check_input(const plan::TensorSpec& spec, const Shape& shape, DType dtype) {
  bool shape_ok = shape.size() == spec.dims.size();
  for (std::size_t axis = 0; shape_ok && axis < shape.size(); ++axis) {
    shape_ok = extent_accepted(spec, axis, shape[axis]);
  }
  TRTUTILS_CHECK(shape_ok, "input '", spec.name, "': expected shape ", dims_to_string(spec.dims),
                 ", got ", dims_to_string(shape));
  TRTUTILS_CHECK(dtype == spec.dtype, "input '", spec.name, "': expected dtype ",
                 dtype_name(spec.dtype), ", got ", dtype_name(dtype),
                 "; cast it first, e.g. tensor.cast(", dtype_enumerator(spec.dtype), ")");
}

std::int64_t infer_batch(std::span<const plan::TensorSpec> inputs, std::span<const Shape> shapes) {
  std::int64_t batch = 0;
  const plan::TensorSpec* first = nullptr;
  for (std::size_t i = 0; i < inputs.size() && i < shapes.size(); ++i) {
    const plan::TensorSpec& spec = inputs[i];
    if (spec.dims.empty() || spec.dims[0] != plan::kDynamicDim) continue;
    const Shape& shape = shapes[i];
    TRTUTILS_CHECK(!shape.empty(), "input '", spec.name, "': expected shape ",
                   dims_to_string(spec.dims), " (? = the batch), got a scalar");
    if (first == nullptr) {
      first = &spec;
      batch = shape[0];
      if (spec.profile && (batch < spec.profile->min[0] || batch > spec.profile->max[0])) {
        throw InvalidArgument(detail::concat(
            "input '", spec.name, "' ", dims_to_string(shape), ": batch ", batch,
            " is outside the engine's range ", spec.profile->min[0], "..", spec.profile->max[0],
            "; split the batch or rebuild with a wider profile"));
      }
      continue;
    }
    TRTUTILS_CHECK(shape[0] == batch, "input '", spec.name, "' ", dims_to_string(shape),
                   " has batch ", shape[0], " but input '", first->name, "' has batch ", batch,
                   "; every batched input takes the same batch");
  }
  return batch;
}

std::string dtype_enumerator(DType dtype) {
  switch (dtype) {
    case DType::kUndefined:
      return "DType::kUndefined";
    case DType::kUInt8:
      return "DType::kUInt8";
    case DType::kInt8:
      return "DType::kInt8";
    case DType::kInt32:
      return "DType::kInt32";
    case DType::kInt64:
      return "DType::kInt64";
    case DType::kFloat16:
      return "DType::kFloat16";
    case DType::kBFloat16:
      return "DType::kBFloat16";
    case DType::kFloat32:
      return "DType::kFloat32";
    case DType::kFloat64:
      return "DType::kFloat64";
    case DType::kBool:
      return "DType::kBool";
  }
  return "DType(?)";
}

}  // namespace trtutils::runtime
