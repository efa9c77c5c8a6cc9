#include "trtutils/runtime/trt_engine.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <random>
#include <utility>

#include "runtime/output_trim.hpp"
#include "trtutils/core/context.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/plan/plan_reader.hpp"
#include "trtutils/runtime/io_check.hpp"

namespace trtutils::runtime {

namespace {

struct OnnxBuilderSlot {
  std::mutex mutex;
  TRTEngine::OnnxBuilder builder;
};

OnnxBuilderSlot& onnx_builder_slot() {
  static OnnxBuilderSlot slot;
  return slot;
}

bool is_onnx_path(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  std::ranges::transform(extension, extension.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".onnx";
}

plan::Plan plan_for(const std::filesystem::path& path, const TRTEngineOptions& options) {
  if (!is_onnx_path(path)) return plan::read_plan(path);
  TRTEngine::OnnxBuilder builder;
  {
    OnnxBuilderSlot& slot = onnx_builder_slot();
    std::lock_guard<std::mutex> lock(slot.mutex);
    builder = slot.builder;
  }
  TRTUTILS_CHECK(static_cast<bool>(builder), "'", path.string(),
                 "' is an ONNX model but no builder is registered: link trtutils_builder (it "
                 "registers itself with TRTEngine::set_onnx_builder), or build an engine first "
                 "with `trtutils build`");
  return builder(path, options.build_options);
}

/// The dims at a batch: kDynamicDim at axis 0 replaced (static specs as they are).
std::vector<std::int64_t> dims_at(const plan::TensorSpec& spec, std::int64_t batch) {
  std::vector<std::int64_t> dims = spec.dims;
  if (!dims.empty() && dims[0] == plan::kDynamicDim) dims[0] = batch;
  return dims;
}

/// Bytes of the largest batch the spec accepts.
std::size_t max_byte_size(const plan::TensorSpec& spec) {
  const std::int64_t max = spec.profile ? spec.profile->max.at(0) : 0;
  return static_cast<std::size_t>(element_count(dims_at(spec, max))) * dtype_size(spec.dtype);
}

std::int64_t opt_batch(const Engine& engine) {
  return engine.batch_range() ? engine.batch_range()->opt : 0;
}

}  // namespace

struct TRTEngine::Impl {
  int device = 0;
  std::shared_ptr<const Engine> engine;
  std::unique_ptr<ExecutionContext> context;
  core::Stream stream;
  /// Device buffers and page-locked staging, inputs then outputs.
  std::vector<core::DeviceBuffer> device_io;
  std::vector<core::PinnedBuffer> staging;
  std::vector<void*> io_pointers;
  /// direct_exec's pointer list, reserved once so that it allocates nothing.
  std::vector<void*> direct_io;
  std::size_t input_count = 0;
};

void TRTEngine::set_onnx_builder(OnnxBuilder builder) {
  OnnxBuilderSlot& slot = onnx_builder_slot();
  std::lock_guard<std::mutex> lock(slot.mutex);
  slot.builder = std::move(builder);
}

bool TRTEngine::has_onnx_builder() {
  OnnxBuilderSlot& slot = onnx_builder_slot();
  std::lock_guard<std::mutex> lock(slot.mutex);
  return static_cast<bool>(slot.builder);
}

TRTEngine::TRTEngine(const std::filesystem::path& path, TRTEngineOptions options) {
  initialise(plan_for(path, options), options);
}

TRTEngine::TRTEngine(plan::Plan plan, TRTEngineOptions options) {
  initialise(std::move(plan), options);
}

TRTEngine::~TRTEngine() = default;
TRTEngine::TRTEngine(TRTEngine&&) noexcept = default;
TRTEngine& TRTEngine::operator=(TRTEngine&&) noexcept = default;

void TRTEngine::initialise(plan::Plan plan, const TRTEngineOptions& options) {
  core::DeviceGuard device(options.device);
  impl_ = std::make_unique<Impl>();
  Impl& p = *impl_;
  p.device = options.device;
  p.engine = Engine::from_plan(std::move(plan), EngineOptions{options.logger});
  p.context = p.engine->create_execution_context();
  p.context->set_use_cuda_graph(options.use_cuda_graph);
  p.input_count = p.engine->inputs().size();
  for (const auto* group : {&p.engine->inputs(), &p.engine->outputs()}) {
    for (const plan::TensorSpec& spec : *group) {
      // Sized for the largest batch: execute() never allocates.
      p.device_io.emplace_back(max_byte_size(spec));
      p.staging.emplace_back(max_byte_size(spec));
      // Zeros, so that warm-up runs read valid indices and no garbage.
      core::memset_device(p.device_io.back(), 0);
      p.io_pointers.push_back(p.device_io.back().data());
    }
  }
  p.direct_io.reserve(p.io_pointers.size());
  if (options.warmup_iterations > 0) warmup(options.warmup_iterations);
}

const std::vector<plan::TensorSpec>& TRTEngine::input_specs() const noexcept {
  return impl_->engine->inputs();
}
const std::vector<plan::TensorSpec>& TRTEngine::output_specs() const noexcept {
  return impl_->engine->outputs();
}

namespace {
template <typename T, typename Field>
std::vector<T> collect(const std::vector<plan::TensorSpec>& specs, Field field) {
  std::vector<T> values;
  for (const plan::TensorSpec& spec : specs) values.push_back(field(spec));
  return values;
}
}  // namespace

std::vector<std::string> TRTEngine::input_names() const {
  return collect<std::string>(input_specs(), [](const auto& s) { return s.name; });
}
std::vector<Shape> TRTEngine::input_shapes() const {
  const std::int64_t opt = opt_batch(engine());
  return collect<Shape>(input_specs(), [opt](const auto& s) { return dims_at(s, opt); });
}
std::vector<DType> TRTEngine::input_dtypes() const {
  return collect<DType>(input_specs(), [](const auto& s) { return s.dtype; });
}
std::vector<std::string> TRTEngine::output_names() const {
  return collect<std::string>(output_specs(), [](const auto& s) { return s.name; });
}
std::vector<Shape> TRTEngine::output_shapes() const {
  const std::int64_t opt = opt_batch(engine());
  return collect<Shape>(output_specs(), [opt](const auto& s) { return dims_at(s, opt); });
}
std::vector<DType> TRTEngine::output_dtypes() const {
  return collect<DType>(output_specs(), [](const auto& s) { return s.dtype; });
}

std::vector<HostTensor> TRTEngine::execute(const std::vector<HostTensor>& inputs) {
  Impl& p = *impl_;
  const auto& specs = input_specs();
  check_input_count(specs, inputs.size());
  std::vector<Shape> shapes;
  shapes.reserve(inputs.size());
  for (const HostTensor& input : inputs) shapes.push_back(input.shape());
  const std::int64_t batch = infer_batch(specs, shapes);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    check_input(specs[i], inputs[i].shape(), inputs[i].dtype());
  }
  if (p.engine->batch_range()) p.context->set_batch(batch);
  core::DeviceGuard device(p.device);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].byte_size() == 0) continue;
    std::memcpy(p.staging[i].data(), inputs[i].data(), inputs[i].byte_size());
    core::memcpy_host_to_device_async(p.device_io[i].data(), p.staging[i].data(),
                                      inputs[i].byte_size(), p.stream);
  }
  p.context->enqueue(p.stream, std::span<void* const>(p.io_pointers));
  const auto& out_specs = output_specs();
  std::vector<Shape> out_shapes;
  for (std::size_t o = 0; o < out_specs.size(); ++o) {
    out_shapes.push_back(p.context->output_dims(o));
    const std::size_t bytes =
        static_cast<std::size_t>(element_count(out_shapes.back())) * dtype_size(out_specs[o].dtype);
    if (bytes == 0) continue;  // an empty output
    core::memcpy_device_to_host_async(p.staging[p.input_count + o].data(),
                                      p.device_io[p.input_count + o].data(), bytes, p.stream);
  }
  p.stream.synchronize();
  std::vector<HostTensor> outputs;
  for (std::size_t o = 0; o < out_specs.size(); ++o) {
    HostTensor full(out_shapes[o], out_specs[o].dtype);
    const core::PinnedBuffer& staged = p.staging[p.input_count + o];
    if (full.byte_size() > 0) std::memcpy(full.data(), staged.data(), full.byte_size());
    const auto extent = p.context->dynamic_extent(o);
    if (extent && !out_specs[o].dims.empty()) {
      full = detail::trim_to_extent(full, *p.context->dynamic_extent_axis(o), *extent);
    }
    outputs.push_back(std::move(full));
  }
  return outputs;
}

void TRTEngine::direct_exec(std::span<const void* const> inputs, std::span<void* const> outputs) {
  Impl& p = *impl_;
  TRTUTILS_CHECK(inputs.size() == p.input_count, "direct_exec: the engine takes ", p.input_count,
                 " inputs, got ", inputs.size(), " device pointers");
  TRTUTILS_CHECK(outputs.size() == p.io_pointers.size() - p.input_count,
                 "direct_exec: the engine has ", p.io_pointers.size() - p.input_count,
                 " outputs, got ", outputs.size(), " device pointers");
  std::vector<void*>& io = p.direct_io;
  io.clear();
  // The engine only reads its inputs; enqueue takes one pointer type for both.
  for (const void* input : inputs) io.push_back(const_cast<void*>(input));
  io.insert(io.end(), outputs.begin(), outputs.end());
  core::DeviceGuard device(p.device);
  p.context->enqueue(p.stream, std::span<void* const>(io));
}

void TRTEngine::direct_exec(std::span<const void* const> inputs, std::span<void* const> outputs,
                            std::int64_t batch) {
  impl_->context->set_batch(batch);
  direct_exec(inputs, outputs);
}

std::vector<void*> TRTEngine::direct_exec(std::span<const void* const> inputs,
                                          std::int64_t batch) {
  impl_->context->set_batch(batch);
  return direct_exec(inputs);
}

std::vector<void*> TRTEngine::direct_exec(std::span<const void* const> inputs) {
  Impl& p = *impl_;
  std::vector<void*> outputs(p.io_pointers.begin() + static_cast<std::ptrdiff_t>(p.input_count),
                             p.io_pointers.end());
  direct_exec(inputs, outputs);
  return outputs;
}

std::vector<HostTensor> TRTEngine::get_random_input(std::uint64_t seed) const {
  std::mt19937_64 generator(seed);
  std::uniform_real_distribution<double> real(0.0, 1.0);
  std::uniform_int_distribution<int> integer(0, 9);
  std::vector<HostTensor> inputs;
  const std::vector<Shape> shapes = input_shapes();
  for (std::size_t n = 0; n < shapes.size(); ++n) {
    const plan::TensorSpec& spec = input_specs()[n];
    HostTensor tensor(shapes[n], spec.dtype);
    const bool floating = is_floating_point(spec.dtype);
    const bool boolean = spec.dtype == DType::kBool;
    for (std::int64_t i = 0; i < tensor.element_count(); ++i) {
      const double value = floating  ? real(generator)
                           : boolean ? static_cast<double>(integer(generator) % 2)
                                     : static_cast<double>(integer(generator));
      set_element_from_double(tensor.view(), i, value);
    }
    inputs.push_back(std::move(tensor));
  }
  return inputs;
}

std::vector<HostTensor> TRTEngine::mock_execute(std::uint64_t seed) {
  return execute(get_random_input(seed));
}

void TRTEngine::warmup(int iterations) {
  Impl& p = *impl_;
  core::DeviceGuard device(p.device);
  for (int i = 0; i < iterations; ++i) {
    p.context->enqueue(p.stream, std::span<void* const>(p.io_pointers));
  }
  p.stream.synchronize();
}

core::StreamView TRTEngine::stream() const noexcept { return impl_->stream; }
const Engine& TRTEngine::engine() const noexcept { return *impl_->engine; }
std::shared_ptr<const Engine> TRTEngine::shared_engine() const noexcept { return impl_->engine; }
ExecutionContext& TRTEngine::context() noexcept { return *impl_->context; }

}  // namespace trtutils::runtime
