#pragma once
// How an op runs on the GPU, described without CUDA: an op's GPU lowering
// turns one IR node into plan layers — NVRTC kernel launches it generates, or
// library layers (cuDNN convolution, cuBLASLt matmul) the builder autotunes.
// The builder implements LoweringContext; the runtime executes the layers.
// Lowerings live beside the op's shape rule and CPU reference
// (src/ops/<family>/<op>_gpu.cpp), so adding an op stays in one place.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "trtutils/ir/graph.hpp"
#include "trtutils/ops/op_schema.hpp"
#include "trtutils/plan/layer_kinds.hpp"
#include "trtutils/plan/layer_params.hpp"
#include "trtutils/plan/plan.hpp"
#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils::ops {

/// A tensor as the GPU engine sees it at build time: an id in the plan, its
/// device dtype (may differ from the IR dtype in fp16/bf16 builds) and its
/// static shape.
struct GpuTensor {
  plan::TensorId id = plan::kAbsentTensor;
  DType dtype = DType::kUndefined;
  Shape shape;
  bool present() const noexcept { return id != plan::kAbsentTensor; }
  std::int64_t element_count() const { return trtutils::element_count(shape); }
};

/// One argument of a generated kernel: a tensor's device pointer or a scalar
/// passed by value.
struct KernelArgument {
  enum class Kind : std::uint8_t { kTensor = 0, kScalar = 1 };
  Kind kind = Kind::kScalar;
  plan::TensorId tensor = plan::kAbsentTensor;
  std::vector<std::byte> bytes;  // scalar value, exactly the parameter's size

  static KernelArgument pointer_to(const GpuTensor& tensor) {
    KernelArgument a;
    a.kind = Kind::kTensor;
    a.tensor = tensor.id;
    return a;
  }
  template <typename T>
  static KernelArgument scalar(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    KernelArgument a;
    a.bytes.resize(sizeof(T));
    std::memcpy(a.bytes.data(), &value, sizeof(T));
    return a;
  }
};

/// One generated kernel launch. The builder compiles `source` with NVRTC for
/// the target GPU and stores the cubin in the plan.
struct KernelLaunch {
  std::string source;      // CUDA C++; `entry` must be extern "C" __global__
  std::string entry;
  std::array<std::uint32_t, 3> grid{1, 1, 1};
  std::array<std::uint32_t, 3> block{1, 1, 1};
  std::uint32_t shared_bytes = 0;
  std::vector<KernelArgument> arguments;
};

class LoweringContext {
 public:
  virtual ~LoweringContext() = default;

  virtual const ir::Node& node() const = 0;
  virtual std::int64_t opset() const = 0;
  /// The precision the engine is built in. Lowerings keep reductions,
  /// softmax and normalisation statistics in fp32 regardless.
  virtual plan::Precision precision() const = 0;

  virtual std::size_t input_count() const = 0;
  virtual bool has_input(std::size_t i) const = 0;
  virtual GpuTensor input(std::size_t i) const = 0;
  /// Data of input i when known at build time (weights, folded constants,
  /// inputs the user fixed at build time), else nullptr.
  virtual const HostTensor* input_constant(std::size_t i) const = 0;
  virtual std::size_t output_count() const = 0;
  virtual GpuTensor output(std::size_t i) const = 0;  // absent for omitted outputs

  /// A temporary device tensor living only inside this node's layers.
  virtual GpuTensor add_scratch(DType dtype, Shape shape) = 0;
  /// A new constant (e.g. repacked weights), uploaded with the engine.
  virtual GpuTensor add_constant(HostTensor value) = 0;

  /// Appends a generated-kernel layer ("nvrtc.kernel").
  virtual void emit_kernel(const std::string& layer_name, KernelLaunch launch) = 0;
  /// Appends a library layer the runtime knows by `kernel` (e.g.
  /// "cudnn.convolution", "cublaslt.matmul", "copy").
  virtual void emit_layer(const std::string& layer_name, const std::string& kernel,
                          std::vector<plan::TensorId> inputs, std::vector<plan::TensorId> outputs,
                          plan::LayerParams params) = 0;
  /// Declares that output i is the same bytes as input j (Reshape, Squeeze,
  /// Identity...): no layer is emitted and the builder aliases the memory.
  virtual void alias_output(std::size_t output, std::size_t input) = 0;
  /// Output i has a data-dependent shape (NonZero, NonMaxSuppression): the
  /// lowering calls this *before* output(i) with the shape to allocate (its
  /// upper bound). The model's declared shape (unknown dims, or the size seen
  /// in one example) is then ignored for the tensor; the rank must match and
  /// known declared dims must not exceed the bound. The default does nothing:
  /// for contexts whose outputs are already allocated (test fakes), which the
  /// lowering's own shape check then verifies.
  virtual void set_output_upper_bound(std::size_t output, Shape upper_bound) {
    (void)output;
    (void)upper_bound;
  }
  /// Output i has a data-dependent extent: it is allocated at its upper-bound
  /// shape, and after the node's last layer the i64 scalar `count` holds its
  /// true size along `axis` (NonZero: 1, NonMaxSuppression: 0). The runtime
  /// trims graph outputs to it, keeping for each index before `axis` the
  /// first `count` slices (rows keep the allocated width as their stride).
  virtual void set_dynamic_extent(std::size_t output, const GpuTensor& count,
                                  std::size_t axis = 0) = 0;

  /// Throws ModelError / UnsupportedError prefixed with the node.
  [[noreturn]] virtual void fail(const std::string& message) const = 0;
  [[noreturn]] virtual void unsupported(const std::string& message) const = 0;
};

}  // namespace trtutils::ops
