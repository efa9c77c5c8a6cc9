#include "ops/reduction/gpu_reduce.hpp"

#include <algorithm>
#include <sstream>
#include <string>

#include "ops/gpu_codegen.hpp"
#include "ops/tensor/gpu_index_map.hpp"

namespace trtutils::ops::reduction {
namespace {

using tensor::decompose_code;

/// Dims after simplification: kept and reduced (extent, stride) lists.
struct Layout {
  Shape kept, reduced;
  std::vector<std::int64_t> kept_strides, reduced_strides;
  bool innermost_reduced = false;
};

Layout simplify_layout(const Shape& shape, const std::vector<bool>& reduced) {
  TRTUTILS_CHECK(reduced.size() == shape.size(), "reduction mask has ", reduced.size(),
                 " entries for rank ", shape.size());
  // Merge runs of equal flags (the input is contiguous, so runs stay linear).
  Shape extents;
  std::vector<bool> flags;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    if (!flags.empty() && flags.back() == reduced[d]) {
      extents.back() *= shape[d];
    } else {
      extents.push_back(shape[d]);
      flags.push_back(reduced[d]);
    }
  }
  Layout layout;
  const std::vector<std::int64_t> strides = contiguous_strides(extents);
  for (std::size_t d = 0; d < extents.size(); ++d) {
    (flags[d] ? layout.reduced : layout.kept).push_back(extents[d]);
    (flags[d] ? layout.reduced_strides : layout.kept_strides).push_back(strides[d]);
  }
  layout.innermost_reduced = !flags.empty() && flags.back();
  return layout;
}

bool is_arg(GpuReduceKind k) { return k == GpuReduceKind::kArgMax || k == GpuReduceKind::kArgMin; }

bool is_floating(DType d) {
  return d == DType::kFloat16 || d == DType::kBFloat16 || d == DType::kFloat32 ||
         d == DType::kFloat64;
}

/// The accumulator (Reduce*) or comparison (Arg*) type, as the CPU reference.
std::string state_type(GpuReduceKind kind, DType in) {
  if (in == DType::kFloat64) return "double";
  if (is_floating(in)) return "float";
  if (is_arg(kind)) return in == DType::kInt64 ? "long long" : "int";  // shuffle-able ints
  const bool via_double = kind == GpuReduceKind::kMean || kind == GpuReduceKind::kL2 ||
                          kind == GpuReduceKind::kLogSum || kind == GpuReduceKind::kLogSumExp;
  return via_double ? "double" : "long long";
}

std::string init_value(GpuReduceKind kind, const std::string& type) {
  const bool is_float = type == "float";
  const bool is_double = type == "double";
  const std::string inf = is_float    ? "__int_as_float(0x7f800000)"
                          : is_double ? "__longlong_as_double(0x7ff0000000000000LL)"
                                      : "";
  switch (kind) {
    case GpuReduceKind::kMax:
      return inf.empty() ? "(-9223372036854775807LL - 1)" : "(-" + inf + ")";
    case GpuReduceKind::kMin: return inf.empty() ? "9223372036854775807LL" : inf;
    case GpuReduceKind::kProd: return "(" + type + ")1";
    default: return "(" + type + ")0";
  }
}

/// The generated pieces: state variables and how to start, feed, merge and
/// store them. `x` is the element (state type), `<v>_o` the other state.
struct Pieces {
  std::vector<std::pair<std::string, std::string>> vars;  // (type, name)
  std::string init;     // declares and initialises the state
  std::string reset;    // sets the state back to its initial value
  std::string update;   // consumes x at reduce index r
  std::string combine;  // merges the *_o state into the state
  std::string result;   // the value to store (state type or long long)
};

Pieces reduce_pieces(GpuReduceKind kind, const std::string& type) {
  Pieces p;
  p.vars = {{type, "t"}};
  p.init = type + " t = " + init_value(kind, type) + ";";
  p.reset = "t = " + init_value(kind, type) + ";";
  const bool f = type == "float";
  const std::string exp_fn = f ? "expf" : "exp";
  const std::string log_fn = f ? "logf" : "log";
  const std::string sqrt_fn = f ? "sqrtf" : "sqrt";
  std::string element;  // what x contributes to a sum
  switch (kind) {
    case GpuReduceKind::kMax:
      p.update = "t = (x > t || x != x) ? x : t;";
      p.combine = "t = (t_o > t || t_o != t_o) ? t_o : t;";
      break;
    case GpuReduceKind::kMin:
      p.update = "t = (x < t || x != x) ? x : t;";
      p.combine = "t = (t_o < t || t_o != t_o) ? t_o : t;";
      break;
    case GpuReduceKind::kProd:
      p.update = "t = t * x;";
      p.combine = "t = t * t_o;";
      break;
    case GpuReduceKind::kL1: element = "(x < 0 ? -x : x)"; break;
    case GpuReduceKind::kL2:
    case GpuReduceKind::kSumSquare: element = "x * x"; break;
    case GpuReduceKind::kLogSumExp: element = exp_fn + "(x)"; break;
    default: element = "x"; break;
  }
  if (!element.empty()) {
    p.update = "t = t + " + element + ";";
    p.combine = "t = t + t_o;";
  }
  switch (kind) {
    case GpuReduceKind::kL2: p.result = sqrt_fn + "(t)"; break;
    case GpuReduceKind::kLogSum:
    case GpuReduceKind::kLogSumExp: p.result = log_fn + "(t)"; break;
    default: p.result = "t"; break;
  }
  return p;
}

Pieces arg_pieces(GpuReduceKind kind, bool last, const std::string& type) {
  // A partial is (b, bi), bi < 0 = none yet. Within one thread elements come
  // in increasing r; NaNs are skipped except at r == 0, which then wins.
  const std::string beats = kind == GpuReduceKind::kArgMax ? ">" : "<";
  Pieces p;
  p.vars = {{type, "b"}, {"long long", "bi"}};
  p.init = type + " b = 0; long long bi = -1;";
  p.reset = "b = 0; bi = -1;";
  p.update = detail::concat("if (bi < 0) { if (r == 0 || x == x) { b = x; bi = r; } } else if (x ",
                            beats, " b", last ? " || x == b" : "", ") { b = x; bi = r; }");
  p.combine = detail::concat(
      "{ bool take = false;\n"
      "        if (bi_o >= 0) {\n"
      "          if (bi < 0) take = true;\n"
      "          else if (bi == 0 && b != b) take = false;\n"
      "          else if (bi_o == 0 && b_o != b_o) take = true;\n"
      "          else if (b_o ", beats, " b) take = true;\n"
      "          else if (b_o == b) take = ", last ? "bi_o > bi" : "bi_o < bi", ";\n"
      "        }\n"
      "        if (take) { b = b_o; bi = bi_o; } }");
  p.result = "bi";
  return p;
}

std::string store_code(DType out, const std::string& state, const std::string& value) {
  const std::string v = "(" + value + ")";
  if (out == DType::kBool) return v + " != 0";
  if (out == DType::kFloat16 || out == DType::kBFloat16) return gpu::store_expr(out, "(float)" + v);
  if (!is_floating(out) && (state == "float" || state == "double")) {
    // The CPU reference: NaN / inf have no integer value and become 0.
    return detail::concat("(isfinite(", v, ") ? (", gpu::cuda_type(out), ")", v, " : (",
                          gpu::cuda_type(out), ")0)");
  }
  return "(" + gpu::cuda_type(out) + ")" + v;
}

std::uint32_t grid_for(std::int64_t groups) {
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(groups, 1, 65535LL * 16));
}

/// kColumnSplit (see gpu_reduce.hpp): threadIdx.x picks the output among 32
/// neighbours, threadIdx.y the rows of the reduced extent it feeds; row 0
/// merges the others' states in order and stores.
KernelLaunch column_split_launch(const GpuReduction& op, const GpuTensor& in, const GpuTensor& out,
                                 const Layout& layout) {
  const std::int64_t extent = element_count(layout.reduced);
  const std::int64_t outputs = element_count(layout.kept);
  const std::string type = state_type(op.kind, in.dtype);
  const Pieces p =
      is_arg(op.kind) ? arg_pieces(op.kind, op.select_last_index, type) : reduce_pieces(op.kind, type);
  std::string result = p.result;
  if (op.kind == GpuReduceKind::kMean) result = detail::concat("t / (", type, ")", extent);
  const std::int64_t rows = kColumnSplitRows;
  std::ostringstream code;
  code << gpu::kernel_preamble() << "extern \"C\" __global__ void trt_reduce(const "
       << gpu::cuda_type(in.dtype) << "* __restrict__ in, " << gpu::cuda_type(out.dtype)
       << "* __restrict__ out) {\n";
  for (const auto& [t, name] : p.vars) {
    code << "  __shared__ " << t << " " << name << "_shared[" << rows << "][32];\n";
  }
  code << "  for (long long first = (long long)blockIdx.x * 32; first < " << outputs
       << "LL; first += (long long)gridDim.x * 32) {\n"
       << "    const long long o = first + threadIdx.x;\n"
       << "    const bool valid = o < " << outputs << "LL;\n"
       << "    long long base = 0;\n"
       << "    if (valid) {\n"
       << decompose_code("o", layout.kept, {layout.kept_strides}, {"base"}, "long long")
       << "    }\n    " << p.init << "\n"
       << "    for (long long r = threadIdx.y; valid && r < " << extent << "LL; r += " << rows
       << ") {\n"
       << "      long long off = base;\n"
       << decompose_code("r", layout.reduced, {layout.reduced_strides}, {"off"}, "long long")
       << "      const " << type << " x = (" << type << ")(" << gpu::load_expr(in.dtype, "in[off]")
       << ");\n      " << p.update << "\n    }\n";
  for (const auto& [t, name] : p.vars) {
    code << "    " << name << "_shared[threadIdx.y][threadIdx.x] = " << name << ";\n";
  }
  code << "    __syncthreads();\n"
       << "    if (threadIdx.y == 0 && valid) {\n"
       << "      for (int row = 1; row < " << rows << "; ++row) {\n";
  for (const auto& [t, name] : p.vars) {
    code << "        const " << t << " " << name << "_o = " << name << "_shared[row][threadIdx.x];\n";
  }
  code << "        " << p.combine << "\n      }\n"
       << "      out[o] = " << store_code(out.dtype, is_arg(op.kind) ? "long long" : type, result)
       << ";\n    }\n    __syncthreads();\n  }\n}\n";
  KernelLaunch launch;
  launch.source = code.str();
  launch.entry = "trt_reduce";
  launch.grid = {grid_for((outputs + 31) / 32), 1, 1};
  launch.block = {32, static_cast<std::uint32_t>(rows), 1};
  launch.arguments = {KernelArgument::pointer_to(in), KernelArgument::pointer_to(out)};
  return launch;
}

}  // namespace

ReduceStrategy choose_strategy(const Shape& shape, const std::vector<bool>& reduced) {
  const Layout layout = simplify_layout(shape, reduced);
  const std::int64_t extent = element_count(layout.reduced);
  const std::int64_t outputs = element_count(layout.kept);
  if (!layout.innermost_reduced && extent >= 64 && outputs >= 32) {
    return ReduceStrategy::kColumnSplit;
  }
  if (extent >= 2048 && outputs < 1024) return ReduceStrategy::kBlockPerOutput;
  if (layout.innermost_reduced && extent >= 32) return ReduceStrategy::kWarpPerOutput;
  return ReduceStrategy::kThreadPerOutput;
}

KernelLaunch reduction_launch(const GpuReduction& op, const GpuTensor& in, const GpuTensor& out,
                              const std::vector<bool>& reduced) {
  const Layout layout = simplify_layout(in.shape, reduced);
  const std::int64_t extent = element_count(layout.reduced);
  const std::int64_t outputs = element_count(layout.kept);
  TRTUTILS_CHECK(out.element_count() == outputs, "reduction output has ", out.element_count(),
                 " elements, expected ", outputs);
  const ReduceStrategy strategy = op.strategy.value_or(choose_strategy(in.shape, reduced));
  if (strategy == ReduceStrategy::kColumnSplit) return column_split_launch(op, in, out, layout);
  std::int64_t group = 1;     // threads per output
  std::int64_t per_block = 1;  // outputs per block
  if (strategy == ReduceStrategy::kWarpPerOutput) {
    group = 32;
    per_block = 8;
  } else if (strategy == ReduceStrategy::kBlockPerOutput) {
    group = 256;
  }
  const std::string type = state_type(op.kind, in.dtype);
  const Pieces p =
      is_arg(op.kind) ? arg_pieces(op.kind, op.select_last_index, type) : reduce_pieces(op.kind, type);
  std::string result = p.result;
  if (op.kind == GpuReduceKind::kMean) result = detail::concat("t / (", type, ")", extent);

  std::ostringstream code;
  code << gpu::kernel_preamble() << "extern \"C\" __global__ void trt_reduce(const "
       << gpu::cuda_type(in.dtype) << "* __restrict__ in, " << gpu::cuda_type(out.dtype)
       << "* __restrict__ out) {\n";
  if (group > 32) {
    for (const auto& [t, name] : p.vars) {
      code << "  __shared__ " << t << " " << name << "_shared[" << group / 32 << "];\n";
    }
  }
  if (group == 1) {
    code << "  const long long lane = 0;\n"
         << "  for (long long o = trt_tid(); o < " << outputs << "LL; o += trt_stride()) {\n";
  } else {
    code << "  const long long lane = threadIdx.x;\n"
         << "  for (long long o = (long long)blockIdx.x * " << per_block << " + threadIdx.y; o < "
         << outputs << "LL; o += (long long)gridDim.x * " << per_block << ") {\n";
  }
  code << "    long long base = 0;\n"
       << decompose_code("o", layout.kept, {layout.kept_strides}, {"base"}, "long long") << "    "
       << p.init << "\n"
       << "    for (long long r = lane; r < " << extent << "LL; r += " << group << ") {\n"
       << "      long long off = base;\n"
       << decompose_code("r", layout.reduced, {layout.reduced_strides}, {"off"}, "long long")
       << "      const " << type << " x = (" << type << ")(" << gpu::load_expr(in.dtype, "in[off]")
       << ");\n      " << p.update << "\n    }\n";
  if (group > 1) {
    const auto shuffle = [&]() {
      std::ostringstream s;
      s << "    for (int m = 16; m > 0; m >>= 1) {\n";
      for (const auto& [t, name] : p.vars) {
        s << "      const " << t << " " << name << "_o = __shfl_xor_sync(0xffffffffu, " << name
          << ", m);\n";
      }
      s << "      " << p.combine << "\n    }\n";
      return s.str();
    };
    code << shuffle();
    if (group > 32) {
      // Warp results through shared memory; warp 0 merges them.
      code << "    if ((threadIdx.x & 31) == 0) {";
      for (const auto& [t, name] : p.vars) {
        code << " " << name << "_shared[threadIdx.x >> 5] = " << name << ";";
      }
      code << " }\n    __syncthreads();\n    if (threadIdx.x < 32) {\n      " << p.reset
           << "\n      if (threadIdx.x < " << group / 32 << ") {";
      for (const auto& [t, name] : p.vars) {
        code << " " << name << " = " << name << "_shared[threadIdx.x];";
      }
      code << " }\n" << shuffle() << "    }\n    __syncthreads();\n";
    }
  }
  code << "    if (lane == 0) out[o] = " << store_code(out.dtype, is_arg(op.kind) ? "long long" : type, result)
       << ";\n  }\n}\n";

  KernelLaunch launch;
  launch.source = code.str();
  launch.entry = "trt_reduce";
  if (group == 1) {
    gpu::set_linear_launch(launch, outputs);
  } else {
    launch.grid = {grid_for((outputs + per_block - 1) / per_block), 1, 1};
    launch.block = {static_cast<std::uint32_t>(group == 32 ? 32 : group),
                    static_cast<std::uint32_t>(per_block), 1};
  }
  launch.arguments = {KernelArgument::pointer_to(in), KernelArgument::pointer_to(out)};
  return launch;
}

void emit_reduction(LoweringContext& ctx, const GpuReduction& op, const std::vector<bool>& reduced) {
  const GpuTensor out = ctx.output(0);
  if (out.element_count() == 0) return;
  ctx.emit_kernel(ctx.node().name() + "/reduce", reduction_launch(op, ctx.input(0), out, reduced));
}

}  // namespace trtutils::ops::reduction
