// NonZero (ONNX NonZero-9/13): the indices of the non-zero elements as an i64
// [rank, count] tensor, in row-major order (numpy.nonzero). The count is data
// dependent: the shape rule leaves it unknown.
#include "ops/detection/detection_ops.hpp"
#include "ops/support.hpp"

namespace trtutils::ops::detection {
namespace {

void infer_non_zero(InferContext& ctx) {
  const ir::MaybeShape& shape = ctx.input_shape(0);
  ir::Dim rank;
  if (shape) rank = static_cast<std::int64_t>(shape->size());
  ctx.set_output(0, DType::kInt64, ir::DimList{rank, ir::Dim()});
}

std::vector<HostTensor> run_non_zero(const CpuContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const auto rank = static_cast<std::size_t>(x.rank());
  std::vector<std::vector<std::int64_t>> found;  // one coordinate list per hit
  const TensorView view = x.view();
  for_each_index(x.shape(), [&](const std::vector<std::int64_t>& coords, std::int64_t linear) {
    if (element_as_double(view, linear) != 0.0) found.push_back(coords);
  });
  const auto count = static_cast<std::int64_t>(found.size());
  HostTensor out(Shape{static_cast<std::int64_t>(rank), count}, DType::kInt64);
  auto values = out.values<std::int64_t>();
  for (std::size_t d = 0; d < rank; ++d) {
    for (std::size_t i = 0; i < found.size(); ++i) {
      values[d * found.size() + i] = found[i][d];
    }
  }
  return {std::move(out)};
}

}  // namespace

OpSchema non_zero_schema() { return {"NonZero", "", infer_non_zero, run_non_zero}; }

}  // namespace trtutils::ops::detection
