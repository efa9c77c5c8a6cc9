// FakeLoweringContext: tensor ids, storage dtypes of fp16 builds, and the
// record of what a lowering emits.
#include <gtest/gtest.h>

#include "ops/fake_lowering_context.hpp"

namespace trtutils::testing {
namespace {

TEST(FakeLoweringContext, AssignsIdsAndStorageDtypes) {
  ir::Graph graph;
  ir::Value* a = graph.add_value("a");
  a->set_dtype(DType::kFloat32);
  a->set_shape(ir::from_static({2, 3}));
  ir::Value* b = graph.add_value("b");
  b->set_dtype(DType::kInt64);
  b->set_shape(ir::from_static({3}));
  ir::Value* y = graph.add_value("y");
  y->set_dtype(DType::kFloat32);
  y->set_shape(ir::from_static({2, 3}));
  ir::Node* node = graph.add_node("Add", "n", {a, nullptr, b}, {y});
  FakeLoweringContext ctx(*node, 17, plan::Precision::kFloat16, {y});
  EXPECT_EQ(ctx.input(0).id, 0u);
  EXPECT_EQ(ctx.input(0).dtype, DType::kFloat16);
  EXPECT_FALSE(ctx.has_input(1));
  EXPECT_EQ(ctx.input(2).id, 1u);
  EXPECT_EQ(ctx.input(2).dtype, DType::kInt64);
  EXPECT_EQ(ctx.output(0).id, 2u);
  EXPECT_EQ(ctx.output(0).dtype, DType::kFloat32);  // kept: a graph output
  const ops::GpuTensor s = ctx.add_scratch(DType::kInt32, {4});
  EXPECT_EQ(s.id, 3u);
  ops::KernelLaunch launch;
  launch.entry = "k";
  launch.arguments.push_back(ops::KernelArgument::pointer_to(ctx.input(0)));
  launch.arguments.push_back(ops::KernelArgument::scalar(std::int64_t{5}));
  ctx.emit_kernel("layer", launch);
  ctx.alias_output(0, 0);
  ASSERT_EQ(ctx.layers().size(), 1u);
  EXPECT_EQ(ctx.layers()[0].kernel, plan::layer_kinds::kNvrtcKernel);
  EXPECT_EQ(ctx.layers()[0].inputs, (std::vector<plan::TensorId>{0}));
  EXPECT_EQ(ctx.launches().at(0).arguments.at(1).bytes.size(), 8u);
  EXPECT_EQ(ctx.aliases().at(0), (std::pair<std::size_t, std::size_t>{0, 0}));
  EXPECT_THROW(ctx.fail("bad"), ModelError);
}

}  // namespace
}  // namespace trtutils::testing
