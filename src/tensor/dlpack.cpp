#include "trtutils/tensor/dlpack.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "trtutils/core/error.hpp"

namespace trtutils {

namespace {

std::string describe(DLDataType dtype) {
  return detail::concat("{code ", static_cast<int>(dtype.code), ", bits ",
                        static_cast<int>(dtype.bits), ", lanes ", dtype.lanes, "}");
}

std::string describe(DLDevice device) {
  switch (device.device_type) {
    case kDLCPU: return "cpu";
    case kDLCUDA: return detail::concat("cuda:", device.device_id);
    case kDLCUDAHost: return "cuda_host (page-locked host memory)";
    default: return detail::concat("device type ", static_cast<int>(device.device_type));
  }
}

bool is_supported_device(DLDevice device) {
  return device.device_type == kDLCPU || device.device_type == kDLCUDA ||
         device.device_type == kDLCUDAHost;
}

// What a DLManagedTensor we produce points at. `owned` keeps a HostTensor alive;
// `on_release` tells a borrowed buffer's owner that the consumer is done.
struct ExportContext {
  HostTensor owned;
  std::function<void()> on_release;
  Shape shape;
  std::vector<std::int64_t> strides;
  DLManagedTensor managed{};
};

void delete_export(DLManagedTensor* self) noexcept {
  auto* context = static_cast<ExportContext*>(self->manager_ctx);
  if (context->on_release) context->on_release();
  delete context;
}

DLManagedTensor* export_tensor(std::unique_ptr<ExportContext> context, void* data, DType dtype,
                               DLDevice device) {
  context->strides = contiguous_strides(context->shape);
  DLTensor& tensor = context->managed.dl_tensor;
  tensor.data = data;
  tensor.device = device;
  tensor.ndim = static_cast<int>(context->shape.size());
  tensor.dtype = to_dlpack_dtype(dtype);
  tensor.shape = context->shape.data();
  tensor.strides = context->strides.data();
  tensor.byte_offset = 0;
  context->managed.manager_ctx = context.get();
  context->managed.deleter = &delete_export;
  return &context.release()->managed;
}

// Row-major in the sense PyTorch's is_contiguous uses: extent-1 dimensions may
// carry any stride, and a tensor without elements is contiguous.
bool is_row_major(const Shape& shape, const std::int64_t* strides) {
  if (strides == nullptr) return true;
  std::int64_t expected = 1;
  for (std::size_t k = shape.size(); k > 0; --k) {
    const std::size_t axis = k - 1;
    if (shape[axis] == 0) return true;
    if (shape[axis] == 1) continue;
    if (strides[axis] != expected) return false;
    expected *= shape[axis];
  }
  return true;
}

std::string strides_to_string(const std::int64_t* strides, std::size_t rank) {
  return shape_to_string(Shape(strides, strides + rank));
}

}  // namespace

DLDataType to_dlpack_dtype(DType dtype) {
  const auto make = [](std::uint8_t code, std::uint8_t bits) { return DLDataType{code, bits, 1}; };
  switch (dtype) {
    case DType::kUInt8: return make(kDLUInt, 8);
    case DType::kInt8: return make(kDLInt, 8);
    case DType::kInt32: return make(kDLInt, 32);
    case DType::kInt64: return make(kDLInt, 64);
    case DType::kFloat16: return make(kDLFloat, 16);
    case DType::kBFloat16: return make(kDLBfloat, 16);
    case DType::kFloat32: return make(kDLFloat, 32);
    case DType::kFloat64: return make(kDLFloat, 64);
    case DType::kBool: return make(kDLUInt, 8);  // DLPack 0.6 has no bool; see dlpack.hpp
    case DType::kUndefined: break;
  }
  throw InvalidArgument("to_dlpack_dtype: the dtype is undefined");
}

DType from_dlpack_dtype(DLDataType dtype) {
  TRTUTILS_CHECK(dtype.lanes == 1, "DLPack data type ", describe(dtype),
                 " is a vector type; trtutils only takes lanes == 1");
  const int bits = dtype.bits;
  switch (dtype.code) {
    case kDLFloat:
      if (bits == 16) return DType::kFloat16;
      if (bits == 32) return DType::kFloat32;
      if (bits == 64) return DType::kFloat64;
      break;
    case kDLBfloat:
      if (bits == 16) return DType::kBFloat16;
      break;
    case kDLInt:
      if (bits == 8) return DType::kInt8;
      if (bits == 32) return DType::kInt32;
      if (bits == 64) return DType::kInt64;
      break;
    case kDLUInt:
      if (bits == 8) return DType::kUInt8;
      break;
    case kDLPackBoolTypeCode:
      if (bits == 8) return DType::kBool;
      break;
    default: break;
  }
  TRTUTILS_CHECK(false, "DLPack data type ", describe(dtype),
                 " has no trtutils dtype; supported: float16/32/64, bfloat16, int8/32/64, uint8, "
                 "bool (8-bit). Convert it on the producer side first");
  return DType::kUndefined;  // unreachable
}

DLManagedTensor* to_dlpack(HostTensor&& tensor) {
  TRTUTILS_CHECK(!tensor.empty(), "to_dlpack: the tensor is empty (default or moved-from)");
  auto context = std::make_unique<ExportContext>();
  context->shape = tensor.shape();
  const DType dtype = tensor.dtype();
  context->owned = std::move(tensor);
  void* data = context->owned.data();
  return export_tensor(std::move(context), data, dtype, DLDevice{kDLCPU, 0});
}

DLManagedTensor* to_dlpack_borrowed(void* data, Shape shape, DType dtype, DLDevice device,
                                    std::function<void()> on_release) {
  TRTUTILS_CHECK(dtype != DType::kUndefined, "to_dlpack_borrowed: the dtype is undefined");
  TRTUTILS_CHECK(is_supported_device(device), "to_dlpack_borrowed: ", describe(device),
                 " is not supported; use kDLCPU, kDLCUDA or kDLCUDAHost");
  TRTUTILS_CHECK(data != nullptr || element_count(shape) == 0,
                 "to_dlpack_borrowed: null data for shape ", shape_to_string(shape));
  auto context = std::make_unique<ExportContext>();
  context->shape = std::move(shape);
  context->on_release = std::move(on_release);
  return export_tensor(std::move(context), data, dtype, device);
}

// --- DLPackTensor ---

DLPackTensor::DLPackTensor(DLManagedTensor* managed) : managed_(managed) {
  TRTUTILS_CHECK(managed != nullptr, "from_dlpack: null DLManagedTensor");
  // A throwing constructor runs no destructor: release the producer's tensor
  // here so that a refused tensor is not leaked.
  try {
    validate();
  } catch (...) {
    reset();
    throw;
  }
}

void DLPackTensor::validate() {
  const DLTensor& tensor = managed_->dl_tensor;
  TRTUTILS_CHECK(tensor.ndim >= 0, "from_dlpack: negative ndim ", tensor.ndim);
  TRTUTILS_CHECK(tensor.ndim == 0 || tensor.shape != nullptr, "from_dlpack: null shape for ndim ",
                 tensor.ndim);
  shape_.assign(tensor.shape, tensor.shape + tensor.ndim);
  elements_ = trtutils::element_count(shape_);
  dtype_ = from_dlpack_dtype(tensor.dtype);
  device_ = tensor.device;
  TRTUTILS_CHECK(is_supported_device(device_), "from_dlpack: tensor on ", describe(device_),
                 " is not supported; trtutils takes cpu, cuda and cuda_host tensors");
  TRTUTILS_CHECK(is_row_major(shape_, tensor.strides), "from_dlpack: tensor of shape ",
                 shape_to_string(shape_), " has strides ",
                 strides_to_string(tensor.strides, shape_.size()), " (row-major would be ",
                 shape_to_string(contiguous_strides(shape_)),
                 "); trtutils needs contiguous memory: pass tensor.contiguous() instead");
  TRTUTILS_CHECK(tensor.data != nullptr || elements_ == 0, "from_dlpack: null data for shape ",
                 shape_to_string(shape_));
  if (tensor.data != nullptr) {
    data_ = static_cast<std::byte*>(tensor.data) + tensor.byte_offset;
  }
}

DLPackTensor::DLPackTensor(DLPackTensor&& other) noexcept
    : managed_(std::exchange(other.managed_, nullptr)),
      data_(std::exchange(other.data_, nullptr)),
      shape_(std::move(other.shape_)),
      dtype_(std::exchange(other.dtype_, DType::kUndefined)),
      device_(other.device_),
      elements_(std::exchange(other.elements_, 0)) {
  other.shape_.clear();
}

DLPackTensor& DLPackTensor::operator=(DLPackTensor&& other) noexcept {
  if (this != &other) {
    reset();
    managed_ = std::exchange(other.managed_, nullptr);
    data_ = std::exchange(other.data_, nullptr);
    shape_ = std::move(other.shape_);
    other.shape_.clear();
    dtype_ = std::exchange(other.dtype_, DType::kUndefined);
    device_ = other.device_;
    elements_ = std::exchange(other.elements_, 0);
  }
  return *this;
}

DLPackTensor::~DLPackTensor() { reset(); }

void DLPackTensor::reset() noexcept {
  DLManagedTensor* managed = std::exchange(managed_, nullptr);
  if (managed != nullptr && managed->deleter != nullptr) managed->deleter(managed);
  data_ = nullptr;
  shape_.clear();
  dtype_ = DType::kUndefined;
  elements_ = 0;
}

bool DLPackTensor::is_host_accessible() const noexcept {
  return device_.device_type == kDLCPU || device_.device_type == kDLCUDAHost;
}

TensorView DLPackTensor::view() const {
  TRTUTILS_CHECK(managed_ != nullptr, "DLPackTensor::view: the tensor is empty");
  TRTUTILS_CHECK(is_host_accessible(), "DLPackTensor::view: the data lives on ", describe(device_),
                 " and cannot be read from the host; copy it to host memory first (e.g. "
                 "tensor.cpu() on the producer side)");
  return TensorView(data_, shape_, dtype_);
}

DLManagedTensor* DLPackTensor::release() noexcept {
  DLManagedTensor* managed = std::exchange(managed_, nullptr);
  data_ = nullptr;
  shape_.clear();
  dtype_ = DType::kUndefined;
  elements_ = 0;
  return managed;
}

DLPackTensor from_dlpack(DLManagedTensor* managed) { return DLPackTensor(managed); }

}  // namespace trtutils
