// Packing an nvrtc.kernel layer's argument array from its plan parameters.
// Pure: no GPU.
#include "runtime/argument_template.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "runtime_test_plans.hpp"

namespace trtutils::runtime::detail {
namespace {

namespace nvrtc = plan::layer_kinds::nvrtc;
using testing::scalar_bytes;

plan::LayerDesc layer_with(std::vector<std::int64_t> kinds, std::vector<std::int64_t> tensors,
                           std::vector<std::int64_t> sizes, std::vector<std::byte> scalars) {
  plan::LayerDesc layer;
  layer.name = "k";
  layer.kernel = "nvrtc.kernel";
  layer.params.set(nvrtc::kArgKinds, std::move(kinds));
  layer.params.set(nvrtc::kArgTensors, std::move(tensors));
  layer.params.set(nvrtc::kArgSizes, std::move(sizes));
  layer.params.set(nvrtc::kArgScalars, std::move(scalars));
  return layer;
}

std::string error_of(const plan::LayerDesc& layer, std::size_t tensor_count = 4) {
  try {
    (void)pack_arguments(layer, tensor_count);
  } catch (const ModelError& e) {
    return e.what();
  }
  return "(no ModelError thrown)";
}

template <typename T>
T read_argument(const core::KernelArgs& args, std::size_t index) {
  T value;
  std::memcpy(&value, args.pointers()[index], sizeof(T));
  return value;
}

TEST(ArgumentTemplate, ScalarsInPlacePointersNullAndListed) {
  std::vector<std::byte> scalars = scalar_bytes(2.5f);
  const std::vector<std::byte> n = scalar_bytes(std::int64_t{-7});
  scalars.insert(scalars.end(), n.begin(), n.end());
  const ArgumentTemplate packed =
      pack_arguments(layer_with({0, 1, 0, 1, 0}, {3, -1, 1, -1, -1}, {8, 4, 8, 8, 8}, scalars), 4);
  ASSERT_EQ(packed.args.count(), 5U);
  EXPECT_EQ(packed.args.size_of(0), 8U);
  EXPECT_EQ(packed.args.size_of(1), 4U);
  EXPECT_EQ(packed.args.size_of(3), 8U);
  EXPECT_EQ(read_argument<const void*>(packed.args, 0), nullptr);
  EXPECT_EQ(read_argument<float>(packed.args, 1), 2.5f);
  EXPECT_EQ(read_argument<std::int64_t>(packed.args, 3), -7);
  EXPECT_EQ(read_argument<const void*>(packed.args, 4), nullptr);  // tensor -1 stays null
  ASSERT_EQ(packed.tensors.size(), 2U);
  EXPECT_EQ(packed.tensors[0].argument, 0U);
  EXPECT_EQ(packed.tensors[0].tensor, 3U);
  EXPECT_EQ(packed.tensors[1].argument, 2U);
  EXPECT_EQ(packed.tensors[1].tensor, 1U);
}

TEST(ArgumentTemplate, WritePointerPatchesOnlyThatArgument) {
  ArgumentTemplate packed =
      pack_arguments(layer_with({0, 1, 0}, {0, -1, 1}, {8, 4, 8}, scalar_bytes(42)), 2);
  int a = 0;
  int b = 0;
  write_pointer(packed.args, 0, &a);
  write_pointer(packed.args, 2, &b);
  EXPECT_EQ(read_argument<const void*>(packed.args, 0), &a);
  EXPECT_EQ(read_argument<int>(packed.args, 1), 42);
  EXPECT_EQ(read_argument<const void*>(packed.args, 2), &b);
  // A copy (what each ExecutionContext takes) is independent.
  core::KernelArgs copy = packed.args;
  write_pointer(copy, 0, &b);
  EXPECT_EQ(read_argument<const void*>(packed.args, 0), &a);
  EXPECT_EQ(read_argument<const void*>(copy, 0), &b);
}

TEST(ArgumentTemplate, MismatchedListLengthsAreRefused) {
  EXPECT_NE(error_of(layer_with({0, 0}, {0}, {8, 8}, {})).find("must describe the same"),
            std::string::npos);
}

TEST(ArgumentTemplate, PointerOfOtherThanEightBytesIsRefused) {
  EXPECT_NE(error_of(layer_with({0}, {0}, {4}, {})).find("pointer of 4 bytes"), std::string::npos);
}

TEST(ArgumentTemplate, TensorIdOutsideThePlanIsRefused) {
  EXPECT_NE(error_of(layer_with({0}, {9}, {8}, {}), 4).find("names tensor 9; the plan has 4"),
            std::string::npos);
}

TEST(ArgumentTemplate, UnknownKindIsRefused) {
  EXPECT_NE(error_of(layer_with({2}, {-1}, {4}, scalar_bytes(1))).find("has kind 2"),
            std::string::npos);
}

TEST(ArgumentTemplate, ScalarBytesMustAddUpExactly) {
  EXPECT_NE(error_of(layer_with({1}, {-1}, {8}, scalar_bytes(1))).find("does not fit"),
            std::string::npos);
  EXPECT_NE(error_of(layer_with({1}, {-1}, {2}, scalar_bytes(1))).find("holds 4 bytes"),
            std::string::npos);
  EXPECT_NE(error_of(layer_with({1}, {-1}, {0}, {})).find("of 0 bytes"), std::string::npos);
}

TEST(ArgumentTemplate, MissingParameterIsNamed) {
  plan::LayerDesc layer = layer_with({0}, {0}, {8}, {});
  layer.params = {};
  EXPECT_NE(error_of(layer).find("arg_kinds"), std::string::npos);
}

}  // namespace
}  // namespace trtutils::runtime::detail
