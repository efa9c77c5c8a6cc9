// GPU lowerings of the reduction family (Reduce*, ArgMax, ArgMin). CPU: the
// strategy heuristic, build-time axes, identity for noop_with_empty_axes and
// NVRTC compilation of every kind x dtype x strategy. GPU: vs the CPU
// reference on random inputs (f32 1e-5 relative, f16 storage 1e-2, integers
// and indices exactly), every strategy forced, ties and NaNs for Arg*.
#include <gtest/gtest.h>

#include <limits>

#include "gpu_lowering/lowering_harness.hpp"
#include "gpu_lowering/tensor_random_inputs.hpp"
#include "ops/reduction/gpu_reduce.hpp"

namespace trtutils::testing {
namespace {

using ops::reduction::GpuReduceKind;
using ops::reduction::GpuReduction;
using ops::reduction::ReduceStrategy;
using plan::Precision;

const char* const kReduceOps[] = {"ReduceSum", "ReduceMean",      "ReduceMax",    "ReduceMin",
                                  "ReduceProd", "ReduceL1",       "ReduceL2",     "ReduceSumSquare",
                                  "ReduceLogSum", "ReduceLogSumExp"};

ir::Attributes keepdims(std::int64_t k) {
  ir::Attributes a;
  a.set("keepdims", k);
  return a;
}

TEST(ReductionStrategy, FollowsTheLayout) {
  using S = ReduceStrategy;
  EXPECT_EQ(ops::reduction::choose_strategy({64, 512}, {false, true}), S::kWarpPerOutput);
  EXPECT_EQ(ops::reduction::choose_strategy({512, 64}, {true, false}), S::kThreadPerOutput);
  EXPECT_EQ(ops::reduction::choose_strategy({4, 100000}, {false, true}), S::kBlockPerOutput);
  EXPECT_EQ(ops::reduction::choose_strategy({100000, 3}, {true, false}), S::kBlockPerOutput);
  EXPECT_EQ(ops::reduction::choose_strategy({4096, 7}, {false, true}), S::kThreadPerOutput);
  // Size-1 dims do not hide an innermost reduced run.
  EXPECT_EQ(ops::reduction::choose_strategy({64, 256, 1}, {false, true, false}), S::kWarpPerOutput);
}

TEST(ReductionLowering, EveryKindDtypeAndStrategyCompiles) {
  for (const DType dtype : {DType::kFloat32, DType::kFloat16, DType::kBFloat16, DType::kFloat64,
                            DType::kInt32, DType::kInt64, DType::kUInt8, DType::kBool}) {
    const ops::GpuTensor in{0, dtype, {6, 5, 7}};
    const ops::GpuTensor out{1, dtype, {6}};
    for (const auto strategy : {ReduceStrategy::kThreadPerOutput, ReduceStrategy::kWarpPerOutput,
                                ReduceStrategy::kBlockPerOutput}) {
      for (int k = 0; k <= static_cast<int>(GpuReduceKind::kArgMin); ++k) {
        GpuReduction op;
        op.kind = static_cast<GpuReduceKind>(k);
        op.strategy = strategy;
        op.select_last_index = k % 2 == 0;
        const bool arg = op.kind == GpuReduceKind::kArgMax || op.kind == GpuReduceKind::kArgMin;
        // Arg* reduce one axis; the others may reduce several.
        const std::vector<bool> mask = arg ? std::vector<bool>{false, true, false}
                                           : std::vector<bool>{false, true, true};
        const ops::GpuTensor target = arg ? ops::GpuTensor{1, DType::kInt64, {6, 7}} : out;
        const ops::KernelLaunch launch = ops::reduction::reduction_launch(op, in, target, mask);
        SCOPED_TRACE(launch.source);
        EXPECT_NO_THROW(core::compile_to_ptx(launch.source, launch.entry, {}, "sm_90"));
      }
    }
  }
}

TEST(ReductionLowering, AxesInputMustBeKnownAtBuildTime) {
  ir::Graph graph;
  ir::Value* x = graph.add_value("x");
  x->set_dtype(DType::kFloat32);
  x->set_shape(ir::from_static({4, 6}));
  ir::Value* axes = graph.add_value("axes");
  axes->set_dtype(DType::kInt64);
  axes->set_shape(ir::from_static({1}));
  ir::Value* y = graph.add_value("y");
  y->set_dtype(DType::kFloat32);
  y->set_shape(ir::from_static({4, 1}));
  ir::Node* node = graph.add_node("ReduceSum", "n", {x, axes}, {y});
  FakeLoweringContext ctx(*node, 18);
  try {
    ops::OpRegistry::builtin().find("ReduceSum")->lower_gpu(ctx);
    ADD_FAILURE() << "lowered without constant axes";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("input 'axes' of ReduceSum must be known at build time; "
                                         "pass it as a constant input"),
              std::string::npos)
        << e.what();
  }
}

TEST(ReductionLowering, NoopWithEmptyAxesAliases) {
  ir::Attributes a;
  a.set("noop_with_empty_axes", std::int64_t{1});
  NodeUnderTest t("ReduceSum", {random_tensor({3, 4}, DType::kFloat32, 1)}, a, 18);
  const auto ctx = t.lower(Precision::kFloat32);
  EXPECT_TRUE(ctx->layers().empty());
  EXPECT_EQ(ctx->aliases().size(), 1u);
}

TEST(ReductionLowering, ReduceOpsLowerToOneKernel) {
  for (const char* op : kReduceOps) {
    SCOPED_TRACE(op);
    NodeUnderTest t(op, {random_tensor({3, 5, 4}, DType::kFloat32, 2), ints({0, -1})},
                    keepdims(0), 18, 1, {1});
    const auto launches = expect_compiles(t, Precision::kFloat16);
    EXPECT_EQ(launches.size(), 1u);
  }
}

// --- GPU --------------------------------------------------------------------------

double reduce_tolerance(DType dtype, Precision precision) {
  if (dtype == DType::kFloat32 && precision == Precision::kFloat16) return 1e-2;
  if (dtype == DType::kFloat16) return 1e-2;
  if (dtype == DType::kFloat32) return 1e-5;
  if (dtype == DType::kFloat64) return 1e-12;
  return 0.0;
}

struct AxesCase {
  Shape shape;
  std::vector<std::int64_t> axes;
};

const std::vector<AxesCase> kAxesCases{
    {{7, 33, 5}, {1}},           // [outer, reduce, inner]
    {{5, 300}, {-1}},            // innermost: warp per output
    {{3, 5, 7, 4}, {0, 2}},      // not contiguous: general index map
    {{2, 3, 4}, {}},             // everything
    {{3, 5000}, {1}},            // few outputs, long rows: block per output
    {{6000, 3}, {0}},            // long column
};

TEST(ReductionLoweringGpu, ReduceOpsMatchCpuReference) {
  TRTUTILS_REQUIRE_GPU();
  for (const char* op : kReduceOps) {
    for (const DType dtype : {DType::kFloat32, DType::kFloat16, DType::kInt32, DType::kInt64}) {
      for (const AxesCase& c : kAxesCases) {
        for (const std::int64_t keep : {0, 1}) {
          SCOPED_TRACE(std::string(op) + " " + std::string(dtype_name(dtype)) + " " +
                       shape_to_string(c.shape) + " axes " + std::to_string(c.axes.size()));
          // Positive inputs for the logs and small ones for Prod.
          HostTensor x = random_tensor(c.shape, dtype, 11, 3);
          const std::string name = op;
          if (name == "ReduceLogSum" || name == "ReduceProd") {
            const bool floating = dtype == DType::kFloat32 || dtype == DType::kFloat16;
            for (std::int64_t i = 0; i < x.element_count(); ++i) {
              const double v = element_as_double(x.view(), i);
              // Products stay near 1; logs get positive sums (ints: |v|).
              const double value = name == "ReduceProd" && floating ? 1.0 + 0.001 * v
                                                                    : std::fabs(v) + 0.1;
              set_element_from_double(x.view(), i, value);
            }
          }
          std::vector<HostTensor> inputs{x};
          std::set<std::size_t> constants;
          if (!c.axes.empty()) {
            inputs.push_back(ints(c.axes));
            constants.insert(1);
          }
          NodeUnderTest t(op, inputs, keepdims(keep), 18, 1, constants);
          expect_matches_cpu(t, Precision::kFloat32, reduce_tolerance(dtype, Precision::kFloat32));
          if (dtype == DType::kFloat32) {
            expect_matches_cpu(t, Precision::kFloat16, reduce_tolerance(dtype, Precision::kFloat16));
          }
        }
      }
    }
  }
}

TEST(ReductionLoweringGpu, ArgMinMaxMatchCpuIndexWithTiesAndNaN) {
  TRTUTILS_REQUIRE_GPU();
  for (const char* op : {"ArgMax", "ArgMin"}) {
    for (const DType dtype : {DType::kFloat32, DType::kFloat16, DType::kInt32, DType::kUInt8}) {
      for (const AxesCase& c : kAxesCases) {
        if (c.axes.size() != 1) continue;
        for (const std::int64_t last : {0, 1}) {
          SCOPED_TRACE(std::string(op) + " " + std::string(dtype_name(dtype)) + " " +
                       shape_to_string(c.shape) + " last " + std::to_string(last));
          // Integers in [-2, 2]: many ties.
          HostTensor x = random_tensor(c.shape, dtype, 21, 2);
          if (dtype == DType::kFloat32) {
            // Round to halves for ties; a NaN at index 0 of some rows and elsewhere in others.
            for (std::int64_t i = 0; i < x.element_count(); ++i) {
              set_element_from_double(x.view(), i, std::round(element_as_double(x.view(), i) * 2) / 2);
            }
            for (std::int64_t i = 0; i < x.element_count(); i += 97) {
              set_element_from_double(x.view(), i, std::numeric_limits<double>::quiet_NaN());
            }
          }
          ir::Attributes a;
          a.set("axis", c.axes[0]);
          a.set("select_last_index", last);
          a.set("keepdims", last);
          NodeUnderTest t(op, {x}, a, 13);
          expect_matches_cpu(t, Precision::kFloat32, 0.0);
        }
      }
    }
  }
}

TEST(ReductionLoweringGpu, EveryStrategyGivesTheSameResult) {
  TRTUTILS_REQUIRE_GPU();
  // Shapes whose heuristic picks each strategy (ReductionStrategy test).
  const std::vector<std::pair<Shape, std::int64_t>> shapes{
      {{40, 33}, 1},    // warp
      {{40, 3}, 1},     // thread
      {{2, 9000}, 1},   // block
      {{9000, 2}, 0}};  // block over a strided column
  for (const auto& [shape, axis] : shapes) {
    for (const char* op : {"ReduceSum", "ReduceMax", "ArgMax"}) {
      SCOPED_TRACE(std::string(op) + " " + shape_to_string(shape));
      ir::Attributes a;
      a.set("axis", axis);
      std::vector<HostTensor> inputs{random_tensor(shape, DType::kFloat32, 5)};
      std::set<std::size_t> constants;
      if (std::string(op) != "ArgMax") {
        a = ir::Attributes();
        inputs.push_back(ints({axis}));
        constants.insert(1);
      }
      NodeUnderTest t(op, inputs, a, 18, 1, constants);
      expect_matches_cpu(t, Precision::kFloat32, std::string(op) == "ReduceSum" ? 1e-5 : 0.0);
    }
  }
}

}  // namespace
}  // namespace trtutils::testing
