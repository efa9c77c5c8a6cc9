// Trilu (ONNX Trilu-14): keeps the upper (upper = 1, default) or lower
// triangle of the last two axes and zeroes the rest. For element (i, j) and
// diagonal offset k (optional 0-d i64 input, default 0): upper keeps
// j - i >= k, lower keeps j - i <= k.
#include <cstring>

#include "ops/detection/detection_ops.hpp"
#include "ops/support.hpp"

namespace trtutils::ops::detection {
namespace {

void infer_trilu(InferContext& ctx) {
  const ir::MaybeShape& shape = ctx.input_shape(0);
  if (shape && shape->size() < 2)
    ctx.fail(detail::concat("input must have rank >= 2, got ", ir::to_string(shape)));
  ctx.set_output(0, ctx.input_dtype(0), shape);
}

std::vector<HostTensor> run_trilu(const CpuContext& ctx) {
  const HostTensor& x = ctx.input(0);
  if (x.rank() < 2)
    ctx.fail(detail::concat("input must have rank >= 2, got ", shape_to_string(x.shape())));
  std::int64_t k = 0;
  if (ctx.has_input(1) && ctx.input(1).element_count() > 0) {
    const std::vector<std::int64_t> kv = read_ints(ctx.input(1));
    if (kv.size() != 1) ctx.fail("k must hold exactly one value");
    k = kv[0];
  }
  const bool upper = ctx.attributes().get_int("upper", 1) != 0;
  const std::int64_t rows = x.shape()[x.shape().size() - 2];
  const std::int64_t cols = x.shape()[x.shape().size() - 1];
  HostTensor out(x.shape(), x.dtype());  // zero-filled
  const std::size_t e = dtype_size(x.dtype());
  const auto* src = static_cast<const std::byte*>(x.data());
  auto* dst = static_cast<std::byte*>(out.data());
  const std::int64_t matrices = rows * cols == 0 ? 0 : x.element_count() / (rows * cols);
  for (std::int64_t m = 0; m < matrices; ++m) {
    for (std::int64_t i = 0; i < rows; ++i) {
      for (std::int64_t j = 0; j < cols; ++j) {
        const bool keep = upper ? j - i >= k : j - i <= k;
        if (!keep) continue;
        const auto at = static_cast<std::size_t>((m * rows + i) * cols + j) * e;
        std::memcpy(dst + at, src + at, e);
      }
    }
  }
  return {std::move(out)};
}

}  // namespace

OpSchema trilu_schema() { return {"Trilu", "", infer_trilu, run_trilu}; }

}  // namespace trtutils::ops::detection
