#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gpu_test_support.hpp"
#include "trtutils/core/binding.hpp"

namespace trtutils::core {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

HostTensor random_tensor(Shape shape, unsigned seed) {
  HostTensor tensor(std::move(shape), DType::kFloat32);
  std::mt19937 random(seed);
  std::uniform_real_distribution<float> value(-10.0F, 10.0F);
  for (float& v : tensor.values<float>()) v = value(random);
  return tensor;
}

// --- checks that need no GPU (zero-element bindings own no memory) ------------

TEST(Binding, ZeroElementBindingTakesShapeDtypeAndName) {
  const HostTensor tensor({0, 3}, DType::kFloat16);
  const Binding binding = create_binding(tensor, true, "images", true);
  EXPECT_EQ(binding.name, "images");
  EXPECT_EQ(binding.shape, (Shape{0, 3}));
  EXPECT_EQ(binding.dtype, DType::kFloat16);
  EXPECT_TRUE(binding.is_input);
  EXPECT_EQ(binding.byte_size(), 0u);
  EXPECT_TRUE(binding.has_host_mirror());
  EXPECT_FALSE(create_binding(Shape{0}, DType::kInt8, false).has_host_mirror());
}

TEST(Binding, UndefinedDtypeIsAnInvalidArgument) {
  EXPECT_THROW(create_binding(Shape{2}, DType::kUndefined), InvalidArgument);
}

TEST(Binding, CopyOfAMismatchedShapeNamesBothShapes) {
  Binding binding = create_binding(Shape{0, 3}, DType::kFloat32, false, "boxes");
  const HostTensor tensor({2, 3}, DType::kFloat32);
  try {
    copy_to_device(binding, tensor);
    FAIL() << "expected a throw";
  } catch (const InvalidArgument& e) {
    const std::string message = e.what();
    EXPECT_TRUE(contains(message, "copy_to_device")) << message;
    EXPECT_TRUE(contains(message, "[2, 3]")) << message;
    EXPECT_TRUE(contains(message, "[0, 3]")) << message;
    EXPECT_TRUE(contains(message, "'boxes'")) << message;
  }
}

TEST(Binding, CopyOfAMismatchedDtypeNamesBothDtypes) {
  Binding binding = create_binding(Shape{0}, DType::kFloat32, false, "scores");
  HostTensor tensor({0}, DType::kInt32);
  try {
    copy_to_host(binding, tensor);
    FAIL() << "expected a throw";
  } catch (const InvalidArgument& e) {
    const std::string message = e.what();
    EXPECT_TRUE(contains(message, "i32")) << message;
    EXPECT_TRUE(contains(message, "f32")) << message;
  }
  EXPECT_THROW(copy_to_device_async(binding, tensor, StreamView()), InvalidArgument);
  EXPECT_THROW(copy_to_host_async(binding, tensor, StreamView()), InvalidArgument);
}

TEST(Binding, MirrorOperationsWithoutAMirrorSaySo) {
  Binding binding = create_binding(Shape{0}, DType::kFloat32, false, "out");
  try {
    copy_device_to_mirror(binding);
    FAIL() << "expected a throw";
  } catch (const InvalidArgument& e) {
    EXPECT_TRUE(contains(e.what(), "no page-locked host mirror")) << e.what();
  }
  EXPECT_THROW((void)binding.host_view(), InvalidArgument);
}

// --- GPU behaviour ------------------------------------------------------------

TEST(BindingGpu, CreatedFromATensorAllocatesItsByteSize) {
  TRTUTILS_REQUIRE_GPU();
  const HostTensor tensor({1, 3, 8, 8}, DType::kFloat16);
  const Binding binding = create_binding(tensor.view(), true, "x");
  EXPECT_EQ(binding.byte_size(), 1u * 3 * 8 * 8 * 2);
  EXPECT_NE(binding.device_pointer(), nullptr);
  ASSERT_TRUE(binding.has_host_mirror());
  EXPECT_EQ(binding.host_allocation->size(), binding.byte_size());
  EXPECT_EQ(binding.element_count(), 192);
}

TEST(BindingGpu, TensorRoundTripsThroughTheBinding) {
  TRTUTILS_REQUIRE_GPU();
  const HostTensor input = random_tensor({4, 5, 6}, 11);
  Binding binding = create_binding(input, false, "x", true);
  copy_to_device(binding, input);
  const HostTensor output = to_host_tensor(binding);
  EXPECT_EQ(output.shape(), input.shape());
  EXPECT_EQ(output.dtype(), DType::kFloat32);
  const auto in = input.values<float>();
  const auto out = output.values<float>();
  EXPECT_TRUE(std::equal(in.begin(), in.end(), out.begin()));
}

TEST(BindingGpu, AsyncCopiesOnAStreamRoundTrip) {
  TRTUTILS_REQUIRE_GPU();
  const HostTensor input = random_tensor({128, 129}, 12);
  Binding binding = create_binding(input);
  HostTensor output({128, 129}, DType::kFloat32);
  Stream stream;
  copy_to_device_async(binding, input, stream);
  copy_to_host_async(binding, output, stream);
  stream.synchronize();
  const auto in = input.values<float>();
  const auto out = output.values<float>();
  EXPECT_TRUE(std::equal(in.begin(), in.end(), out.begin()));
}

TEST(BindingGpu, HostMirrorStagesAsyncTransfers) {
  TRTUTILS_REQUIRE_GPU();
  const HostTensor input = random_tensor({3, 7}, 13);
  Binding source = create_binding(input, true, "a");
  Binding target = create_binding(input, true, "b");
  const auto in = input.values<float>();
  std::copy(in.begin(), in.end(), source.host_view().values<float>().begin());
  Stream stream;
  copy_mirror_to_device_async(source, stream);
  memcpy_device_to_device_async(target.allocation, source.allocation, stream);
  copy_device_to_mirror_async(target, stream);
  stream.synchronize();
  const auto out = target.host_view().values<float>();
  EXPECT_TRUE(std::equal(in.begin(), in.end(), out.begin()));

  // The synchronous forms agree.
  std::fill(out.begin(), out.end(), 0.0F);
  copy_device_to_mirror(target);
  EXPECT_TRUE(std::equal(in.begin(), in.end(), out.begin()));
}

}  // namespace
}  // namespace trtutils::core
