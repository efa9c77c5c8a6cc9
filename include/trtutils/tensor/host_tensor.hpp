#pragma once
// Host tensors: an owning, contiguous, 64-byte-aligned HostTensor and a
// non-owning TensorView over someone else's memory. Both are row-major.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "trtutils/core/error.hpp"
#include "trtutils/tensor/dtype.hpp"
#include "trtutils/tensor/shape.hpp"

namespace trtutils {

/// A non-owning view of contiguous host memory with a shape and dtype.
class TensorView {
 public:
  TensorView() = default;
  TensorView(void* data, Shape shape, DType dtype);

  void* data() const noexcept { return data_; }
  const Shape& shape() const noexcept { return shape_; }
  DType dtype() const noexcept { return dtype_; }
  std::int64_t rank() const noexcept { return static_cast<std::int64_t>(shape_.size()); }
  std::int64_t element_count() const noexcept { return elements_; }
  std::size_t byte_size() const noexcept { return static_cast<std::size_t>(elements_) * dtype_size(dtype_); }

  /// Typed access; throws InvalidArgument if T does not match dtype().
  template <typename T>
  std::span<T> values() const {
    TRTUTILS_CHECK(dtype_of<std::remove_const_t<T>> == dtype_, "tensor holds ", dtype_name(dtype_),
                   ", not ", dtype_name(dtype_of<std::remove_const_t<T>>));
    return {static_cast<T*>(data_), static_cast<std::size_t>(elements_)};
  }

 private:
  void* data_ = nullptr;
  Shape shape_;
  DType dtype_ = DType::kUndefined;
  std::int64_t elements_ = 0;
};

/// An owning host tensor. Copying copies the data; moving is cheap.
class HostTensor {
 public:
  HostTensor() = default;
  /// Zero-filled tensor of the given shape and dtype.
  HostTensor(Shape shape, DType dtype);

  /// A tensor holding `values` (their count must match the shape).
  template <typename T>
  static HostTensor from_values(Shape shape, const std::vector<T>& values) {
    HostTensor tensor(std::move(shape), dtype_of<T>);
    TRTUTILS_CHECK(static_cast<std::int64_t>(values.size()) == tensor.element_count(),
                   "from_values: ", values.size(), " values for shape ",
                   shape_to_string(tensor.shape()), " of ", tensor.element_count(), " elements");
    std::copy(values.begin(), values.end(), tensor.values<T>().begin());
    return tensor;
  }
  /// A tensor with a copy of a view's data.
  static HostTensor copy_of(const TensorView& view);

  HostTensor(const HostTensor& other);
  HostTensor& operator=(const HostTensor& other);
  HostTensor(HostTensor&&) noexcept = default;
  HostTensor& operator=(HostTensor&&) noexcept = default;
  ~HostTensor() = default;

  void* data() noexcept { return storage_.get(); }
  const void* data() const noexcept { return storage_.get(); }
  const Shape& shape() const noexcept { return shape_; }
  DType dtype() const noexcept { return dtype_; }
  std::int64_t rank() const noexcept { return static_cast<std::int64_t>(shape_.size()); }
  std::int64_t element_count() const noexcept { return elements_; }
  std::size_t byte_size() const noexcept { return static_cast<std::size_t>(elements_) * dtype_size(dtype_); }
  bool empty() const noexcept { return dtype_ == DType::kUndefined; }

  TensorView view() noexcept { return {data(), shape_, dtype_}; }
  TensorView view() const noexcept { return {const_cast<void*>(data()), shape_, dtype_}; }

  template <typename T>
  std::span<T> values() {
    return view().values<T>();
  }
  template <typename T>
  std::span<const T> values() const {
    return view().values<const T>();
  }

  /// Same data, new shape with the same element count.
  HostTensor reshaped(Shape shape) const;
  /// Element-wise conversion. Floating -> integer truncates toward zero;
  /// anything -> bool is (x != 0); f16/bf16 go through f32.
  HostTensor cast(DType dtype) const;

 private:
  struct FreeDeleter {
    void operator()(std::byte* p) const noexcept;
  };
  std::unique_ptr<std::byte[], FreeDeleter> storage_;
  Shape shape_;
  DType dtype_ = DType::kUndefined;
  std::int64_t elements_ = 0;
};

/// Reads element `index` of a tensor of any numeric dtype as double.
double element_as_double(const TensorView& view, std::int64_t index);
/// Writes `value` to element `index`, converting to the tensor's dtype.
void set_element_from_double(const TensorView& view, std::int64_t index, double value);

}  // namespace trtutils
