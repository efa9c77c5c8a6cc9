#pragma once
// Test harness for op GPU lowerings (reusable by every op family):
//
//   NodeUnderTest t("Add", {a, b});                 // one-node graph, shape rule run
//   expect_compiles(t, plan::Precision::kFloat16);  // CPU: NVRTC compiles every launch
//   expect_matches_cpu(t, plan::Precision::kFloat16);  // GPU: lowered layers vs run_cpu
//
// Lowering goes through FakeLoweringContext (tests/ops/fake_lowering_context.hpp);
// the GPU run allocates one device buffer per tensor id, uploads inputs (in
// their storage dtype) and constants, runs the emitted layers in order
// ("nvrtc.kernel" through core::Kernel, "copy" by a device copy; aliased
// outputs share their input's buffer) and downloads the outputs converted to
// their IR dtype. Library layers (cuDNN, cuBLASLt) are not run here: a test
// of a lowering that emits them fails with a message saying so.
//
// fp16/bf16 builds store f32 tensors in 16 bits, so expect_matches_cpu first
// rounds f32 inputs through the storage type and feeds the rounded values to
// both the CPU reference and the GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gpu_test_support.hpp"
#include "ops/fake_lowering_context.hpp"
#include "trtutils/core/kernel.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/core/nvrtc_compiler.hpp"
#include "trtutils/core/stream.hpp"
#include "trtutils/ops/registry.hpp"

namespace trtutils::testing {

/// One node in its own graph, every input a graph value with dtype and static
/// shape; inputs listed in `constant_inputs` also carry their data (as
/// initializers or folded constants do). The shape rule has been run.
class NodeUnderTest {
 public:
  NodeUnderTest(std::string op, std::vector<HostTensor> inputs, ir::Attributes attributes = {},
                std::int64_t opset = 17, std::size_t output_count = 1,
                std::set<std::size_t> constant_inputs = {}, std::string domain = {})
      : op_(std::move(op)),
        domain_(std::move(domain)),
        attributes_(std::move(attributes)),
        opset_(opset),
        output_count_(output_count),
        constant_inputs_(std::move(constant_inputs)) {
    rebuild(std::move(inputs));
  }
  NodeUnderTest(const NodeUnderTest&) = delete;
  NodeUnderTest& operator=(const NodeUnderTest&) = delete;

  const ir::Node& node() const { return *node_; }
  std::int64_t opset() const { return opset_; }
  const std::vector<HostTensor>& inputs() const { return inputs_; }
  const ops::OpSchema& schema() const {
    const ops::OpSchema* s = ops::OpRegistry::builtin().find(op_, domain_);
    if (!s) throw UnsupportedError("op " + op_ + " is not registered");
    return *s;
  }

  /// The same node with other input values (same attributes and opset).
  void set_inputs(std::vector<HostTensor> inputs) { rebuild(std::move(inputs)); }

  std::vector<HostTensor> run_cpu() const {
    std::vector<const HostTensor*> pointers;
    for (const HostTensor& t : inputs_) pointers.push_back(t.empty() ? nullptr : &t);
    return schema().run_cpu(ops::CpuContext(*node_, opset_, pointers));
  }

  /// Lowers the node; graph inputs/outputs keep their dtype only when
  /// `keep_boundary_dtypes` (by default every tensor follows the precision).
  std::unique_ptr<FakeLoweringContext> lower(plan::Precision precision,
                                             bool keep_boundary_dtypes = false) const {
    std::set<const ir::Value*> keep;
    if (keep_boundary_dtypes) {
      for (const ir::Value* v : node_->inputs()) keep.insert(v);
      for (const ir::Value* v : node_->outputs()) keep.insert(v);
    }
    auto ctx = std::make_unique<FakeLoweringContext>(*node_, opset_, precision, keep);
    const ops::OpSchema& s = schema();
    if (!s.lower_gpu) throw UnsupportedError("op " + op_ + " has no GPU lowering");
    s.lower_gpu(*ctx);
    return ctx;
  }

 private:
  void rebuild(std::vector<HostTensor> inputs) {
    inputs_ = std::move(inputs);
    graph_ = std::make_unique<ir::Graph>();
    std::vector<ir::Value*> in_values;
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
      if (inputs_[i].empty()) {
        in_values.push_back(nullptr);
        continue;
      }
      ir::Value* v = graph_->add_value("in" + std::to_string(i));
      if (constant_inputs_.count(i)) {
        v->set_constant(inputs_[i]);
      } else {
        v->set_dtype(inputs_[i].dtype());
        v->set_shape(ir::from_static(inputs_[i].shape()));
      }
      in_values.push_back(v);
    }
    std::vector<ir::Value*> out_values;
    for (std::size_t i = 0; i < output_count_; ++i) {
      out_values.push_back(graph_->add_value("out" + std::to_string(i)));
    }
    node_ = graph_->add_node(op_, "node_" + op_, in_values, out_values, attributes_, domain_);
    ops::InferContext infer(*node_, opset_);
    schema().infer(infer);
  }

  std::string op_;
  std::string domain_;
  ir::Attributes attributes_;
  std::int64_t opset_;
  std::size_t output_count_;
  std::set<std::size_t> constant_inputs_;
  std::vector<HostTensor> inputs_;
  std::unique_ptr<ir::Graph> graph_;
  ir::Node* node_ = nullptr;
};

/// Every nvrtc launch the lowering emits compiles with NVRTC for `arch` (no
/// GPU needed). Returns the launches.
inline std::vector<ops::KernelLaunch> expect_compiles(const NodeUnderTest& t,
                                                      plan::Precision precision,
                                                      const std::string& arch = "sm_90") {
  const auto ctx = t.lower(precision);
  std::vector<ops::KernelLaunch> launches = ctx->launches();
  for (const ops::KernelLaunch& launch : launches) {
    try {
      core::compile_to_ptx(launch.source, launch.entry, {}, arch);
    } catch (const std::exception& e) {
      ADD_FAILURE() << t.node().describe() << " (" << plan::precision_name(precision)
                    << "): generated source does not compile:\n"
                    << e.what() << "\n--- source ---\n"
                    << launch.source;
    }
  }
  return launches;
}

/// f32 inputs rounded through the storage dtype of `precision`.
inline HostTensor round_to_storage(const HostTensor& t, plan::Precision precision) {
  if (t.empty()) return t;
  const DType storage = FakeLoweringContext::storage_dtype(t.dtype(), precision);
  return storage == t.dtype() ? t : t.cast(storage).cast(t.dtype());
}

/// Runs the lowering on the GPU (see the file comment). Needs a GPU.
/// Device memory for every tensor a lowering emitted (inputs, outputs,
/// scratch, constants), by tensor id; aliased outputs point at their input.
struct LoweredTensors {
  std::map<plan::TensorId, ops::GpuTensor> tensors;
  std::map<plan::TensorId, core::DeviceBuffer> buffers;
  std::map<plan::TensorId, void*> pointers;
  void* at(plan::TensorId id) const {
    return id == plan::kAbsentTensor ? nullptr : pointers.at(id);
  }
};

/// Runs one emitted layer the harness itself does not know (a library layer:
/// cuDNN, cuBLASLt); false when it does not know it either.
using LayerRunner = std::function<bool(const EmittedLayer&, const LoweredTensors&)>;

inline std::size_t bytes_of(const ops::GpuTensor& g) {
  return static_cast<std::size_t>(g.element_count()) * dtype_size(g.dtype);
}

inline std::vector<HostTensor> run_lowered(const NodeUnderTest& t, plan::Precision precision,
                                           bool keep_boundary_dtypes = false,
                                           const LayerRunner& run_other = {}) {
  const auto ctx = t.lower(precision, keep_boundary_dtypes);
  LoweredTensors lt;
  for (const ops::GpuTensor& g : ctx->inputs()) {
    if (g.present()) lt.tensors[g.id] = g;
  }
  for (const ops::GpuTensor& g : ctx->outputs()) {
    if (g.present()) lt.tensors[g.id] = g;
  }
  for (const ops::GpuTensor& g : ctx->scratch()) lt.tensors[g.id] = g;
  for (const auto& [g, value] : ctx->constants()) lt.tensors[g.id] = g;
  for (const auto& [id, g] : lt.tensors) {
    lt.buffers.emplace(id, core::DeviceBuffer(std::max<std::size_t>(bytes_of(g), 1)));
    lt.pointers[id] = lt.buffers.at(id).data();
  }
  const auto upload = [&](const ops::GpuTensor& g, const HostTensor& value) {
    const HostTensor stored = value.dtype() == g.dtype ? value : value.cast(g.dtype);
    if (stored.byte_size() != 0) {
      core::memcpy_host_to_device(lt.pointers.at(g.id), stored.data(), stored.byte_size());
    }
  };
  for (std::size_t i = 0; i < ctx->inputs().size(); ++i) {
    if (ctx->inputs()[i].present()) upload(ctx->inputs()[i], t.inputs().at(i));
  }
  for (const auto& [g, value] : ctx->constants()) upload(g, value);
  for (const auto& [output, input] : ctx->aliases()) {
    lt.pointers[ctx->outputs().at(output).id] = lt.pointers.at(ctx->inputs().at(input).id);
  }

  for (const EmittedLayer& layer : ctx->layers()) {
    if (layer.launch) {
      const ops::KernelLaunch& launch = *layer.launch;
      const core::Kernel kernel(launch.source, launch.entry);
      core::KernelArgs args;
      for (const ops::KernelArgument& a : launch.arguments) {
        if (a.kind == ops::KernelArgument::Kind::kTensor) {
          args.push(lt.pointers.at(a.tensor));
        } else {
          std::size_t alignment = 1;
          while (alignment < a.bytes.size() && alignment < 8) alignment *= 2;
          args.push_bytes(a.bytes.data(), a.bytes.size(), alignment);
        }
      }
      kernel.call(dim3(launch.grid[0], launch.grid[1], launch.grid[2]),
                  dim3(launch.block[0], launch.block[1], launch.block[2]), core::StreamView(), args,
                  launch.shared_bytes);
    } else if (layer.kernel == plan::layer_kinds::kCopy) {
      const ops::GpuTensor& source = lt.tensors.at(layer.inputs.at(0));
      if (bytes_of(source) != 0) {
        core::memcpy_device_to_device(lt.pointers.at(layer.outputs.at(0)),
                                      lt.pointers.at(source.id), bytes_of(source));
      }
    } else if (!run_other || !run_other(layer, lt)) {
      ADD_FAILURE() << "the lowering harness cannot run layer kind '" << layer.kernel << "'";
      return {};
    }
  }
  core::StreamView().synchronize();

  std::vector<HostTensor> outputs;
  for (std::size_t i = 0; i < ctx->outputs().size(); ++i) {
    const ops::GpuTensor& g = ctx->outputs()[i];
    if (!g.present()) {
      outputs.emplace_back();
      continue;
    }
    HostTensor stored(g.shape, g.dtype);
    if (stored.byte_size() != 0) {
      core::memcpy_device_to_host(stored.data(), lt.pointers.at(g.id), stored.byte_size());
    }
    const DType ir_dtype = t.node().output(i)->dtype();
    outputs.push_back(stored.dtype() == ir_dtype ? std::move(stored) : stored.cast(ir_dtype));
  }
  return outputs;
}

/// Relative tolerance for comparing with the CPU reference: exact (0) for
/// integers and bool; f32 1e-6, f64 1e-12; 1e-3 (f16) / 1e-2 (bf16) when the
/// tensor was stored in 16 bits.
inline double tolerance_for(DType ir_dtype, plan::Precision precision) {
  const DType stored = FakeLoweringContext::storage_dtype(ir_dtype, precision);
  switch (stored) {
    case DType::kFloat16:
      return 1e-3;
    case DType::kBFloat16:
      return 1e-2;
    case DType::kFloat32:
      return 1e-6;
    case DType::kFloat64:
      return 1e-12;
    default:
      return 0.0;
  }
}

/// Same shape and dtype; values equal within |a - e| <= tol * max(|e|, 1) for
/// float dtypes (NaN matches NaN, infinities must match exactly), exactly for
/// the rest.
inline ::testing::AssertionResult tensors_match(const HostTensor& actual,
                                                const HostTensor& expected, double tolerance) {
  if (actual.dtype() != expected.dtype()) {
    return ::testing::AssertionFailure()
           << "dtype " << dtype_name(actual.dtype()) << " vs " << dtype_name(expected.dtype());
  }
  if (actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure() << "shape " << shape_to_string(actual.shape()) << " vs "
                                         << shape_to_string(expected.shape());
  }
  std::ostringstream bad;
  int mismatches = 0;
  for (std::int64_t i = 0; i < actual.element_count(); ++i) {
    const double a = element_as_double(actual.view(), i);
    const double e = element_as_double(expected.view(), i);
    bool ok = false;
    if (std::isnan(e) || std::isnan(a)) {
      ok = std::isnan(e) && std::isnan(a);
    } else if (std::isinf(e) || std::isinf(a) || tolerance == 0.0) {
      ok = a == e;
    } else {
      ok = std::fabs(a - e) <= tolerance * std::max(std::fabs(e), 1.0);
    }
    if (!ok && mismatches++ < 8) bad << "\n  [" << i << "] got " << a << ", expected " << e;
  }
  if (mismatches == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << mismatches << " of " << actual.element_count() << " elements differ:" << bad.str();
}

/// Runs the lowering on the GPU and compares every output with run_cpu on the
/// same (storage-rounded) inputs; f32 expected outputs are rounded through the
/// storage dtype too (an f16 build stores 1e6 as inf). Needs a GPU.
inline void expect_matches_cpu(NodeUnderTest& t, plan::Precision precision,
                               double tolerance_override = -1.0) {
  std::vector<HostTensor> rounded;
  for (const HostTensor& input : t.inputs()) rounded.push_back(round_to_storage(input, precision));
  t.set_inputs(std::move(rounded));
  std::vector<HostTensor> expected = t.run_cpu();
  for (HostTensor& e : expected) e = round_to_storage(e, precision);
  if (!gpu_unavailable_reason().empty()) {
    // Reached only by tests that do not start with TRTUTILS_REQUIRE_GPU (a
    // dry run): the reference ran; check that the lowering compiles.
    expect_compiles(t, precision);
    return;
  }
  const std::vector<HostTensor> actual = run_lowered(t, precision);
  ASSERT_EQ(actual.size(), expected.size()) << t.node().describe();
  for (std::size_t i = 0; i < actual.size(); ++i) {
    if (expected[i].empty()) continue;
    const double tolerance = tolerance_override >= 0.0
                                 ? tolerance_override
                                 : tolerance_for(expected[i].dtype(), precision);
    EXPECT_TRUE(tensors_match(actual[i], expected[i], tolerance))
        << t.node().describe() << " output " << i << " (" << plan::precision_name(precision) << ")";
  }
}

}  // namespace trtutils::testing
