// The builder on the CPU (autotune off, arch given): option validation,
// error reports, IO/precision casts, alias rules, weights packing, arena,
// cubins, and that the plan survives write/read. Lowerings here are the
// test's own (a registry copy), so the builder is checked independently of
// the op families' GPU code — except the data-dependent (NonZero, NMS) and
// empty-tensor tests at the end, which use the builtin lowerings because the
// contract under test is between them, the builder and the runtime.
#include <gtest/gtest.h>

#include "ops/gpu_codegen.hpp"
#include "runtime/engine_impl.hpp"
#include "trtutils/builder/builder.hpp"
#include "trtutils/ops/gpu_lowering.hpp"
#include "trtutils/plan/layer_kinds.hpp"
#include "trtutils/plan/plan_reader.hpp"
#include "trtutils/plan/plan_writer.hpp"

namespace trtutils::builder {
namespace {

namespace lk = plan::layer_kinds;

void unary_kernel(ops::LoweringContext& ctx) {
  const ops::GpuTensor x = ctx.input(0);
  const ops::GpuTensor y = ctx.output(0);
  ops::KernelLaunch launch;
  launch.entry = "test_relu";
  launch.source = ops::gpu::kernel_preamble() + "extern \"C\" __global__ void test_relu(const " +
                  ops::gpu::cuda_type(x.dtype) + "* x, " + ops::gpu::cuda_type(y.dtype) +
                  "* y, long long n) { for (long long i = trt_tid(); i < n; i += trt_stride()) { "
                  "float v = " + ops::gpu::load_expr(x.dtype, "x[i]") + "; y[i] = " +
                  ops::gpu::store_expr(y.dtype, "v > 0 ? v : 0.0f") + "; } }\n";
  launch.arguments = {ops::KernelArgument::pointer_to(x), ops::KernelArgument::pointer_to(y),
                      ops::KernelArgument::scalar<long long>(x.element_count())};
  ops::gpu::set_linear_launch(launch, x.element_count());
  ctx.emit_kernel("relu", std::move(launch));
}

/// The builtin registry with test lowerings for Relu (a kernel) and Reshape (an alias).
const ops::OpRegistry& test_registry() {
  static const ops::OpRegistry registry = [] {
    ops::OpRegistry r;
    for (const std::string& op : ops::OpRegistry::builtin().op_types()) {
      const ops::OpSchema* s = ops::OpRegistry::builtin().find(op);
      if (!s) continue;
      ops::OpSchema copy = *s;
      copy.lower_gpu = {};
      if (op == "Relu") copy.lower_gpu = unary_kernel;
      if (op == "Reshape") copy.lower_gpu = [](ops::LoweringContext& c) { c.alias_output(0, 0); };
      r.add(std::move(copy));
    }
    return r;
  }();
  return registry;
}

BuildOptions cpu_options() {
  BuildOptions o;
  o.autotune = false;
  o.target_arch = "sm_90";
  o.fuse = false;
  return o;
}

ir::Value* input(ir::Graph& g, const std::string& name, ir::DimList dims) {
  ir::Value* v = g.add_value(name);
  v->set_dtype(DType::kFloat32);
  v->set_shape(std::move(dims));
  g.inputs().push_back(v);
  return v;
}

ir::Value* add(ir::Graph& g, const std::string& op, std::vector<ir::Value*> ins) {
  ir::Value* out = g.add_unique_value(op + "_out");
  g.add_node(op, op + std::to_string(g.node_count()), std::move(ins), {out});
  return out;
}

ir::Value* shape_constant(ir::Graph& g, const std::string& name, std::vector<std::int64_t> dims) {
  ir::Value* v = g.add_value(name);
  const auto n = static_cast<std::int64_t>(dims.size());
  v->set_constant(HostTensor::from_values<std::int64_t>({n}, dims));
  return v;
}

/// x[2,3] -> Relu -> Reshape[6] -> Relu -> y; and z = Reshape(x) (an alias of an input).
ir::Graph relu_reshape_graph(ir::DimList x_dims = {2, 3}) {
  ir::Graph g;
  g.opset_imports[""] = 17;
  ir::Value* x = input(g, "x", std::move(x_dims));
  ir::Value* a = add(g, "Relu", {x});
  ir::Value* r = add(g, "Reshape", {a, shape_constant(g, "s", {6})});
  g.outputs().push_back(add(g, "Relu", {r}));
  g.outputs().push_back(add(g, "Reshape", {x, shape_constant(g, "s2", {3, 2})}));
  return g;
}

int count_kernel(const plan::Plan& p, const std::string& kernel) {
  int n = 0;
  for (const auto& l : p.layers) n += l.kernel == kernel;
  return n;
}

TEST(BuildOptions, RejectsBadValues) {
  BuildOptions o = cpu_options();
  o.target_arch = "compute_90";
  EXPECT_THROW(validate_options(o), InvalidArgument);
  o = cpu_options();
  o.batch = BatchProfile{4, 2, 8};
  EXPECT_THROW(validate_options(o), InvalidArgument);
  o = cpu_options();
  o.autotune = true;
  o.max_workspace_bytes = 0;
  EXPECT_THROW(validate_options(o), InvalidArgument);
  EXPECT_NO_THROW(validate_options(cpu_options()));
}

TEST(Builder, BuildsWithoutAGpuWhenArchIsGiven) {
  const plan::Plan p = build(relu_reshape_graph(), cpu_options(), test_registry());
  EXPECT_EQ(p.header.target_arch, "sm_90");
  ASSERT_EQ(p.io.size(), 3u);
  EXPECT_EQ(p.io[0].name, "x");
  // Two Relu kernels; the internal Reshape is free (alias), the Reshape of
  // the input x into a graph output must copy (outputs never share an input's bytes).
  EXPECT_EQ(count_kernel(p, lk::kNvrtcKernel), 2);
  EXPECT_EQ(count_kernel(p, lk::kCopy), 1);
  for (const auto& l : p.layers) {
    if (l.kernel == lk::kNvrtcKernel) {
      EXPECT_FALSE(l.params.get_bytes(lk::nvrtc::kCubin).empty());
    }
  }
}

TEST(Builder, InternalAliasSharesTheTensor) {
  const plan::Plan p = build(relu_reshape_graph(), cpu_options(), test_registry());
  // Relu#1 writes an activation that Relu#2 reads directly (no tensor for the Reshape).
  std::vector<const plan::LayerDesc*> kernels;
  for (const auto& l : p.layers) if (l.kernel == lk::kNvrtcKernel) kernels.push_back(&l);
  ASSERT_EQ(kernels.size(), 2u);
  EXPECT_EQ(kernels[0]->outputs.at(0), kernels[1]->inputs.at(0));
}

TEST(Builder, Fp16BuildCastsAtTheBoundary) {
  BuildOptions o = cpu_options();
  o.precision = plan::Precision::kFloat16;
  const plan::Plan p = build(relu_reshape_graph(), o, test_registry());
  EXPECT_EQ(p.io[0].dtype, DType::kFloat32);
  EXPECT_EQ(p.io[1].dtype, DType::kFloat32);
  for (const auto& t : p.tensors) {
    if (t.kind == plan::TensorKind::kActivation) {
      EXPECT_EQ(t.dtype, DType::kFloat16) << t.name;
    }
  }
  // cast in, Relu, Relu, cast out; cast in -> f32 output z (a cast, not a copy).
  EXPECT_EQ(count_kernel(p, lk::kNvrtcKernel), 5);
}

TEST(Builder, Fp32NodesKeepF32TensorsWithCastsWhereTheyMeetTheRest) {
  BuildOptions o = cpu_options();
  o.precision = plan::Precision::kFloat16;
  o.fp32_nodes = {"^Relu0$"};  // the first Relu (names are op + node count)
  const plan::Plan p = build(relu_reshape_graph(), o, test_registry());
  const auto tensor_named = [&](const std::string& name) -> const plan::TensorDesc* {
    for (const auto& t : p.tensors) {
      if (t.name == name) return &t;
    }
    return nullptr;
  };
  // The pinned Relu reads the engine input directly (no f16 round trip) and
  // writes f32; the second Relu reads an f16 copy of it.
  const plan::LayerDesc* first = nullptr;
  const plan::LayerDesc* second = nullptr;
  for (const auto& l : p.layers) {
    if (l.name == "Relu0/relu") first = &l;
    if (l.name == "Relu2/relu") second = &l;
  }
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(p.tensor(first->inputs.at(0)).kind, plan::TensorKind::kInput);
  EXPECT_EQ(p.tensor(first->outputs.at(0)).dtype, DType::kFloat32);
  EXPECT_EQ(first->precision, plan::Precision::kFloat32);
  EXPECT_EQ(p.tensor(second->inputs.at(0)).dtype, DType::kFloat16);
  EXPECT_EQ(second->precision, plan::Precision::kFloat16);
  // The copy is made once, by a cast layer named after the value.
  const plan::TensorDesc* copy = tensor_named("Reshape_out__1:f16");
  ASSERT_NE(copy, nullptr) << [&] {
    std::string names;
    for (const auto& t : p.tensors) names += t.name + " ";
    return names;
  }();
  EXPECT_EQ(second->inputs.at(0), copy->id);
  EXPECT_EQ(p.header.builder_options.at("fp32_nodes"), "^Relu0$");
}

TEST(Builder, Fp32NodesEverywhereLeaveNoInputCast) {
  BuildOptions o = cpu_options();
  o.precision = plan::Precision::kFloat16;
  o.fp32_nodes = {"."};
  const plan::Plan p = build(relu_reshape_graph(), o, test_registry());
  for (const auto& l : p.layers) {
    EXPECT_FALSE(l.name.starts_with("cast_input:")) << l.name << " casts an input nobody reads";
    EXPECT_EQ(l.precision, plan::Precision::kFloat32) << l.name;
  }
  for (const auto& t : p.tensors) EXPECT_NE(t.dtype, DType::kFloat16) << t.name;
}

TEST(Builder, Fp32NodesPatternMustBeARegex) {
  BuildOptions o = cpu_options();
  o.precision = plan::Precision::kFloat16;
  o.fp32_nodes = {"(unclosed"};
  try {
    build(relu_reshape_graph(), o, test_registry());
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("(unclosed"), std::string::npos) << e.what();
  }
}

TEST(Builder, DynamicInputDimIsNamed) {
  try {
    build(relu_reshape_graph({ir::Dim::symbolic("batch"), 3}), cpu_options(), test_registry());
    FAIL() << "expected an error";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("input 'x' dim 0 ('batch')"), std::string::npos) << e.what();
  }
}

TEST(Builder, OneBatchSizeSpecialisesTheDynamicDim) {
  ir::Graph g;
  g.opset_imports[""] = 17;
  g.outputs().push_back(add(g, "Relu", {input(g, "x", {ir::Dim::symbolic("n"), 3})}));
  BuildOptions o = cpu_options();
  o.batch = BatchProfile{4, 4, 4};
  const plan::Plan p = build(std::move(g), o, test_registry());
  EXPECT_EQ(p.io[0].dims, (std::vector<std::int64_t>{4, 3}));
  EXPECT_FALSE(p.batch_range.has_value());
}

TEST(Builder, BatchRangeBuildsOneBucketPerBatchSize) {
  ir::Graph g;
  g.opset_imports[""] = 17;
  g.outputs().push_back(add(g, "Relu", {input(g, "x", {ir::Dim::symbolic("n"), 3})}));
  BuildOptions o = cpu_options();
  o.batch = BatchProfile{1, 4, 8};
  const plan::Plan p = build(std::move(g), o, test_registry());
  EXPECT_EQ(p.io[0].dims, (std::vector<std::int64_t>{plan::kDynamicDim, 3}));
  ASSERT_TRUE(p.batch_range.has_value());
  EXPECT_EQ(*p.batch_range, (plan::BatchRange{1, 4, 8}));
  EXPECT_EQ(p.tensors[p.find_tensor("x")->id].dims, (std::vector<std::int64_t>{4, 3}));
  ASSERT_EQ(p.batch_buckets.size(), 3u);  // 1, 2, 8 (4 is the plan's own)
  EXPECT_EQ(p.batch_buckets[2].batch, 8);
  EXPECT_EQ(p.header.builder_options.at("batch"), "1/4/8 (buckets 1,2,4,8)");
}

TEST(Builder, EveryNodeWithoutALoweringIsListedAtOnce) {
  ir::Graph g;
  g.opset_imports[""] = 17;
  ir::Value* x = input(g, "x", {4});
  ir::Value* a = add(g, "Sigmoid", {x});
  g.outputs().push_back(add(g, "Tanh", {a}));
  try {
    build(std::move(g), cpu_options(), test_registry());
    FAIL() << "expected UnsupportedError";
  } catch (const UnsupportedError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("Sigmoid"), std::string::npos) << what;
    EXPECT_NE(what.find("Tanh"), std::string::npos) << what;
  }
}

TEST(Builder, ConstantInputMustBeAGraphInput) {
  BuildOptions o = cpu_options();
  o.constant_inputs["nope"] = HostTensor::from_values<float>({1}, {1.0f});
  EXPECT_THROW(build(relu_reshape_graph(), o, test_registry()), InvalidArgument);
}

TEST(Builder, PlanSurvivesWriteAndRead) {
  const plan::Plan p = build(relu_reshape_graph(), cpu_options(), test_registry());
  const std::vector<std::byte> bytes = plan::write_plan_bytes(p);
  EXPECT_EQ(plan::read_plan_bytes(bytes), p);
  EXPECT_EQ(p.arena_bytes % 256, 0u);
}

}  // namespace
}  // namespace trtutils::builder

namespace trtutils::builder {
namespace {

TEST(Builder, FoldedGraphOutputIsCopiedFromTheWeights) {
  ir::Graph g;
  g.opset_imports[""] = 17;
  ir::Value* x = input(g, "x", {2});
  g.outputs().push_back(add(g, "Relu", {x}));
  ir::Value* c = g.add_value("c");
  c->set_constant(HostTensor::from_values<float>({3}, {1.0f, -2.0f, 3.0f}));
  ir::Value* c2 = g.add_value("c2");
  c2->set_constant(HostTensor::from_values<float>({3}, {1.0f, -2.0f, 3.0f}));
  g.outputs().push_back(add(g, "Relu", {c}));   // folds to a constant output
  g.outputs().push_back(add(g, "Relu", {c2}));  // the same bytes: one weights entry
  const plan::Plan p = build(std::move(g), cpu_options(), test_registry());
  int constants = 0;
  for (const auto& t : p.tensors) {
    if (t.kind != plan::TensorKind::kConstant) continue;
    ++constants;
    EXPECT_EQ(t.weights.offset % plan::kWeightsAlignment, 0u);
  }
  EXPECT_EQ(constants, 1);
  EXPECT_EQ(count_kernel(p, lk::kCopy), 2);
}

const plan::TensorDesc& output_tensor(const plan::Plan& p, const std::string& name) {
  for (const auto& t : p.tensors) {
    if (t.kind == plan::TensorKind::kOutput && t.name == name) return t;
  }
  throw std::runtime_error("no output tensor " + name);
}

/// NonZero's declared output [2, 1] (the count one example had) is smaller
/// than its upper bound [2, 6]: the plan allocates the bound, and the runtime
/// finds the extent on the layer writing it, by that layer's output index,
/// along axis 1.
TEST(DataDependentOutput, NonZeroIsAllocatedAtItsUpperBoundAndTrimmedAlongAxis1) {
  for (const ir::DimList& declared : {ir::DimList{2, 1}, ir::DimList{2, ir::Dim()}}) {
    ir::Graph g;
    g.opset_imports[""] = 17;
    ir::Value* x = input(g, "x", {2, 3});
    ir::Value* y = add(g, "NonZero", {x});
    y->set_dtype(DType::kInt64);
    y->set_shape(declared);
    g.outputs().push_back(y);
    const std::string name = y->name();
    const plan::Plan p = build(std::move(g), cpu_options(), ops::OpRegistry::builtin());
    const plan::TensorDesc& out = output_tensor(p, name);
    EXPECT_EQ(out.dims, (std::vector<std::int64_t>{2, 6}));
    EXPECT_EQ(p.io.back().dims, (std::vector<std::int64_t>{2, 6}));
    const auto extents = runtime::detail::find_dynamic_extents(p);
    ASSERT_EQ(extents.size(), 1u);
    EXPECT_EQ(extents[0].output, 0u);
    EXPECT_EQ(extents[0].axis, 1u);
    const plan::LayerDesc& layer = p.layers.at(extents[0].layer);
    EXPECT_NE(std::find(layer.outputs.begin(), layer.outputs.end(), out.id), layer.outputs.end());
    EXPECT_EQ(p.tensor(extents[0].count).dtype, DType::kInt64);
    runtime::detail::check_plan_structure(p);
  }
}

/// NonMaxSuppression's last layer writes scratch offsets before
/// selected_indices: the extent names selected_indices by its index there.
TEST(DataDependentOutput, NmsExtentNamesSelectedIndicesAmongTheLayersOutputs) {
  ir::Graph g;
  g.opset_imports[""] = 17;
  ir::Value* boxes = input(g, "boxes", {1, 6, 4});
  ir::Value* scores = input(g, "scores", {1, 2, 6});
  ir::Value* max_boxes = shape_constant(g, "max_boxes", {4});
  ir::Value* selected = add(g, "NonMaxSuppression", {boxes, scores, max_boxes});
  selected->set_dtype(DType::kInt64);
  selected->set_shape(ir::DimList{ir::Dim(), 3});
  g.outputs().push_back(selected);
  const std::string name = selected->name();
  const plan::Plan p = build(std::move(g), cpu_options(), ops::OpRegistry::builtin());
  const plan::TensorDesc& out = output_tensor(p, name);
  EXPECT_EQ(out.dims, (std::vector<std::int64_t>{8, 3}));  // 1 batch * 2 classes * min(4, 6)
  const auto extents = runtime::detail::find_dynamic_extents(p);
  ASSERT_EQ(extents.size(), 1u);
  EXPECT_EQ(extents[0].axis, 0u);
  const plan::LayerDesc& layer = p.layers.at(extents[0].layer);
  bool named = false;
  for (const auto& [key, value] : layer.params.all()) {
    if (key.rfind(lk::kDynamicExtentPrefix, 0) != 0) continue;
    const std::size_t index = std::stoul(key.substr(std::string(lk::kDynamicExtentPrefix).size()));
    EXPECT_EQ(layer.outputs.at(index), out.id);
    named = true;
  }
  EXPECT_TRUE(named);
  runtime::detail::check_plan_structure(p);
}

/// A zero-element output needs no layer: Slice out of range gives [2, 0],
/// and a Relu of it is not emitted either; the outputs keep their shapes.
TEST(EmptyTensors, ZeroElementOutputsNeedNoLayer) {
  ir::Graph g;
  g.opset_imports[""] = 17;
  ir::Value* x = input(g, "x", {2, 3});
  ir::Value* empty = add(g, "Slice", {x, shape_constant(g, "starts", {5}),
                                      shape_constant(g, "ends", {10}),
                                      shape_constant(g, "axes", {1})});
  g.outputs().push_back(empty);
  g.outputs().push_back(add(g, "Relu", {empty}));
  g.outputs().push_back(add(g, "Relu", {x}));
  const plan::Plan p = build(std::move(g), cpu_options(), ops::OpRegistry::builtin());
  ASSERT_EQ(p.io.size(), 4u);
  EXPECT_EQ(p.io[1].dims, (std::vector<std::int64_t>{2, 0}));
  EXPECT_EQ(p.io[2].dims, (std::vector<std::int64_t>{2, 0}));
  EXPECT_EQ(p.io[3].dims, (std::vector<std::int64_t>{2, 3}));
  for (const auto& layer : p.layers) {
    for (const plan::TensorId id : layer.outputs) {
      const auto& dims = p.tensor(id).dims;
      EXPECT_EQ(std::find(dims.begin(), dims.end(), 0), dims.end()) << layer.name;
    }
  }
  runtime::detail::check_plan_structure(p);
}

}  // namespace
}  // namespace trtutils::builder
