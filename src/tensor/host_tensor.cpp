#include "trtutils/tensor/host_tensor.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

namespace trtutils {

namespace {
constexpr std::size_t kAlignment = 64;

std::byte* allocate_aligned(std::size_t bytes) {
  // aligned_alloc needs a size that is a multiple of the alignment; allocate
  // at least one block so empty tensors still own a valid pointer.
  const std::size_t rounded = ((bytes + kAlignment - 1) / kAlignment) * kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  if (p == nullptr) {
    throw Error(detail::concat("host allocation of ", bytes, " bytes failed"));
  }
  std::memset(p, 0, rounded == 0 ? kAlignment : rounded);
  return static_cast<std::byte*>(p);
}

template <typename T>
double load(const void* data, std::int64_t i) {
  return static_cast<double>(static_cast<const T*>(data)[i]);
}
template <typename T>
double load_16(const void* data, std::int64_t i) {
  return static_cast<double>(static_cast<float>(static_cast<const T*>(data)[i]));
}
}  // namespace

TensorView::TensorView(void* data, Shape shape, DType dtype)
    : data_(data), shape_(std::move(shape)), dtype_(dtype), elements_(trtutils::element_count(shape_)) {}

void HostTensor::FreeDeleter::operator()(std::byte* p) const noexcept { std::free(p); }

HostTensor::HostTensor(Shape shape, DType dtype)
    : shape_(std::move(shape)), dtype_(dtype), elements_(trtutils::element_count(shape_)) {
  TRTUTILS_CHECK(dtype != DType::kUndefined, "HostTensor needs a defined dtype");
  storage_.reset(allocate_aligned(byte_size()));
}

HostTensor HostTensor::copy_of(const TensorView& view) {
  HostTensor tensor(view.shape(), view.dtype());
  if (view.byte_size() != 0) std::memcpy(tensor.data(), view.data(), view.byte_size());
  return tensor;
}

HostTensor::HostTensor(const HostTensor& other)
    : shape_(other.shape_), dtype_(other.dtype_), elements_(other.elements_) {
  if (other.storage_) {
    storage_.reset(allocate_aligned(byte_size()));
    if (byte_size() != 0) std::memcpy(storage_.get(), other.storage_.get(), byte_size());
  }
}

HostTensor& HostTensor::operator=(const HostTensor& other) {
  if (this != &other) *this = HostTensor(other);
  return *this;
}

HostTensor HostTensor::reshaped(Shape shape) const {
  TRTUTILS_CHECK(trtutils::element_count(shape) == elements_, "cannot reshape ",
                 shape_to_string(shape_), " to ", shape_to_string(shape),
                 ": element counts differ");
  HostTensor copy(*this);
  copy.shape_ = std::move(shape);
  return copy;
}

HostTensor HostTensor::cast(DType dtype) const {
  HostTensor out(shape_, dtype);
  if (dtype == dtype_) {
    if (byte_size() != 0) std::memcpy(out.data(), data(), byte_size());
    return out;
  }
  const TensorView source = view();
  const TensorView target = out.view();
  for (std::int64_t i = 0; i < elements_; ++i) {
    set_element_from_double(target, i, element_as_double(source, i));
  }
  return out;
}

double element_as_double(const TensorView& view, std::int64_t index) {
  const void* d = view.data();
  switch (view.dtype()) {
    case DType::kUInt8: return load<std::uint8_t>(d, index);
    case DType::kInt8: return load<std::int8_t>(d, index);
    case DType::kInt32: return load<std::int32_t>(d, index);
    case DType::kInt64: return load<std::int64_t>(d, index);
    case DType::kFloat16: return load_16<Half>(d, index);
    case DType::kBFloat16: return load_16<BFloat16>(d, index);
    case DType::kFloat32: return load<float>(d, index);
    case DType::kFloat64: return load<double>(d, index);
    case DType::kBool: return load<bool>(d, index);
    case DType::kUndefined: break;
  }
  throw InvalidArgument("element_as_double: tensor has no dtype");
}

void set_element_from_double(const TensorView& view, std::int64_t index, double value) {
  void* d = view.data();
  switch (view.dtype()) {
    case DType::kUInt8: static_cast<std::uint8_t*>(d)[index] = static_cast<std::uint8_t>(static_cast<std::int64_t>(value)); return;
    case DType::kInt8: static_cast<std::int8_t*>(d)[index] = static_cast<std::int8_t>(static_cast<std::int64_t>(value)); return;
    case DType::kInt32: static_cast<std::int32_t*>(d)[index] = static_cast<std::int32_t>(value); return;
    case DType::kInt64: static_cast<std::int64_t*>(d)[index] = static_cast<std::int64_t>(value); return;
    case DType::kFloat16: static_cast<Half*>(d)[index] = Half(static_cast<float>(value)); return;
    case DType::kBFloat16: static_cast<BFloat16*>(d)[index] = BFloat16(static_cast<float>(value)); return;
    case DType::kFloat32: static_cast<float*>(d)[index] = static_cast<float>(value); return;
    case DType::kFloat64: static_cast<double*>(d)[index] = value; return;
    case DType::kBool: static_cast<bool*>(d)[index] = value != 0.0; return;
    case DType::kUndefined: break;
  }
  throw InvalidArgument("set_element_from_double: tensor has no dtype");
}

}  // namespace trtutils
