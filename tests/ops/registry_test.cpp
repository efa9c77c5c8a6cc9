#include <gtest/gtest.h>

#include "ops/support.hpp"
#include "trtutils/ops/registry.hpp"

namespace trtutils::ops {
namespace {

TEST(OpRegistry, DuplicateRegistrationIsRefused) {
  OpRegistry r;
  OpSchema s{"Foo", "", [](InferContext&) {}, [](const CpuContext&) { return std::vector<HostTensor>{}; }};
  r.add(s);
  EXPECT_THROW(r.add(s), InvalidArgument);
  EXPECT_NE(r.find("Foo"), nullptr);
  EXPECT_NE(r.find("Foo", "ai.onnx"), nullptr);
  EXPECT_EQ(r.find("Bar"), nullptr);
}

TEST(Broadcast, NumpyRules) {
  EXPECT_EQ(broadcast_shapes(Shape{2, 1, 3}, Shape{4, 1}), (Shape{2, 4, 3}));
  EXPECT_EQ(broadcast_shapes(Shape{}, Shape{5}), (Shape{5}));
  EXPECT_THROW(broadcast_shapes(Shape{2}, Shape{3}), InvalidArgument);
  EXPECT_EQ(broadcast_strides(Shape{4, 1}, Shape{2, 4, 3}), (std::vector<std::int64_t>{0, 1, 0}));
}

TEST(Broadcast, SymbolicDimsSurvive) {
  ir::MaybeShape a = ir::DimList{ir::Dim::symbolic("N"), 1};
  ir::MaybeShape b = ir::DimList{1, 8};
  EXPECT_EQ(ir::to_string(broadcast_shapes(a, b)), "[N, 8]");
  EXPECT_FALSE(broadcast_shapes(a, std::nullopt).has_value());
}

}  // namespace
}  // namespace trtutils::ops
