// ConvolutionDesc validation, output shapes and cuDNN support, and
// ConvolutionPlan's refusals: all decided on the CPU before any GPU work.
#include <gtest/gtest.h>

#include <limits>

#include <string>

#include "gpu/test_util.hpp"
#include "trtutils/core/nvrtc_compiler.hpp"
#include "trtutils/gpu/convolution_plan.hpp"
#include "trtutils/gpu/epilogue_kernel.hpp"

namespace trtutils::gpu {
namespace {

using trtutils::testing::contains;

ConvolutionDesc conv_3x3() {
  ConvolutionDesc desc;
  desc.input_shape = {2, 4, 9, 9};
  desc.filter_shape = {8, 4, 3, 3};
  desc.pads_begin = {1, 1};
  desc.pads_end = {1, 1};
  return desc;
}

std::string invalid_message(const ConvolutionDesc& desc) {
  try {
    validate(desc);
  } catch (const InvalidArgument& error) {
    return error.what();
  }
  return "(accepted)";
}

TEST(ConvolutionDesc, OutputShapeFollowsPadsStridesAndDilations) {
  ConvolutionDesc desc = conv_3x3();
  EXPECT_EQ(convolution_output_shape(desc), (std::vector<std::int64_t>{2, 8, 9, 9}));
  desc.strides = {2, 2};
  EXPECT_EQ(convolution_output_shape(desc), (std::vector<std::int64_t>{2, 8, 5, 5}));
  desc.strides = {};
  desc.dilations = {2, 2};  // extent 5: (9 + 2 - 5) + 1 = 7
  EXPECT_EQ(convolution_output_shape(desc), (std::vector<std::int64_t>{2, 8, 7, 7}));
  desc.input_shape = {1, 3, 224, 224};
  desc.filter_shape = {64, 3, 7, 7};
  desc.pads_begin = desc.pads_end = {3, 3};
  desc.strides = {2, 2};
  desc.dilations = {};
  EXPECT_EQ(convolution_output_shape(desc), (std::vector<std::int64_t>{1, 64, 112, 112}));
}

TEST(ConvolutionDesc, OneAndThreeSpatialAxesAreAccepted) {
  ConvolutionDesc desc;
  desc.input_shape = {1, 2, 10};
  desc.filter_shape = {3, 2, 3};
  EXPECT_EQ(convolution_output_shape(desc), (std::vector<std::int64_t>{1, 3, 8}));
  desc.input_shape = {1, 2, 4, 5, 6};
  desc.filter_shape = {3, 2, 1, 2, 3};
  EXPECT_EQ(convolution_output_shape(desc), (std::vector<std::int64_t>{1, 3, 4, 4, 4}));
}

TEST(ConvolutionDesc, GroupsNotDividingChannelsAreRefused) {
  ConvolutionDesc desc = conv_3x3();
  desc.groups = 3;  // 4 input channels
  desc.filter_shape = {6, 1, 3, 3};
  EXPECT_TRUE(contains(invalid_message(desc), "4 input channels are not divisible into 3 groups"));
}

TEST(ConvolutionDesc, OutputChannelsNotDividingIntoGroupsAreRefused) {
  ConvolutionDesc desc = conv_3x3();
  desc.groups = 2;
  desc.filter_shape = {7, 2, 3, 3};
  EXPECT_TRUE(contains(invalid_message(desc), "7 output channels"));
}

TEST(ConvolutionDesc, FilterChannelsMustBeInputChannelsPerGroup) {
  ConvolutionDesc desc = conv_3x3();
  desc.groups = 2;  // filter says 4 channels per group, input gives 2
  EXPECT_TRUE(contains(invalid_message(desc), "channels per group"));
}

TEST(ConvolutionDesc, DtypeMismatchIsRefused) {
  ConvolutionDesc desc = conv_3x3();
  desc.input_dtype = DType::kFloat16;
  EXPECT_TRUE(contains(invalid_message(desc), "dtypes must be equal (got f16, f32, f32)"));
}

TEST(ConvolutionDesc, UnsupportedDtypeIsRefused) {
  ConvolutionDesc desc = conv_3x3();
  desc.input_dtype = desc.filter_dtype = desc.output_dtype = DType::kInt8;
  EXPECT_TRUE(contains(invalid_message(desc), "use f32, f16 or bf16"));
}

TEST(ConvolutionDesc, Tf32IsOnlyForF32) {
  ConvolutionDesc desc = conv_3x3();
  desc.input_dtype = desc.filter_dtype = desc.output_dtype = DType::kFloat16;
  desc.allow_tf32 = true;
  EXPECT_TRUE(contains(invalid_message(desc), "allow_tf32 applies to f32 only"));
}

TEST(ConvolutionDesc, ActivationParametersAreChecked) {
  ConvolutionDesc desc = conv_3x3();
  desc.activation = Activation::kClippedRelu;
  desc.clip_ceiling = 0.0f;
  EXPECT_TRUE(contains(invalid_message(desc), "clipped ReLU needs a positive ceiling, got 0"));
  desc = conv_3x3();
  desc.activation = Activation::kLeakyRelu;
  desc.leaky_slope = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(contains(invalid_message(desc), "leaky ReLU needs a finite slope"));
  desc.leaky_slope = 0.2f;
  EXPECT_NO_THROW(validate(desc));
}

TEST(ConvolutionDesc, BadGeometryIsRefused) {
  ConvolutionDesc desc = conv_3x3();
  desc.strides = {0, 1};
  EXPECT_TRUE(contains(invalid_message(desc), "strides [0, 1] must be positive"));
  desc = conv_3x3();
  desc.pads_begin = {1};
  EXPECT_TRUE(contains(invalid_message(desc), "pads_begin [1] has 1 entries"));
  desc = conv_3x3();
  desc.input_shape = {2, 4, -9, 9};
  EXPECT_TRUE(contains(invalid_message(desc), "non-positive size"));
  desc = conv_3x3();
  desc.pads_begin = desc.pads_end = {0, 0};
  desc.input_shape = {2, 4, 2, 9};
  EXPECT_TRUE(contains(invalid_message(desc), "narrower than the dilated kernel"));
  desc = conv_3x3();
  desc.filter_shape = {8, 4, 3};
  EXPECT_TRUE(contains(invalid_message(desc), "must have the input's rank 4"));
}

TEST(ConvolutionDesc, SymmetricPadsAreRunnable) {
  const ConvolutionSupport support = cudnn_support(conv_3x3());
  EXPECT_TRUE(support.runnable);
  EXPECT_TRUE(support.reason.empty());
}

TEST(ConvolutionDesc, AsymmetricPadsAreReportedNotRunnable) {
  ConvolutionDesc desc = conv_3x3();
  desc.pads_begin = {0, 0};
  desc.pads_end = {1, 1};  // TF "SAME" with stride 2 gives pads like these
  const ConvolutionSupport support = cudnn_support(desc);
  EXPECT_FALSE(support.runnable);
  EXPECT_TRUE(contains(support.reason, "asymmetric pads (begin [0, 0], end [1, 1])"));
  EXPECT_TRUE(contains(support.reason, "pad the input explicitly"));
}

TEST(ConvolutionPlan, AsymmetricPadsAreRefusedWithTheReason) {
  ConvolutionDesc desc = conv_3x3();
  desc.pads_end = {2, 2};
  try {
    ConvolutionPlan plan(desc);
    FAIL() << "no exception";
  } catch (const UnsupportedError& error) {
    EXPECT_TRUE(contains(error.what(), "asymmetric pads"));
  }
}

TEST(ConvolutionPlan, BuildsOnTheHostAndReportsItsShape) {
  ConvolutionDesc desc = conv_3x3();
  desc.layout = TensorLayout::kNHWC;
  desc.has_bias = true;
  desc.activation = Activation::kRelu;
  ConvolutionPlan plan(desc);
  EXPECT_EQ(plan.output_shape(), (std::vector<std::int64_t>{2, 8, 9, 9}));
  EXPECT_TRUE(plan.can_fuse_epilogue());
  EXPECT_FALSE(plan.algorithm().has_value());
  EXPECT_EQ(plan.workspace_bytes(), 0u);
}

TEST(ConvolutionPlan, SetAlgorithmRefusesUnknownAlgorithmsAndImpossibleFusion) {
  ConvolutionPlan plan(conv_3x3());  // no bias, identity: nothing to fuse
  ConvolutionAlgorithm bad;
  bad.algorithm = 99;
  EXPECT_THROW(plan.set_algorithm(bad), InvalidArgument);
  ConvolutionAlgorithm fused;
  fused.algorithm = 1;
  fused.fused_epilogue = true;
  try {
    plan.set_algorithm(fused);
    FAIL() << "no exception";
  } catch (const InvalidArgument& error) {
    EXPECT_TRUE(contains(error.what(), "a fused epilogue needs a bias and ReLU"));
  }
}

TEST(ConvolutionPlan, SetAlgorithmWithoutEpilogueNeedsNoGpu) {
  ConvolutionPlan plan(conv_3x3());
  const ConvolutionAlgorithm chosen{1, 3, 4096, false, -1, {}};
  plan.set_algorithm(chosen);
  ASSERT_TRUE(plan.algorithm().has_value());
  EXPECT_EQ(*plan.algorithm(), chosen);
  EXPECT_EQ(plan.workspace_bytes(), 4096u);
}

TEST(ConvolutionPlan, GraphEngineChoiceIsAdoptedWithoutAGpu) {
  // The execution plan is made later, per handle (prepare); adopting the
  // stored choice is host-only.
  ConvolutionPlan plan(conv_3x3());
  ConvolutionAlgorithm chosen;
  chosen.engine = 12;
  chosen.knobs = {3, 1, 17, 0};
  chosen.workspace_bytes = 2048;
  plan.set_algorithm(chosen);
  EXPECT_TRUE(plan.algorithm()->uses_graph_api());
  EXPECT_EQ(plan.workspace_bytes(), 2048u);
  EXPECT_EQ(describe_graph_engine(chosen), "cuDNN graph engine 12 (knobs 3=1 17=0)");
}

TEST(ConvolutionPlan, GraphEngineWithAnOddKnobListIsRefused) {
  ConvolutionPlan plan(conv_3x3());
  ConvolutionAlgorithm chosen;
  chosen.engine = 12;
  chosen.knobs = {3, 1, 17};
  try {
    plan.set_algorithm(chosen);
    FAIL() << "no exception";
  } catch (const InvalidArgument& error) {
    EXPECT_TRUE(contains(error.what(), "(type, value) pairs")) << error.what();
  }
}

TEST(EpilogueKernel, SourceCompilesForEveryDtypeWithoutAGpu) {
  for (const DType dtype : {DType::kFloat32, DType::kFloat16, DType::kBFloat16}) {
    for (const bool vector : {false, true}) {
      const core::CompiledKernel compiled = core::compile_to_cubin(
          epilogue_kernel_source(), epilogue_kernel_name(dtype, vector), {}, "sm_90");
      EXPECT_FALSE(compiled.code.empty()) << dtype_name(dtype) << (vector ? " vector" : "");
    }
  }
  EXPECT_THROW((void)epilogue_kernel_name(DType::kInt32), InvalidArgument);
}

}  // namespace
}  // namespace trtutils::gpu
