#include <gtest/gtest.h>

#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils {
namespace {

TEST(HostTensor, NewTensorIsZeroFilledWithRowMajorLayout) {
  HostTensor t({2, 3}, DType::kFloat32);
  EXPECT_EQ(t.element_count(), 6);
  EXPECT_EQ(t.byte_size(), 24u);
  for (float v : t.values<float>()) EXPECT_EQ(v, 0.0f);
  EXPECT_EQ(contiguous_strides(t.shape()), (std::vector<std::int64_t>{3, 1}));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.data()) % 64, 0u);
}

TEST(HostTensor, ScalarHasOneElement) {
  HostTensor t({}, DType::kInt64);
  EXPECT_EQ(t.element_count(), 1);
  EXPECT_EQ(t.rank(), 0);
}

TEST(HostTensor, WrongTypedAccessIsRefused) {
  HostTensor t({4}, DType::kInt32);
  EXPECT_THROW(t.values<float>(), InvalidArgument);
}

TEST(HostTensor, FromValuesChecksCount) {
  EXPECT_THROW(HostTensor::from_values<float>({2, 2}, {1, 2, 3}), InvalidArgument);
  auto t = HostTensor::from_values<std::int32_t>({3}, {1, 2, 3});
  EXPECT_EQ(t.values<std::int32_t>()[2], 3);
}

TEST(HostTensor, CopyIsDeep) {
  auto a = HostTensor::from_values<float>({2}, {1, 2});
  HostTensor b = a;
  b.values<float>()[0] = 42;
  EXPECT_EQ(a.values<float>()[0], 1);
}

TEST(HostTensor, NegativeDimensionIsRefused) {
  EXPECT_THROW(HostTensor({2, -1}, DType::kFloat32), InvalidArgument);
}

TEST(HostTensor, ReshapeKeepsDataAndChecksCount) {
  auto a = HostTensor::from_values<float>({2, 3}, {0, 1, 2, 3, 4, 5});
  auto b = a.reshaped({3, 2});
  EXPECT_EQ(b.values<float>()[5], 5);
  EXPECT_THROW(a.reshaped({4}), InvalidArgument);
}

TEST(HostTensor, CastConvertsEachElement) {
  auto f = HostTensor::from_values<float>({4}, {1.5f, -2.7f, 0.0f, 3.0f});
  auto i = f.cast(DType::kInt32);
  EXPECT_EQ((std::vector<std::int32_t>(i.values<std::int32_t>().begin(), i.values<std::int32_t>().end())),
            (std::vector<std::int32_t>{1, -2, 0, 3}));
  auto b = f.cast(DType::kBool);
  EXPECT_EQ(b.values<bool>()[2], false);
  EXPECT_EQ(b.values<bool>()[1], true);
  auto h = f.cast(DType::kFloat16).cast(DType::kFloat32);
  EXPECT_EQ(h.values<float>()[0], 1.5f);
}

TEST(DType, NamesRoundTrip) {
  for (DType d : {DType::kUInt8, DType::kInt8, DType::kInt32, DType::kInt64, DType::kFloat16,
                  DType::kBFloat16, DType::kFloat32, DType::kFloat64, DType::kBool}) {
    EXPECT_EQ(dtype_from_name(dtype_name(d)), d);
  }
  EXPECT_THROW(dtype_from_name("float128"), InvalidArgument);
  EXPECT_EQ(dtype_size(DType::kBFloat16), 2u);
}

}  // namespace
}  // namespace trtutils
