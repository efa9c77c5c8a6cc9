// Input checks (count, shape, dtype) and data-dependent output trimming.
// Pure: no GPU.
#include "trtutils/runtime/io_check.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "runtime/output_trim.hpp"

namespace trtutils::runtime {
namespace {

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "(no InvalidArgument thrown)";
}

plan::TensorSpec spec(std::string name, DType dtype, std::vector<std::int64_t> dims) {
  plan::TensorSpec s;
  s.name = std::move(name);
  s.dtype = dtype;
  s.dims = std::move(dims);
  return s;
}

plan::TensorSpec batched(std::string name, std::vector<std::int64_t> sample) {
  std::vector<std::int64_t> dims{plan::kDynamicDim};
  dims.insert(dims.end(), sample.begin(), sample.end());
  plan::TensorSpec s = spec(std::move(name), DType::kFloat32, dims);
  plan::ShapeProfile profile{dims, dims, dims};
  profile.min[0] = 1;
  profile.opt[0] = 4;
  profile.max[0] = 16;
  s.profile = profile;
  return s;
}

TEST(InferBatch, TakesAxisZeroOfTheBatchedInputsAndIgnoresStaticOnes) {
  const std::vector<plan::TensorSpec> inputs = {
      batched("image", {3, 8, 8}), spec("scale", DType::kFloat32, {2}), batched("mask", {8})};
  const std::vector<Shape> shapes = {{13, 3, 8, 8}, {2}, {13, 8}};
  EXPECT_EQ(infer_batch(inputs, shapes), 13);
  const std::vector<plan::TensorSpec> fixed = {spec("x", DType::kFloat32, {2, 3})};
  EXPECT_EQ(infer_batch(fixed, std::vector<Shape>{{2, 3}}), 0);
}

TEST(InferBatch, OutsideTheRangeNamesTheInputTheBatchAndTheRange) {
  const std::vector<plan::TensorSpec> inputs = {batched("image", {3, 8, 8})};
  const std::string above = error_of([&] {
    (void)infer_batch(inputs, std::vector<Shape>{{17, 3, 8, 8}});
  });
  EXPECT_NE(above.find("input 'image' [17, 3, 8, 8]: batch 17 is outside the engine's range 1..16"),
            std::string::npos)
      << above;
  const std::string zero = error_of([&] {
    (void)infer_batch(inputs, std::vector<Shape>{{0, 3, 8, 8}});
  });
  EXPECT_NE(zero.find("batch 0 is outside the engine's range 1..16"), std::string::npos) << zero;
}

TEST(InferBatch, BatchedInputsMustAgree) {
  const std::vector<plan::TensorSpec> inputs = {batched("a", {2}), batched("b", {2})};
  const std::string message = error_of([&] {
    (void)infer_batch(inputs, std::vector<Shape>{{4, 2}, {3, 2}});
  });
  EXPECT_NE(message.find("input 'b' [3, 2] has batch 3 but input 'a' has batch 4"),
            std::string::npos)
      << message;
  const std::string scalar = error_of([&] {
    (void)infer_batch(inputs, std::vector<Shape>{{}, {3, 2}});
  });
  EXPECT_NE(scalar.find("input 'a': expected shape [?, 2] (? = the batch), got a scalar"),
            std::string::npos)
      << scalar;
}

TEST(IoCheck, WrongCountNamesTheInputs) {
  const std::vector<plan::TensorSpec> inputs = {spec("images", DType::kFloat32, {1, 3, 4, 4}),
                                                spec("scale", DType::kFloat32, {1})};
  EXPECT_NO_THROW(check_input_count(inputs, 2));
  const std::string message = error_of([&] { check_input_count(inputs, 1); });
  EXPECT_NE(message.find("the engine takes 2 inputs (images, scale), got 1"), std::string::npos)
      << message;
}

TEST(IoCheck, WrongShapeSaysExpectedAndGot) {
  const plan::TensorSpec images = spec("images", DType::kFloat32, {1, 3, 640, 640});
  EXPECT_NO_THROW(check_input(images, {1, 3, 640, 640}, DType::kFloat32));
  const std::string message = error_of([&] {
    check_input(images, {1, 3, 320, 320}, DType::kFloat32);
  });
  EXPECT_NE(message.find("input 'images': expected shape [1, 3, 640, 640], got [1, 3, 320, 320]"),
            std::string::npos)
      << message;
  EXPECT_NE(error_of([&] {
              check_input(images, {3, 640, 640}, DType::kFloat32);
            }).find("got [3, 640, 640]"),
            std::string::npos);
}

TEST(IoCheck, WrongDtypeSuggestsACast) {
  const plan::TensorSpec images = spec("images", DType::kFloat32, {2});
  const std::string message = error_of([&] { check_input(images, {2}, DType::kFloat64); });
  EXPECT_NE(message.find("input 'images': expected dtype f32, got f64; cast it first, e.g. "
                         "tensor.cast(DType::kFloat32)"),
            std::string::npos)
      << message;
}

TEST(IoCheck, DynamicDimAcceptsExtentsWithinItsProfile) {
  plan::TensorSpec batch = spec("x", DType::kFloat32, {plan::kDynamicDim, 4});
  batch.profile = plan::ShapeProfile{{1, 4}, {8, 4}, {16, 4}};
  EXPECT_NO_THROW(check_input(batch, {16, 4}, DType::kFloat32));
  EXPECT_NE(error_of([&] {
              check_input(batch, {17, 4}, DType::kFloat32);
            }).find("expected shape [?, 4], got [17, 4]"),
            std::string::npos);
}

TEST(OutputTrim, FirstAxisKeepsTheLeadingRows) {
  const HostTensor full = HostTensor::from_values<float>({4, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  const HostTensor trimmed = detail::trim_to_extent(full, 0, 3);
  EXPECT_EQ(trimmed.shape(), (Shape{3, 2}));
  const auto values = trimmed.values<float>();
  EXPECT_EQ(std::vector<float>(values.begin(), values.end()),
            (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(OutputTrim, InnerAxisKeepsTheLeadingColumnsOfEveryRow) {
  // NonZero's output [rank, count]: trimming axis 1.
  const HostTensor full = HostTensor::from_values<std::int64_t>({2, 4}, {0, 1, 2, 9, 5, 6, 7, 9});
  const HostTensor trimmed = detail::trim_to_extent(full, 1, 3);
  EXPECT_EQ(trimmed.shape(), (Shape{2, 3}));
  const auto values = trimmed.values<std::int64_t>();
  EXPECT_EQ(std::vector<std::int64_t>(values.begin(), values.end()),
            (std::vector<std::int64_t>{0, 1, 2, 5, 6, 7}));
}

TEST(OutputTrim, ExtentIsClampedToTheBound) {
  const HostTensor full = HostTensor::from_values<float>({3}, {1, 2, 3});
  EXPECT_EQ(detail::trim_to_extent(full, 0, 10).shape(), (Shape{3}));
  EXPECT_EQ(detail::trim_to_extent(full, 0, -1).shape(), (Shape{0}));
}

}  // namespace
}  // namespace trtutils::runtime
