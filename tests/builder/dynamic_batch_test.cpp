// Dynamic batch in the builder, on the CPU (autotune off, arch given): which
// buckets a profile builds, the batch-independence check that must refuse
// models mixing samples, and a real build (builtin lowerings) into one plan
// with buckets sharing one weights section.
#include <gtest/gtest.h>

#include <string>

#include "builder/batch_independence.hpp"
#include "builder/graph_copy.hpp"
#include "builder/tiny_models.hpp"
#include "error_text.hpp"
#include "trtutils/builder/build_options.hpp"
#include "trtutils/builder/builder.hpp"
#include "trtutils/passes/passes.hpp"
#include "trtutils/plan/batch_buckets.hpp"
#include "trtutils/plan/plan_reader.hpp"
#include "trtutils/plan/plan_writer.hpp"

namespace trtutils::builder {
namespace {

std::vector<std::int64_t> buckets_of(std::int64_t min, std::int64_t opt, std::int64_t max,
                                     std::vector<std::int64_t> extra = {}) {
  return batch_buckets(BatchProfile{min, opt, max, std::move(extra)});
}

using test::expect_contains;
using test::message_of;

TEST(BatchBuckets, MinOptMaxAndThePowersOfTwoBetween) {
  EXPECT_EQ(buckets_of(1, 4, 16), (std::vector<std::int64_t>{1, 2, 4, 8, 16}));
  EXPECT_EQ(buckets_of(1, 1, 1), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(buckets_of(3, 5, 20), (std::vector<std::int64_t>{3, 4, 5, 8, 16, 20}));
  EXPECT_EQ(buckets_of(6, 6, 7), (std::vector<std::int64_t>{6, 7}));
}

TEST(BatchBuckets, ManyPowersAreThinnedEvenlyToTheCap) {
  const std::vector<std::int64_t> b = buckets_of(1, 1, 1024);
  ASSERT_EQ(b.size(), kMaxBatchBuckets);
  EXPECT_EQ(b.front(), 1);
  EXPECT_EQ(b.back(), 1024);
  EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
  for (const std::int64_t n : b) EXPECT_EQ(n & (n - 1), 0) << n << " is not a power of two";
  // Spread over the range: both small and large powers are kept.
  EXPECT_LE(b[1], 4);
  EXPECT_GE(b[b.size() - 2], 256);
}

TEST(BatchBuckets, ExplicitBucketsReplaceThePowersOfTwo) {
  EXPECT_EQ(buckets_of(1, 4, 16, {6, 12}), (std::vector<std::int64_t>{1, 4, 6, 12, 16}));
  EXPECT_EQ(buckets_of(1, 4, 16, {4, 16}), (std::vector<std::int64_t>{1, 4, 16}));
}

TEST(BatchBuckets, ExplicitBucketsOutsideTheRangeOrTooManyAreRefused) {
  expect_contains(message_of<InvalidArgument>([] { (void)buckets_of(2, 4, 16, {1}); }),
                  "batch bucket 1 lies outside the profile's 2..16");
  expect_contains(message_of<InvalidArgument>([] {
                    (void)buckets_of(1, 4, 64, {2, 3, 5, 6, 7, 9});
                  }),
                  "9 batch buckets (with min, opt and max); at most 8");
  BuildOptions o;
  o.batch = BatchProfile{1, 4, 16, {17}};
  EXPECT_THROW(validate_options(o), InvalidArgument);
}

TEST(BatchBuckets, DescribedWithTheBuckets) {
  BuildOptions o;
  o.batch = BatchProfile{1, 4, 16};
  EXPECT_EQ(describe_options(o).at("batch"), "1/4/16 (buckets 1,2,4,8,16)");
  o.batch = BatchProfile{8, 8, 8};
  EXPECT_EQ(describe_options(o).at("batch"), "8");
}

// --- the batch-independence check, on graphs prepared at batch 4 ---

struct GraphMaker {
  ir::Graph g;
  GraphMaker() { g.opset_imports[""] = 17; }
  ir::Value* input(const std::string& name, ir::DimList dims) {
    ir::Value* v = g.add_value(name);
    v->set_dtype(DType::kFloat32);
    v->set_shape(std::move(dims));
    g.inputs().push_back(v);
    return v;
  }
  ir::Value* constant(const std::string& name, HostTensor t) {
    ir::Value* v = g.add_value(name);
    v->set_constant(std::move(t));
    return v;
  }
  ir::Value* node(const std::string& op, std::vector<ir::Value*> ins, ir::Attributes a = {}) {
    ir::Value* out = g.add_unique_value(op + "_out");
    g.add_node(op, op + std::to_string(g.node_count()), std::move(ins), {out}, std::move(a));
    return out;
  }
  ir::Graph& prepared(ir::Value* output) {
    g.outputs().push_back(output);
    passes::infer_shapes(g);
    return g;
  }
};

using test_models::ramp;

ir::Attributes ints(const std::string& name, std::vector<std::int64_t> values) {
  ir::Attributes a;
  a.set(name, std::move(values));
  return a;
}

ir::Attributes one(const std::string& name, std::int64_t value) {
  ir::Attributes a;
  a.set(name, value);
  return a;
}

std::string refusal(ir::Graph& g) {
  return message_of<UnsupportedError>([&] { check_batch_independent(g, {"x"}, 4); });
}

TEST(BatchIndependence, PerSampleChainPasses) {
  GraphMaker m;
  ir::Value* x = m.input("x", {4, 3, 8, 8});
  ir::Value* y = m.node("Conv", {x, m.constant("w", ramp({4, 3, 3, 3}, 0.4f, 0.1f))});
  y = m.node("Relu", {y});
  y = m.node("Softmax", {y}, one("axis", 1));
  y = m.node("Flatten", {y});
  y = m.node("Gemm", {y, m.constant("fc", ramp({144, 5}, 0.1f, 0.2f))});
  EXPECT_NO_THROW(check_batch_independent(m.prepared(y), {"x"}, 4));
}

TEST(BatchIndependence, SoftmaxOverAxisZeroIsRefused) {
  GraphMaker m;
  ir::Value* y = m.node("Relu", {m.input("x", {4, 10})});
  y = m.node("Softmax", {y}, one("axis", 0));
  const std::string message = refusal(m.prepared(y));
  expect_contains(message, "(Softmax) works along axis 0 (the batch)");
  expect_contains(message, "build with a fixed batch (min = opt = max) instead");
}

TEST(BatchIndependence, NegativeAxisNamingAxisZeroIsRefused) {
  GraphMaker m;
  ir::Value* y = m.node("Softmax", {m.input("x", {4, 10})}, one("axis", -2));
  expect_contains(refusal(m.prepared(y)), "works along axis 0");
}

TEST(BatchIndependence, TransposeMovingTheBatchIsRefused) {
  GraphMaker m;
  ir::Value* y = m.node("Transpose", {m.input("x", {4, 10})}, ints("perm", {1, 0}));
  expect_contains(refusal(m.prepared(y)), "(Transpose) moves axis 0 (the batch) elsewhere");
}

TEST(BatchIndependence, ReshapeFoldingTheBatchIntoFeaturesIsRefused) {
  GraphMaker m;
  ir::Value* shape = m.constant("shape", HostTensor::from_values<std::int64_t>({2}, {1, -1}));
  ir::Value* y = m.node("Reshape", {m.input("x", {4, 10}), shape});
  expect_contains(refusal(m.prepared(y)),
                  "of shape [1, 40] from the batch; its axis 0 must stay "
                  "the batch (4 here)");
}

TEST(BatchIndependence, ReductionOverTheBatchIsRefused) {
  GraphMaker m;
  ir::Value* y = m.node("ReduceMean", {m.input("x", {4, 10})}, ints("axes", {0}));
  expect_contains(refusal(m.prepared(y)), "(ReduceMean) works along axis 0");
}

TEST(BatchIndependence, GatherDefaultsToAxisZero) {
  GraphMaker m;
  ir::Value* indices = m.constant("i", HostTensor::from_values<std::int64_t>({4}, {3, 2, 1, 0}));
  ir::Value* y = m.node("Gather", {m.input("x", {4, 10}), indices});
  expect_contains(refusal(m.prepared(y)), "(Gather) works along axis 0");
}

TEST(BatchIndependence, EmbeddingLookupWithBatchedIndicesPasses) {
  // Gather along axis 0 of a constant table, indexed by the batched input:
  // each sample reads the table on its own.
  GraphMaker m;
  ir::Value* ids = m.g.add_value("x");
  ids->set_dtype(DType::kInt64);
  ids->set_shape(ir::DimList{4, 6});
  m.g.inputs().push_back(ids);
  ir::Value* y = m.node("Gather", {m.constant("table", ramp({20, 8}, 1.0f, 0.0f)), ids});
  EXPECT_NO_THROW(check_batch_independent(m.prepared(y), {"x"}, 4));
}

TEST(BatchIndependence, ValuesNotComputedFromTheBatchAreFree) {
  // A static second input may be reshaped freely; only batched values are followed.
  GraphMaker m;
  ir::Value* x = m.input("x", {4, 10});
  ir::Value* s = m.input("s", {2, 5});
  ir::Value* flat =
      m.node("Reshape", {s, m.constant("shape", HostTensor::from_values<std::int64_t>({1}, {10}))});
  ir::Value* y = m.node("Add", {x, flat});
  EXPECT_NO_THROW(check_batch_independent(m.prepared(y), {"x"}, 4));
}

TEST(GraphCopy, CopiesValuesNodesAndIoIndependently) {
  GraphMaker m;
  ir::Value* y = m.node("Relu", {m.input("x", {ir::Dim::symbolic("n"), 3})});
  m.g.outputs().push_back(y);
  ir::Graph copy = copy_graph(m.g);
  ASSERT_EQ(copy.inputs().size(), 1u);
  EXPECT_NE(copy.inputs()[0], m.g.inputs()[0]);
  EXPECT_EQ(copy.inputs()[0]->name(), "x");
  EXPECT_EQ(ir::to_string(copy.inputs()[0]->shape()), ir::to_string(m.g.inputs()[0]->shape()));
  ASSERT_EQ(copy.nodes().size(), 1u);
  EXPECT_EQ(copy.nodes()[0]->input(0), copy.inputs()[0]);
  EXPECT_EQ(copy.outputs()[0]->producer(), copy.nodes()[0]);
  copy.inputs()[0]->set_shape(ir::DimList{2, 3});  // the original is untouched
  EXPECT_FALSE(ir::is_static(m.g.inputs()[0]->shape()));
  EXPECT_NO_THROW(copy.validate());
}

// --- whole builds (builtin lowerings, no GPU) ---

BuildOptions cpu_options(BatchProfile profile) {
  BuildOptions o;
  o.autotune = false;
  o.target_arch = "sm_90";
  o.batch = std::move(profile);
  return o;
}

ir::Graph conv_relu_gemm() {
  GraphMaker m;
  ir::Value* x = m.input("image", {ir::Dim::symbolic("n"), 3, 8, 8});
  ir::Attributes conv;
  conv.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  ir::Value* y = m.node(
      "Conv",
      {x, m.constant("w", ramp({4, 3, 3, 3}, 0.4f, 0.1f)), m.constant("b", ramp({4}, 0.1f, 0.7f))},
      conv);
  y = m.node("Relu", {y});
  y = m.node("GlobalAveragePool", {y});
  y = m.node("Flatten", {y});
  ir::Attributes gemm;
  gemm.set("transB", std::int64_t{1});
  y = m.node(
      "Gemm",
      {y, m.constant("fc", ramp({5, 4}, 0.6f, 0.3f)), m.constant("fc_b", ramp({5}, 0.2f, 1.1f))},
      gemm);
  m.g.outputs().push_back(y);
  return std::move(m.g);
}

TEST(DynamicBatchBuild, ConvReluGemmGetsABucketPerBatchSizeAndOneCopyOfTheWeights) {
  const plan::Plan p = build(conv_relu_gemm(), cpu_options({1, 4, 16}));
  ASSERT_TRUE(p.batch_range.has_value());
  EXPECT_EQ(plan::bucket_batches(p), (std::vector<std::int64_t>{1, 2, 4, 8, 16}));
  ASSERT_EQ(p.io.size(), 2u);
  EXPECT_EQ(p.io[0].dims, (std::vector<std::int64_t>{plan::kDynamicDim, 3, 8, 8}));
  EXPECT_EQ(p.io[1].dims, (std::vector<std::int64_t>{plan::kDynamicDim, 5}));
  EXPECT_EQ(p.io[1].profile->max, (std::vector<std::int64_t>{16, 5}));
  // The weights of one static build: each constant once, however many buckets.
  const plan::Plan single = build(conv_relu_gemm(), cpu_options({4, 4, 4}));
  EXPECT_EQ(p.weights.size(), single.weights.size());
  for (const std::int64_t b : plan::bucket_batches(p)) {
    const plan::Plan bucket = plan::bucket_plan(p, b);
    EXPECT_EQ(bucket.tensors[bucket.find_tensor("image")->id].dims,
              (std::vector<std::int64_t>{b, 3, 8, 8}));
  }
  // The largest bucket needs the most activation memory.
  EXPECT_GT(p.batch_buckets.back().arena_bytes, p.arena_bytes);
}

TEST(DynamicBatchBuild, PlanSurvivesWriteAndRead) {
  const plan::Plan p = build(conv_relu_gemm(), cpu_options({1, 4, 16}));
  EXPECT_EQ(plan::read_plan_bytes(plan::write_plan_bytes(p)), p);
}

TEST(DynamicBatchBuild, AModelMixingSamplesIsRefusedBeforeBuildingBuckets) {
  GraphMaker m;
  ir::Value* y = m.node("Relu", {m.input("x", {ir::Dim::symbolic("n"), 10})});
  y = m.node("Softmax", {y}, one("axis", 0));
  m.g.outputs().push_back(y);
  const std::string message = message_of<UnsupportedError>([&] {
    (void)build(std::move(m.g), cpu_options({1, 4, 16}));
  });
  expect_contains(message, "BuildOptions::batch: a dynamic batch runs every sample on its own");
  expect_contains(message, "(Softmax) works along axis 0");
}

TEST(DynamicBatchBuild, TheSameModelBuildsWithAFixedBatch) {
  GraphMaker m;
  ir::Value* y = m.node("Relu", {m.input("x", {ir::Dim::symbolic("n"), 10})});
  y = m.node("Softmax", {y}, one("axis", 0));
  m.g.outputs().push_back(y);
  const plan::Plan p = build(std::move(m.g), cpu_options({4, 4, 4}));
  EXPECT_FALSE(p.batch_range.has_value());
  EXPECT_EQ(p.io[0].dims, (std::vector<std::int64_t>{4, 10}));
}

TEST(DynamicBatchBuild, AProfileOnAModelWithoutADynamicBatchBuildsItStatically) {
  GraphMaker m;
  ir::Value* y = m.node("Relu", {m.input("x", {2, 10})});
  m.g.outputs().push_back(y);
  const plan::Plan p = build(std::move(m.g), cpu_options({1, 4, 16}));
  EXPECT_FALSE(p.batch_range.has_value());
  EXPECT_EQ(p.io[0].dims, (std::vector<std::int64_t>{2, 10}));
}

TEST(DynamicBatchBuild, ProgressStaysMonotonicAcrossBuckets) {
  BuildOptions o = cpu_options({1, 2, 4});
  std::vector<double> seen;
  std::vector<std::string> stages;
  o.progress = [&](std::string_view stage, double fraction) {
    seen.push_back(fraction);
    stages.emplace_back(stage);
  };
  (void)build(conv_relu_gemm(), o);
  ASSERT_FALSE(seen.empty());
  for (std::size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GE(seen[i], seen[i - 1])
        << stages[i - 1] << " " << seen[i - 1] << " then " << stages[i] << " " << seen[i];
  }
  EXPECT_EQ(seen.back(), 1.0);
  EXPECT_EQ(stages.back(), "done");
  EXPECT_EQ(std::count(stages.begin(), stages.end(), "done"), 1);
}

}  // namespace
}  // namespace trtutils::builder
