#pragma once
// Names of the layer kinds the runtime executes and of their parameters: the
// contract between op lowerings / the builder (which write them) and the
// runtime (which reads them). Enumerated values are stored in plan files:
// never renumber. See docs/ENGINE_CONTRACT.md.
#include <cstdint>

namespace trtutils::plan::layer_kinds {

// --- "nvrtc.kernel": one generated kernel launch ----------------------------
inline constexpr const char* kNvrtcKernel = "nvrtc.kernel";
namespace nvrtc {
inline constexpr const char* kSource = "source";        // string, CUDA C++
inline constexpr const char* kEntry = "entry";          // string, extern "C" name
inline constexpr const char* kCubin = "cubin";          // bytes, for header.target_arch
inline constexpr const char* kGrid = "grid";            // ints[3]
inline constexpr const char* kBlock = "block";          // ints[3]
inline constexpr const char* kShared = "shared";        // int, dynamic shared bytes
inline constexpr const char* kArgKinds = "arg_kinds";   // ints: 0 tensor pointer, 1 scalar
inline constexpr const char* kArgTensors = "arg_tensors";  // ints: tensor id or -1
inline constexpr const char* kArgSizes = "arg_sizes";   // ints: bytes per argument (8 for pointers)
inline constexpr const char* kArgScalars = "arg_scalars";  // bytes: scalars concatenated
}  // namespace nvrtc

// --- "cudnn.convolution": inputs x, w, [bias], [z]; output y ------------------
inline constexpr const char* kCudnnConvolution = "cudnn.convolution";
namespace convolution {
inline constexpr const char* kLayout = "layout";              // int: 0 NCHW, 1 NHWC
inline constexpr const char* kInputShape = "input_shape";     // ints: N, C, spatial...
inline constexpr const char* kFilterShape = "filter_shape";   // ints: K, C/groups, spatial...
inline constexpr const char* kPadsBegin = "pads_begin";       // ints per spatial axis
inline constexpr const char* kPadsEnd = "pads_end";
inline constexpr const char* kStrides = "strides";
inline constexpr const char* kDilations = "dilations";
inline constexpr const char* kGroups = "groups";              // int
inline constexpr const char* kHasBias = "has_bias";           // int 0/1
inline constexpr const char* kHasResidual = "has_residual";   // int 0/1
inline constexpr const char* kActivation = "activation";      // int, below
inline constexpr const char* kClipCeiling = "clip_ceiling";   // double
inline constexpr const char* kLeakySlope = "leaky_slope";     // double (kLeakyRelu)
// Chosen by the builder's autotuning:
inline constexpr const char* kAlgorithm = "algorithm";        // int
inline constexpr const char* kMathType = "math_type";         // int
inline constexpr const char* kWorkspaceBytes = "workspace_bytes";  // int
inline constexpr const char* kFused = "fused";                // int 0/1
inline constexpr const char* kEngine = "engine";              // int: cuDNN graph engine, -1 legacy
inline constexpr const char* kKnobs = "knobs";                // ints: (knob type, value) pairs
enum Activation : std::int64_t {
  kIdentity = 0,
  kRelu = 1,
  kSigmoid = 2,
  kTanh = 3,
  kClippedRelu = 4,
  kSilu = 5,
  kLeakyRelu = 6,
  kGelu = 7
};
}  // namespace convolution

// --- "cublaslt.matmul": inputs A, B, [bias], [C]; output D --------------------
// Row-major D[b] = epilogue(alpha * op(A[b]) op(B[b]) + beta * C[b]).
inline constexpr const char* kCublasLtMatmul = "cublaslt.matmul";
namespace matmul {
inline constexpr const char* kM = "m";
inline constexpr const char* kN = "n";
inline constexpr const char* kK = "k";
inline constexpr const char* kBatch = "batch";
inline constexpr const char* kTransposeA = "transpose_a";     // int 0/1
inline constexpr const char* kTransposeB = "transpose_b";
inline constexpr const char* kBatchStrideA = "batch_stride_a";  // int, elements; 0 = broadcast
inline constexpr const char* kBatchStrideB = "batch_stride_b";
inline constexpr const char* kBatchStrideC = "batch_stride_c";
inline constexpr const char* kAlpha = "alpha";                // double
inline constexpr const char* kBeta = "beta";                  // double
inline constexpr const char* kEpilogue = "epilogue";          // int, below
// Chosen by the builder's autotuning:
inline constexpr const char* kAlgorithm = "algorithm";        // bytes (cublasLtMatmulAlgo_t)
inline constexpr const char* kWorkspaceBytes = "workspace_bytes";
enum Epilogue : std::int64_t { kNone = 0, kBias = 1, kRelu = 2, kGelu = 3, kBiasRelu = 4, kBiasGelu = 5 };
}  // namespace matmul

// --- "copy": output 0 = input 0, same byte size -------------------------------
inline constexpr const char* kCopy = "copy";

// On any layer: output i's true extent (i indexes this layer's `outputs`)
// is the i64 scalar in this tensor after the layer runs (NonZero, NMS), along
// the axis given by kDynamicExtentAxisPrefix + i (int, default 0).
inline constexpr const char* kDynamicExtentPrefix = "dynamic_extent_of_output_";
inline constexpr const char* kDynamicExtentAxisPrefix = "dynamic_extent_axis_of_output_";

}  // namespace trtutils::plan::layer_kinds
