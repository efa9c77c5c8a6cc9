// GPU lowerings of the reduction family (Reduce*, ArgMax, ArgMin). CPU: the
// strategy heuristic, build-time axes, identity for noop_with_empty_axes and
// NVRTC compilation of every kind x dtype x strategy. GPU: float reductions vs
// a float64 reference within a forward error bound (see
// expect_float_reduction_within_bound), integer reductions, Max/Min and
// ArgMax/ArgMin exactly; every strategy forced, ties and NaNs for Arg*.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

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
  EXPECT_EQ(ops::reduction::choose_strategy({512, 64}, {true, false}), S::kColumnSplit);
  // A spatial mean over NHWC (squeeze-excitation): the channels stay innermost.
  EXPECT_EQ(ops::reduction::choose_strategy({32, 56, 56, 96}, {false, true, true, false}),
            S::kColumnSplit);
  EXPECT_EQ(ops::reduction::choose_strategy({8, 64}, {true, false}), S::kThreadPerOutput);
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
                                ReduceStrategy::kBlockPerOutput, ReduceStrategy::kColumnSplit}) {
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

/// The dims of `shape` that `axes` (empty: all) reduce.
std::vector<bool> reduced_mask(const Shape& shape, const std::vector<std::int64_t>& axes) {
  const auto rank = static_cast<std::int64_t>(shape.size());
  std::vector<bool> mask(shape.size(), axes.empty());
  for (const std::int64_t a : axes) mask[static_cast<std::size_t>(a < 0 ? a + rank : a)] = true;
  return mask;
}

/// Rounded additions on the longest path of the GPU's summation of one output:
/// each of `group` lanes adds ceil(n / group) elements serially, then shuffle
/// trees combine the lanes (depth 5 for a warp, 5 + 5 for a block).
double summation_depth(const Shape& shape, const std::vector<bool>& mask) {
  std::int64_t n = 1;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (mask[d]) n *= shape[d];
  }
  std::int64_t group = 1;
  double levels = 0;
  switch (ops::reduction::choose_strategy(shape, mask)) {
    case ReduceStrategy::kThreadPerOutput: break;
    case ReduceStrategy::kWarpPerOutput:
      group = 32;
      levels = 5;
      break;
    case ReduceStrategy::kBlockPerOutput:
      group = 256;
      levels = 10;
      break;
    case ReduceStrategy::kColumnSplit:
      group = ops::reduction::kColumnSplitRows;
      levels = static_cast<double>(group - 1);  // row 0 merges the others one by one
      break;
  }
  return static_cast<double>((n + group - 1) / group - 1) + levels;
}

/// Unit roundoff of the type a float tensor of `dtype` is stored in.
double unit_roundoff(DType dtype, Precision precision) {
  switch (FakeLoweringContext::storage_dtype(dtype, precision)) {
    case DType::kFloat16: return 0x1p-11;
    case DType::kBFloat16: return 0x1p-8;
    case DType::kFloat64: return 0x1p-53;
    default: return 0x1p-24;
  }
}

/// A float reduction computed on the GPU (f32 accumulation) vs the float64
/// reference (the CPU reference on the storage-rounded inputs cast to f64).
/// Comparing with the CPU's own f32 result, which sums in another order, and
/// relative to |result| is the wrong oracle where the sum cancels. Instead:
/// with u = 2^-24, k the summation depth (summation_depth) and, per output,
/// A = sum |x|, Q = sum x^2, R the f64 result, |gpu - R| must be at most
///   Sum, L1:   k u A                Mean:   (k + 1) u A / n
///   SumSquare: (k + 1) u Q          L2:     (k + 2) u R
///   Prod:      n u |R| (n - 1 rounded products in any order)
///   LogSum:    (k + 2) u A / |sum x| + 4 u |R| (logf: 1 ulp)
///   LogSumExp: (k + 8) u + 4 u |R| (expf: 2 ulp on positive terms)
///   Max, Min:  0 (an input element is selected)
/// plus the rounding to the output's storage type. These are forward error
/// bounds (first order in u), not fitted tolerances.
void expect_float_reduction_within_bound(const std::string& op, const HostTensor& x,
                                         const std::vector<std::int64_t>& axes, std::int64_t keep,
                                         Precision precision) {
  const HostTensor stored = round_to_storage(x, precision);
  const HostTensor wide = stored.cast(DType::kFloat64);
  const std::set<std::size_t> constants =
      axes.empty() ? std::set<std::size_t>{} : std::set<std::size_t>{1};
  const auto node = [&](const std::string& name, const HostTensor& input) {
    std::vector<HostTensor> inputs{input};
    if (!axes.empty()) inputs.push_back(ints(axes));
    return std::make_unique<NodeUnderTest>(name, inputs, keepdims(keep), 18, 1, constants);
  };
  const HostTensor reference = node(op, wide)->run_cpu().at(0);
  const HostTensor l1 = node("ReduceL1", wide)->run_cpu().at(0);
  const HostTensor sum = node("ReduceSum", wide)->run_cpu().at(0);
  const HostTensor squares = node("ReduceSumSquare", wide)->run_cpu().at(0);
  if (!gpu_unavailable_reason().empty()) return;
  const auto gpu_node = node(op, stored);
  const std::vector<HostTensor> actual = run_lowered(*gpu_node, precision);
  ASSERT_EQ(actual.size(), 1u);
  ASSERT_EQ(actual[0].shape(), l1.shape()) << op;
  const std::vector<bool> mask = reduced_mask(x.shape(), axes);
  double n = 1;
  for (std::size_t d = 0; d < mask.size(); ++d) {
    if (mask[d]) n *= static_cast<double>(x.shape()[d]);
  }
  const double k = summation_depth(x.shape(), mask);
  const double u = 0x1p-24;
  const double u_out = unit_roundoff(x.dtype(), precision);
  int mismatches = 0;
  for (std::int64_t i = 0; i < actual[0].element_count(); ++i) {
    const auto j = static_cast<std::size_t>(i);
    const double a = l1.values<double>()[j];
    const double q = squares.values<double>()[j];
    const double e = reference.values<double>()[j];
    double bound = 0;
    if (op == "ReduceSum" || op == "ReduceL1") bound = k * u * a;
    if (op == "ReduceMean") bound = (k + 1) * u * a / n;
    if (op == "ReduceSumSquare") bound = (k + 1) * u * q;
    if (op == "ReduceL2") bound = (k + 2) * u * std::fabs(e);
    if (op == "ReduceProd") bound = n * u * std::fabs(e);
    if (op == "ReduceLogSum") {
      bound = (k + 2) * u * a / std::fabs(sum.values<double>()[j]) + 4 * u * std::fabs(e);
    }
    if (op == "ReduceLogSumExp") bound = (k + 8) * u + 4 * u * std::fabs(e);
    bound = bound * (1 + u_out) + (u_out == u ? 0.0 : u_out * std::fabs(e));
    const double g = element_as_double(actual[0].view(), i);
    if (!(std::fabs(g - e) <= bound) && mismatches++ < 8) {
      ADD_FAILURE() << op << " " << shape_to_string(x.shape()) << " ("
                    << plan::precision_name(precision) << ") [" << i << "] got " << g
                    << ", float64 reference " << e << ", |error| " << std::fabs(g - e)
                    << " > bound " << bound << " (k " << k << ", sum |x| " << a << ")";
    }
  }
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
          if (dtype == DType::kFloat32 || dtype == DType::kFloat16) {
            expect_float_reduction_within_bound(name, x, c.axes, keep, Precision::kFloat32);
            if (dtype == DType::kFloat32) {
              expect_float_reduction_within_bound(name, x, c.axes, keep, Precision::kFloat16);
            }
          } else {
            NodeUnderTest t(op, inputs, keepdims(keep), 18, 1, constants);
            expect_matches_cpu(t, Precision::kFloat32, 0.0);  // integers: exact
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
      {{9000, 2}, 0},   // block over a strided column
      {{300, 40}, 0},   // column split
      {{4, 200, 48}, 1}};  // column split, kept dims on both sides
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
      if (std::string(op) == "ReduceSum") {
        expect_float_reduction_within_bound(op, inputs[0], {axis}, 1, Precision::kFloat32);
        continue;
      }
      NodeUnderTest t(op, inputs, a, 18, 1, constants);
      expect_matches_cpu(t, Precision::kFloat32, 0.0);
    }
  }
}

}  // namespace
}  // namespace trtutils::testing
