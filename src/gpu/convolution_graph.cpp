#include "gpu/convolution_graph.hpp"

#include <algorithm>
#include <sstream>
#include <utility>

#include "gpu/convolution_geometry.hpp"
#include "gpu/library_types.hpp"

namespace trtutils::gpu::detail {

namespace {

// Every real tensor is at least 16-byte aligned: the arena and the weights
// are 256-byte aligned, and the runtime checks caller-given pointers.
constexpr std::int64_t kAlignment = 16;

// Virtual (engine-internal) tensors of the fused graph.
constexpr std::int64_t kConvOut = 101;
constexpr std::int64_t kBiasOut = 102;
constexpr std::int64_t kResidualOut = 103;

// Heuristic results asked for per mode; cuDNN returns fewer when it has fewer.
constexpr std::int64_t kHeuristicResults = 64;

BackendDescriptor make_tensor(std::int64_t uid, cudnnDataType_t type,
                              const std::vector<std::int64_t>& dims,
                              const std::vector<std::int64_t>& strides, bool is_virtual) {
  BackendDescriptor t(CUDNN_BACKEND_TENSOR_DESCRIPTOR);
  t.set(CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &type);
  t.set_int64s(CUDNN_ATTR_TENSOR_DIMENSIONS, dims);
  t.set_int64s(CUDNN_ATTR_TENSOR_STRIDES, strides);
  t.set_int64(CUDNN_ATTR_TENSOR_UNIQUE_ID, uid);
  t.set_int64(CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, kAlignment);
  const bool virtual_flag = is_virtual;
  t.set(CUDNN_ATTR_TENSOR_IS_VIRTUAL, CUDNN_TYPE_BOOLEAN, 1, &virtual_flag);
  t.finalize();
  return t;
}

/// A pointwise mode with the float attributes that shape it (ReLU clips and
/// slope, swish beta); the math precision is f32, so they are floats.
struct PointwiseMode {
  cudnnPointwiseMode_t mode = CUDNN_POINTWISE_ADD;
  std::vector<std::pair<cudnnBackendAttributeName_t, float>> attributes;
};

/// The activation as cuDNN pointwise modes: ReLU, clipped ReLU and leaky ReLU
/// are its RELU_FWD with clips / slope; SiLU is SWISH_FWD with beta 1; GELU
/// is the erf form (GELU_FWD), as ONNX's default.
PointwiseMode activation_mode(const ConvolutionDesc& desc) {
  switch (desc.activation) {
    case Activation::kRelu: return {CUDNN_POINTWISE_RELU_FWD, {}};
    case Activation::kSigmoid: return {CUDNN_POINTWISE_SIGMOID_FWD, {}};
    case Activation::kTanh: return {CUDNN_POINTWISE_TANH_FWD, {}};
    case Activation::kClippedRelu:
      return {CUDNN_POINTWISE_RELU_FWD,
              {{CUDNN_ATTR_POINTWISE_RELU_LOWER_CLIP, 0.0f},
               {CUDNN_ATTR_POINTWISE_RELU_UPPER_CLIP, desc.clip_ceiling}}};
    case Activation::kSilu: return {CUDNN_POINTWISE_SWISH_FWD, {{CUDNN_ATTR_POINTWISE_SWISH_BETA, 1.0f}}};
    case Activation::kLeakyRelu:
      return {CUDNN_POINTWISE_RELU_FWD,
              {{CUDNN_ATTR_POINTWISE_RELU_LOWER_CLIP, 0.0f},
               {CUDNN_ATTR_POINTWISE_RELU_LOWER_CLIP_SLOPE, desc.leaky_slope}}};
    case Activation::kGelu: return {CUDNN_POINTWISE_GELU_FWD, {}};
    case Activation::kIdentity: break;
  }
  throw InvalidArgument("ConvolutionGraph: identity has no pointwise activation");
}

// The pointwise descriptor joins `keep`: cuDNN's frontends keep every
// descriptor an operation refers to alive as long as the operation, and so do we.
BackendDescriptor make_pointwise(const PointwiseMode& mode, const BackendDescriptor& x,
                                 const BackendDescriptor* b, const BackendDescriptor& y,
                                 std::vector<BackendDescriptor>& keep) {
  BackendDescriptor& op_desc = keep.emplace_back(CUDNN_BACKEND_POINTWISE_DESCRIPTOR);
  op_desc.set(CUDNN_ATTR_POINTWISE_MODE, CUDNN_TYPE_POINTWISE_MODE, 1, &mode.mode);
  const cudnnDataType_t math = CUDNN_DATA_FLOAT;
  op_desc.set(CUDNN_ATTR_POINTWISE_MATH_PREC, CUDNN_TYPE_DATA_TYPE, 1, &math);
  for (const auto& [name, value] : mode.attributes) {
    op_desc.set(name, CUDNN_TYPE_FLOAT, 1, &value);
  }
  op_desc.finalize();
  BackendDescriptor op(CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR);
  op.set_descriptor(CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, op_desc);
  op.set_descriptor(CUDNN_ATTR_OPERATION_POINTWISE_XDESC, x);
  if (b != nullptr) op.set_descriptor(CUDNN_ATTR_OPERATION_POINTWISE_BDESC, *b);
  op.set_descriptor(CUDNN_ATTR_OPERATION_POINTWISE_YDESC, y);
  op.finalize();
  return op;
}

template <typename Note>
bool has_note(const std::vector<Note>& notes, Note note) {
  return std::find(notes.begin(), notes.end(), note) != notes.end();
}

}  // namespace

bool has_graph_epilogue(const ConvolutionDesc& desc) noexcept {
  return desc.has_bias || desc.has_residual || desc.activation != Activation::kIdentity;
}

ConvolutionGraph::ConvolutionGraph(const ConvolutionDesc& desc, bool fused, cudnnHandle_t handle)
    : allow_reduced_precision_(desc.input_dtype != DType::kFloat32 || desc.allow_tf32) {
  TRTUTILS_CHECK(!fused || has_graph_epilogue(desc),
                 "ConvolutionGraph: a fused graph needs a bias, a residual or an activation");
  const std::int64_t rank = desc.spatial_rank();
  const cudnnDataType_t type = to_cudnn_data_type(desc.input_dtype);
  const auto x_dims = lift_1d(desc.input_shape);
  const auto y_dims = lift_1d(convolution_output_shape(desc));
  const auto w_dims = lift_1d(desc.filter_shape);
  std::vector<std::int64_t> bias_dims(y_dims.size(), 1);
  bias_dims[1] = y_dims[1];

  parts_.reserve(20);  // references into parts_ below must stay valid: no reallocation
  BackendDescriptor& x = parts_.emplace_back(
      make_tensor(kGraphX, type, x_dims, packed_strides(x_dims, desc.layout), false));
  BackendDescriptor& w = parts_.emplace_back(
      make_tensor(kGraphW, type, w_dims, packed_strides(w_dims, desc.layout), false));
  tensor_ids_ = {kGraphX, kGraphW, kGraphY};

  BackendDescriptor conv(CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR);
  const std::int64_t spatial = static_cast<std::int64_t>(x_dims.size()) - 2;
  conv.set_int64(CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, spatial);
  const cudnnDataType_t compute = CUDNN_DATA_FLOAT;
  conv.set(CUDNN_ATTR_CONVOLUTION_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &compute);
  const cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
  conv.set(CUDNN_ATTR_CONVOLUTION_CONV_MODE, CUDNN_TYPE_CONVOLUTION_MODE, 1, &mode);
  conv.set_int64s(CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, spatial_or(desc.pads_begin, rank, 0));
  conv.set_int64s(CUDNN_ATTR_CONVOLUTION_POST_PADDINGS,
                  spatial_or(desc.pads_end.empty() ? desc.pads_begin : desc.pads_end, rank, 0));
  conv.set_int64s(CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, spatial_or(desc.strides, rank, 1));
  conv.set_int64s(CUDNN_ATTR_CONVOLUTION_DILATIONS, spatial_or(desc.dilations, rank, 1));
  conv.finalize();
  parts_.push_back(std::move(conv));
  const BackendDescriptor& conv_desc = parts_.back();

  const auto y_strides = packed_strides(y_dims, desc.layout);
  const BackendDescriptor& conv_out =
      fused ? parts_.emplace_back(make_tensor(kConvOut, CUDNN_DATA_FLOAT, y_dims, y_strides, true))
            : parts_.emplace_back(make_tensor(kGraphY, type, y_dims, y_strides, false));

  std::vector<cudnnBackendDescriptor_t> ops;
  BackendDescriptor conv_op(CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR);
  conv_op.set_descriptor(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X, x);
  conv_op.set_descriptor(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W, w);
  conv_op.set_descriptor(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y, conv_out);
  conv_op.set_descriptor(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC, conv_desc);
  const float alpha = 1.0f;
  const float beta = 0.0f;
  conv_op.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA, CUDNN_TYPE_FLOAT, 1, &alpha);
  conv_op.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA, CUDNN_TYPE_FLOAT, 1, &beta);
  conv_op.finalize();
  ops.push_back(parts_.emplace_back(std::move(conv_op)).get());

  if (fused) {
    // conv -> [+ bias] -> [+ z] -> [activation]; the intermediates stay
    // virtual f32 tensors inside the engine, the last step writes y.
    const bool activated = desc.activation != Activation::kIdentity;
    const int steps = int{desc.has_bias} + int{desc.has_residual} + int{activated};
    int step = 0;
    const BackendDescriptor* current = &conv_out;
    const auto output_of_step = [&](std::int64_t virtual_uid) -> const BackendDescriptor& {
      if (++step == steps) return parts_.emplace_back(make_tensor(kGraphY, type, y_dims, y_strides, false));
      return parts_.emplace_back(make_tensor(virtual_uid, CUDNN_DATA_FLOAT, y_dims, y_strides, true));
    };
    const PointwiseMode add{CUDNN_POINTWISE_ADD, {}};
    if (desc.has_bias) {
      const BackendDescriptor& bias = parts_.emplace_back(make_tensor(
          kGraphBias, type, bias_dims, packed_strides(bias_dims, desc.layout), false));
      tensor_ids_.push_back(kGraphBias);
      const BackendDescriptor& biased = output_of_step(kBiasOut);
      ops.push_back(parts_.emplace_back(make_pointwise(add, *current, &bias, biased, parts_)).get());
      current = &biased;
    }
    if (desc.has_residual) {
      const BackendDescriptor& z =
          parts_.emplace_back(make_tensor(kGraphZ, type, y_dims, y_strides, false));
      tensor_ids_.push_back(kGraphZ);
      const BackendDescriptor& summed = output_of_step(kResidualOut);
      ops.push_back(parts_.emplace_back(make_pointwise(add, *current, &z, summed, parts_)).get());
      current = &summed;
    }
    if (activated) {
      const BackendDescriptor& y = output_of_step(kGraphY);
      ops.push_back(parts_.emplace_back(
          make_pointwise(activation_mode(desc), *current, nullptr, y, parts_)).get());
    }
  }

  graph_ = BackendDescriptor(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR);
  graph_.set(CUDNN_ATTR_OPERATIONGRAPH_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle);
  graph_.set_descriptors(CUDNN_ATTR_OPERATIONGRAPH_OPS, ops);
  graph_.finalize();
}

std::vector<GraphEngineCandidate> ConvolutionGraph::candidates(std::size_t max_count) const {
  std::vector<GraphEngineCandidate> found;
  for (const cudnnBackendHeurMode_t mode : {CUDNN_HEUR_MODE_A, CUDNN_HEUR_MODE_FALLBACK}) {
    BackendDescriptor heuristics(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR);
    heuristics.set_descriptor(CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, graph_);
    heuristics.set(CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE, 1, &mode);
    try {
      heuristics.finalize();
    } catch (const CudaError&) {
      continue;  // no engine list in this mode for this graph
    }
    const auto configs = get_descriptors(heuristics, CUDNN_ATTR_ENGINEHEUR_RESULTS,
                                         CUDNN_BACKEND_ENGINECFG_DESCRIPTOR, kHeuristicResults);
    for (const BackendDescriptor& config : configs) {
      if (found.size() >= max_count) return found;
      auto engines = get_descriptors(config, CUDNN_ATTR_ENGINECFG_ENGINE,
                                     CUDNN_BACKEND_ENGINE_DESCRIPTOR, 1);
      if (engines.empty()) continue;
      const BackendDescriptor& engine = engines.front();
      GraphEngineCandidate candidate;
      candidate.engine = engine.get_int64(CUDNN_ATTR_ENGINE_GLOBAL_INDEX);
      const auto numerical = engine.get_all<cudnnBackendNumericalNote_t>(
          CUDNN_ATTR_ENGINE_NUMERICAL_NOTE, CUDNN_TYPE_NUMERICAL_NOTE,
          CUDNN_NUMERICAL_NOTE_TYPE_COUNT);
      const auto behaviour = engine.get_all<cudnnBackendBehaviorNote_t>(
          CUDNN_ATTR_ENGINE_BEHAVIOR_NOTE, CUDNN_TYPE_BEHAVIOR_NOTE, CUDNN_BEHAVIOR_NOTE_TYPE_COUNT);
      candidate.tensor_core = has_note(numerical, CUDNN_NUMERICAL_NOTE_TENSOR_CORE);
      candidate.runtime_compiled = has_note(behaviour, CUDNN_BEHAVIOR_NOTE_RUNTIME_COMPILATION);
      const bool reduces_precision =
          candidate.tensor_core || has_note(numerical, CUDNN_NUMERICAL_NOTE_DOWN_CONVERT_INPUTS) ||
          has_note(numerical, CUDNN_NUMERICAL_NOTE_REDUCED_PRECISION_REDUCTION);
      if (reduces_precision && !allow_reduced_precision_) continue;
      const auto choices = get_descriptors(config, CUDNN_ATTR_ENGINECFG_KNOB_CHOICES,
                                           CUDNN_BACKEND_KNOB_CHOICE_DESCRIPTOR,
                                           CUDNN_KNOB_TYPE_COUNTS);
      for (const BackendDescriptor& choice : choices) {
        const auto type = choice.get_all<cudnnBackendKnobType_t>(CUDNN_ATTR_KNOB_CHOICE_KNOB_TYPE,
                                                                 CUDNN_TYPE_KNOB_TYPE, 1);
        if (type.empty()) continue;
        candidate.knobs.push_back(static_cast<std::int64_t>(type.front()));
        candidate.knobs.push_back(choice.get_int64(CUDNN_ATTR_KNOB_CHOICE_KNOB_VALUE));
      }
      const bool repeat = std::any_of(found.begin(), found.end(), [&](const auto& f) {
        return f.engine == candidate.engine && f.knobs == candidate.knobs;
      });
      if (!repeat) found.push_back(std::move(candidate));
    }
  }
  return found;
}

GraphPlan ConvolutionGraph::make_plan(std::int64_t engine_index,
                                      const std::vector<std::int64_t>& knobs,
                                      cudnnHandle_t handle) const {
  TRTUTILS_CHECK(knobs.size() % 2 == 0, "ConvolutionGraph: knobs come in (type, value) pairs; got ",
                 knobs.size(), " integers");
  GraphPlan result;
  result.parts.reserve(knobs.size() / 2 + 2);
  BackendDescriptor& engine = result.parts.emplace_back(CUDNN_BACKEND_ENGINE_DESCRIPTOR);
  engine.set_descriptor(CUDNN_ATTR_ENGINE_OPERATION_GRAPH, graph_);
  engine.set_int64(CUDNN_ATTR_ENGINE_GLOBAL_INDEX, engine_index);
  engine.finalize();
  std::vector<cudnnBackendDescriptor_t> raw_choices;
  for (std::size_t i = 0; i < knobs.size(); i += 2) {
    BackendDescriptor& choice = result.parts.emplace_back(CUDNN_BACKEND_KNOB_CHOICE_DESCRIPTOR);
    const auto type = static_cast<cudnnBackendKnobType_t>(knobs[i]);
    choice.set(CUDNN_ATTR_KNOB_CHOICE_KNOB_TYPE, CUDNN_TYPE_KNOB_TYPE, 1, &type);
    choice.set_int64(CUDNN_ATTR_KNOB_CHOICE_KNOB_VALUE, knobs[i + 1]);
    choice.finalize();
    raw_choices.push_back(choice.get());
  }
  BackendDescriptor& config = result.parts.emplace_back(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR);
  config.set_descriptor(CUDNN_ATTR_ENGINECFG_ENGINE, engine);
  if (!raw_choices.empty()) config.set_descriptors(CUDNN_ATTR_ENGINECFG_KNOB_CHOICES, raw_choices);
  config.finalize();
  result.plan = BackendDescriptor(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR);
  result.plan.set(CUDNN_ATTR_EXECUTION_PLAN_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle);
  result.plan.set_descriptor(CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, config);
  result.plan.finalize();
  return result;
}

PreparedGraph::PreparedGraph(std::shared_ptr<const ConvolutionGraph> graph_in, GraphPlan plan_in)
    : graph(std::move(graph_in)), plan(std::move(plan_in)) {
  workspace_bytes =
      static_cast<std::uint64_t>(plan.plan.get_int64(CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE));
}

GraphExecution::GraphExecution(std::shared_ptr<const PreparedGraph> prepared)
    : prepared_(std::move(prepared)), tensor_ids_(prepared_->graph->tensor_ids()) {}

void GraphExecution::execute(cudnnHandle_t handle, const std::vector<void*>& pointers,
                             void* workspace) {
  TRTUTILS_CHECK(pointers.size() == tensor_ids_.size(), "GraphExecution: ", pointers.size(),
                 " pointers for ", tensor_ids_.size(), " tensors");
  if (!variant_pack_ || pointers != bound_ || workspace != bound_workspace_) {
    for (std::size_t i = 0; i < pointers.size(); ++i) {
      const auto address = reinterpret_cast<std::uintptr_t>(pointers[i]);
      TRTUTILS_CHECK(address % kAlignment == 0, "cuDNN convolution: tensor ", tensor_ids_[i],
                     " (1 x, 2 w, 3 y, 4 bias, 5 z) at ", pointers[i], " is not ", kAlignment,
                     "-byte aligned; the engine's convolution plan assumes it. Pass buffers "
                     "from cudaMalloc (or offsets that keep 16-byte alignment)");
    }
    BackendDescriptor pack(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR);
    pack.set_int64s(CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, tensor_ids_);
    pack.set(CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR,
             static_cast<std::int64_t>(pointers.size()), pointers.data());
    pack.set(CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR, 1, &workspace);
    pack.finalize();
    variant_pack_ = std::move(pack);
    bound_ = pointers;
    bound_workspace_ = workspace;
  }
  TRTUTILS_CUDNN_CHECK(cudnnBackendExecute(handle, prepared_->plan.plan.get(), variant_pack_.get()));
}

std::string describe_engine(std::int64_t engine, const std::vector<std::int64_t>& knobs) {
  std::ostringstream out;
  out << "engine " << engine;
  if (!knobs.empty()) {
    out << " (knobs";
    for (std::size_t i = 0; i + 1 < knobs.size(); i += 2) out << " " << knobs[i] << "=" << knobs[i + 1];
    out << ")";
  }
  return out.str();
}

}  // namespace trtutils::gpu::detail
