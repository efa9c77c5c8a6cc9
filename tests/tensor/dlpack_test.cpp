#include "trtutils/tensor/dlpack.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace trtutils {
namespace {

// A stand-in for another framework's producer: owns shape/strides arrays and
// counts how often its deleter runs.
struct FakeProducer {
  std::vector<std::int64_t> shape;
  std::optional<std::vector<std::int64_t>> strides;
  int* deletes = nullptr;
  DLManagedTensor managed{};
};

DLManagedTensor* produce(void* data, std::vector<std::int64_t> shape, DLDataType dtype,
                         int* deletes,
                         std::optional<std::vector<std::int64_t>> strides = std::nullopt,
                         DLDevice device = {kDLCPU, 0}, std::uint64_t byte_offset = 0) {
  auto* producer = new FakeProducer{std::move(shape), std::move(strides), deletes, {}};
  DLTensor& t = producer->managed.dl_tensor;
  t.data = data;
  t.device = device;
  t.ndim = static_cast<int>(producer->shape.size());
  t.dtype = dtype;
  t.shape = producer->shape.data();
  t.strides = producer->strides ? producer->strides->data() : nullptr;
  t.byte_offset = byte_offset;
  producer->managed.manager_ctx = producer;
  producer->managed.deleter = [](DLManagedTensor* self) {
    auto* p = static_cast<FakeProducer*>(self->manager_ctx);
    ++*p->deletes;
    delete p;
  };
  return &producer->managed;
}

constexpr DLDataType kF32{kDLFloat, 32, 1};

// Counts calls to an exported tensor's deleter while still running it.
int g_wrapped_deletes = 0;
void (*g_original_deleter)(DLManagedTensor*) = nullptr;
void count_deletes(DLManagedTensor* self) {
  ++g_wrapped_deletes;
  g_original_deleter(self);
}

TEST(DLPack, ExportThenImportSharesMemoryAndDeletesOnce) {
  HostTensor tensor = HostTensor::from_values<float>({2, 3}, {0, 1, 2, 3, 4, 5});
  void* const storage = tensor.data();
  DLManagedTensor* managed = to_dlpack(std::move(tensor));
  EXPECT_EQ(managed->dl_tensor.data, storage);  // zero copy
  g_wrapped_deletes = 0;
  g_original_deleter = managed->deleter;
  managed->deleter = &count_deletes;
  {
    const DLPackTensor imported = from_dlpack(managed);
    EXPECT_EQ(imported.data(), storage);
    EXPECT_EQ(imported.shape(), (Shape{2, 3}));
    EXPECT_EQ(imported.dtype(), DType::kFloat32);
    EXPECT_EQ(imported.view().values<float>()[4], 4.0f);
    EXPECT_EQ(g_wrapped_deletes, 0);
  }
  EXPECT_EQ(g_wrapped_deletes, 1);
}

TEST(DLPack, ExportDescribesTheTensor) {
  DLManagedTensor* managed = to_dlpack(HostTensor({2, 3, 4}, DType::kInt64));
  const DLTensor& t = managed->dl_tensor;
  EXPECT_EQ(t.ndim, 3);
  EXPECT_EQ(std::vector<std::int64_t>(t.shape, t.shape + 3), (std::vector<std::int64_t>{2, 3, 4}));
  ASSERT_NE(t.strides, nullptr);
  EXPECT_EQ(std::vector<std::int64_t>(t.strides, t.strides + 3),
            (std::vector<std::int64_t>{12, 4, 1}));
  EXPECT_EQ(t.dtype.code, kDLInt);
  EXPECT_EQ(t.dtype.bits, 64);
  EXPECT_EQ(t.dtype.lanes, 1);
  EXPECT_EQ(t.device.device_type, kDLCPU);
  EXPECT_EQ(t.device.device_id, 0);
  EXPECT_EQ(t.byte_offset, 0u);
  managed->deleter(managed);
}

TEST(DLPack, ExportsScalars) {
  DLPackTensor imported = from_dlpack(to_dlpack(HostTensor::from_values<double>({}, {2.5})));
  EXPECT_TRUE(imported.shape().empty());
  EXPECT_EQ(imported.element_count(), 1);
  EXPECT_EQ(imported.view().values<double>()[0], 2.5);
}

TEST(DLPack, RefusesToExportAnEmptyTensor) {
  EXPECT_THROW(to_dlpack(HostTensor()), InvalidArgument);
}

TEST(DLPack, BorrowedExportCallsOnReleaseOnceWhenTheConsumerIsDone) {
  std::vector<std::int32_t> buffer{1, 2, 3, 4};
  int releases = 0;
  DLManagedTensor* managed =
      to_dlpack_borrowed(buffer.data(), {2, 2}, DType::kInt32, {kDLCPU, 0}, [&] { ++releases; });
  EXPECT_EQ(managed->dl_tensor.data, buffer.data());
  {
    DLPackTensor first = from_dlpack(managed);
    DLPackTensor second = std::move(first);  // moving does not release
    EXPECT_TRUE(first.empty());
    EXPECT_EQ(second.view().values<std::int32_t>()[3], 4);
    EXPECT_EQ(releases, 0);
  }
  EXPECT_EQ(releases, 1);
}

TEST(DLPack, BorrowedExportKeepsTheDevice) {
  int releases = 0;
  // A made-up device address: it is only carried, never dereferenced.
  void* const device_pointer = reinterpret_cast<void*>(std::uintptr_t{0x7f0000001000});
  DLManagedTensor* managed =
      to_dlpack_borrowed(device_pointer, {8}, DType::kFloat16, {kDLCUDA, 1}, [&] { ++releases; });
  DLPackTensor imported = from_dlpack(managed);
  EXPECT_EQ(imported.device().device_type, kDLCUDA);
  EXPECT_EQ(imported.device().device_id, 1);
  EXPECT_EQ(imported.data(), device_pointer);
  EXPECT_FALSE(imported.is_host_accessible());
  imported = DLPackTensor();
  EXPECT_EQ(releases, 1);

  EXPECT_THROW(to_dlpack_borrowed(device_pointer, {8}, DType::kFloat16, {kDLOpenCL, 0}, {}),
               InvalidArgument);
  EXPECT_THROW(to_dlpack_borrowed(nullptr, {8}, DType::kFloat16, {kDLCPU, 0}, {}), InvalidArgument);
}

TEST(DLPack, ReleaseHandsOwnershipBack) {
  int deletes = 0;
  float value = 1.0f;
  DLPackTensor imported = from_dlpack(produce(&value, {1}, kF32, &deletes));
  DLManagedTensor* managed = imported.release();
  EXPECT_TRUE(imported.empty());
  { const DLPackTensor gone = std::move(imported); }
  EXPECT_EQ(deletes, 0);
  managed->deleter(managed);
  EXPECT_EQ(deletes, 1);
}

TEST(DLPack, AcceptsNullAndRowMajorStrides) {
  std::vector<float> data(6);
  for (const auto& strides : {std::optional<std::vector<std::int64_t>>{},
                              std::optional<std::vector<std::int64_t>>{{3, 1}}}) {
    int deletes = 0;
    { const DLPackTensor t = from_dlpack(produce(data.data(), {2, 3}, kF32, &deletes, strides)); }
    EXPECT_EQ(deletes, 1);
  }
  // Extent-1 axes may carry any stride (PyTorch gives e.g. [1, 3] for a 1x3 view).
  int deletes = 0;
  EXPECT_NO_THROW(from_dlpack(produce(data.data(), {1, 3}, kF32, &deletes, {{99, 1}})));
  EXPECT_EQ(deletes, 1);
}

TEST(DLPack, RefusesNonContiguousStridesAndStillDeletes) {
  std::vector<float> data(6);
  int deletes = 0;
  try {
    // Shape [2, 3] stored column-major: strides [1, 2].
    from_dlpack(produce(data.data(), {2, 3}, kF32, &deletes, {{1, 2}}));
    ADD_FAILURE() << "non-contiguous tensor accepted";
  } catch (const InvalidArgument& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("[1, 2]"), std::string::npos) << message;
    EXPECT_NE(message.find("contiguous()"), std::string::npos) << message;
  }
  EXPECT_EQ(deletes, 1);
  // A row stride that skips elements (a slice) is refused too.
  EXPECT_THROW(from_dlpack(produce(data.data(), {2, 2}, kF32, &deletes, {{3, 1}})),
               InvalidArgument);
  EXPECT_EQ(deletes, 2);
}

TEST(DLPack, HonoursByteOffset) {
  std::vector<float> buffer{0, 10, 20, 30, 40, 50, 60, 70};
  int deletes = 0;
  const DLPackTensor t = from_dlpack(
      produce(buffer.data(), {3}, kF32, &deletes, std::nullopt, {kDLCPU, 0}, 4 * sizeof(float)));
  EXPECT_EQ(t.data(), buffer.data() + 4);
  const auto values = t.view().values<float>();
  EXPECT_EQ(std::vector<float>(values.begin(), values.end()), (std::vector<float>{40, 50, 60}));
}

TEST(DLPack, ViewIsRefusedForDeviceMemory) {
  int deletes = 0;
  void* const device_pointer = reinterpret_cast<void*>(std::uintptr_t{0x7f0000002000});
  const DLPackTensor cuda =
      from_dlpack(produce(device_pointer, {4}, kF32, &deletes, std::nullopt, {kDLCUDA, 0}));
  try {
    (void)cuda.view();
    ADD_FAILURE() << "view() of device memory allowed";
  } catch (const InvalidArgument& error) {
    EXPECT_NE(std::string(error.what()).find("cuda:0"), std::string::npos) << error.what();
  }
  std::vector<float> pinned(4, 1.0f);  // stands in for cudaHostAlloc'd memory
  const DLPackTensor host =
      from_dlpack(produce(pinned.data(), {4}, kF32, &deletes, std::nullopt, {kDLCUDAHost, 0}));
  EXPECT_TRUE(host.is_host_accessible());
  EXPECT_EQ(host.view().values<float>()[3], 1.0f);
}

TEST(DLPack, RefusesUnsupportedDevices) {
  int deletes = 0;
  float value = 0;
  EXPECT_THROW(from_dlpack(produce(&value, {1}, kF32, &deletes, std::nullopt, {kDLROCM, 0})),
               InvalidArgument);
  EXPECT_EQ(deletes, 1);
}

TEST(DLPack, RefusesNullTensorAndNullData) {
  EXPECT_THROW(from_dlpack(nullptr), InvalidArgument);
  int deletes = 0;
  EXPECT_THROW(from_dlpack(produce(nullptr, {3}, kF32, &deletes)), InvalidArgument);
  EXPECT_EQ(deletes, 1);
  // No elements: a null pointer is fine.
  EXPECT_NO_THROW(from_dlpack(produce(nullptr, {0, 3}, kF32, &deletes)));
  EXPECT_EQ(deletes, 2);
}

TEST(DLPack, MapsDTypesBothWays) {
  struct Case {
    DType dtype;
    std::uint8_t code;
    std::uint8_t bits;
  };
  for (const Case& c : {Case{DType::kFloat16, kDLFloat, 16}, Case{DType::kFloat32, kDLFloat, 32},
                        Case{DType::kFloat64, kDLFloat, 64}, Case{DType::kBFloat16, kDLBfloat, 16},
                        Case{DType::kInt8, kDLInt, 8}, Case{DType::kInt32, kDLInt, 32},
                        Case{DType::kInt64, kDLInt, 64}, Case{DType::kUInt8, kDLUInt, 8}}) {
    SCOPED_TRACE(std::string(dtype_name(c.dtype)));
    const DLDataType exported = to_dlpack_dtype(c.dtype);
    EXPECT_EQ(exported.code, c.code);
    EXPECT_EQ(exported.bits, c.bits);
    EXPECT_EQ(exported.lanes, 1);
    EXPECT_EQ(from_dlpack_dtype(DLDataType{c.code, c.bits, 1}), c.dtype);
  }
}

TEST(DLPack, BoolExportsAsUInt8AndImportsFromTheLaterBoolCode) {
  const DLDataType exported = to_dlpack_dtype(DType::kBool);
  EXPECT_EQ(exported.code, kDLUInt);
  EXPECT_EQ(exported.bits, 8);
  EXPECT_EQ(from_dlpack_dtype(exported), DType::kUInt8);            // 0.6 cannot say "bool"
  EXPECT_EQ(from_dlpack_dtype(DLDataType{6, 8, 1}), DType::kBool);  // kDLBool, DLPack >= 0.8

  DLPackTensor imported = from_dlpack(to_dlpack(HostTensor::from_values<bool>({2}, {true, false})));
  EXPECT_EQ(imported.dtype(), DType::kUInt8);
  EXPECT_EQ(imported.view().values<std::uint8_t>()[0], 1);
}

TEST(DLPack, RefusesVectorAndUnknownTypes) {
  EXPECT_THROW(from_dlpack_dtype(DLDataType{kDLFloat, 32, 4}), InvalidArgument);
  EXPECT_THROW(from_dlpack_dtype(DLDataType{kDLComplex, 64, 1}), InvalidArgument);
  EXPECT_THROW(from_dlpack_dtype(DLDataType{kDLInt, 16, 1}), InvalidArgument);
  EXPECT_THROW(from_dlpack_dtype(DLDataType{kDLUInt, 32, 1}), InvalidArgument);
  EXPECT_THROW(from_dlpack_dtype(DLDataType{kDLFloat, 8, 1}), InvalidArgument);
  EXPECT_THROW(to_dlpack_dtype(DType::kUndefined), InvalidArgument);

  int deletes = 0;
  float value = 0;
  EXPECT_THROW(from_dlpack(produce(&value, {1}, DLDataType{kDLFloat, 32, 2}, &deletes)),
               InvalidArgument);
  EXPECT_EQ(deletes, 1);
}

}  // namespace
}  // namespace trtutils
