// BatchNormalization: https://onnx.ai/onnx/operators/onnx__BatchNormalization.html
// X [N, C, D1..Dn], scale/B/input_mean/input_var [C] -> Y like X; with
// training_mode = 1 (opset >= 14) also running_mean and running_var [C].
#include <cmath>

#include "ops/nn/nn_ops.hpp"
#include "ops/nn/numeric.hpp"

namespace trtutils::ops::nn {
namespace {

bool training_mode(const ir::Node& node, std::int64_t opset) {
  return opset >= 14 && node.attributes().get_int("training_mode", 0) != 0;
}

/// Modes we do not implement, refused the same way by the shape rule and the
/// CPU reference.
template <typename Context>
void check_supported(const Context& ctx) {
  const ir::Node& node = ctx.node();
  if (ctx.opset() < 9 && node.attributes().get_int("spatial", 1) == 0) {
    ctx.unsupported("spatial = 0 (per-activation statistics, opset < 9) is not implemented");
  }
  if (ctx.opset() < 14) {
    for (std::size_t i = 1; i < node.outputs().size(); ++i) {
      if (node.output(i)) {
        ctx.unsupported(
            "the training outputs of opset < 14 (mean, var, saved_mean, "
            "saved_var) are not implemented; export for inference");
      }
    }
  }
}

void infer_batch_normalization(InferContext& ctx) {
  check_supported(ctx);
  const ir::MaybeShape& x = ctx.input_shape(0);
  if (x && x->size() < 2) ctx.fail("X must have rank >= 2 ([N, C, ...])");
  ctx.set_output(0, ctx.input_dtype(0), x);
  if (training_mode(ctx.node(), ctx.opset())) {
    const ir::MaybeShape channels = x ? ir::MaybeShape(ir::DimList{(*x)[1]}) : ctx.input_shape(3);
    for (std::size_t i = 1; i < 3 && i < ctx.output_count(); ++i) {
      ctx.set_output(i, ctx.input_dtype(3), channels);
    }
  }
}

std::vector<HostTensor> run_batch_normalization(const CpuContext& ctx) {
  check_supported(ctx);
  const HostTensor& x = ctx.input(0);
  if (x.rank() < 2) ctx.fail("X must have rank >= 2 ([N, C, ...])");
  const std::int64_t batch = x.shape()[0];
  const std::int64_t channels = x.shape()[1];
  const std::int64_t size = product(x.shape(), 2, x.shape().size());
  for (std::size_t i = 1; i < 5; ++i) {
    if (ctx.input(i).element_count() != channels) {
      ctx.fail(detail::concat("input ", i, " must have C = ", channels, " elements"));
    }
  }
  const double epsilon = ctx.attributes().get_float("epsilon", 1e-5f);
  const std::vector<double> xs = read_doubles(x);
  const std::vector<double> scale = read_doubles(ctx.input(1));
  const std::vector<double> bias = read_doubles(ctx.input(2));
  std::vector<double> mean = read_doubles(ctx.input(3));
  std::vector<double> var = read_doubles(ctx.input(4));
  const bool training = training_mode(ctx.node(), ctx.opset());
  std::vector<double> running_mean = mean;
  std::vector<double> running_var = var;
  if (training) {
    // Normalise with the batch's own statistics (population variance) and
    // blend them into the running ones: running = input * momentum + batch * (1 - momentum).
    const double momentum = ctx.attributes().get_float("momentum", 0.9f);
    const auto count = static_cast<double>(batch * size);
    for (std::int64_t c = 0; c < channels; ++c) {
      double sum = 0.0;
      for (std::int64_t n = 0; n < batch; ++n) {
        for (std::int64_t i = 0; i < size; ++i)
          sum += xs[static_cast<std::size_t>((n * channels + c) * size + i)];
      }
      const double m = sum / count;
      double squares = 0.0;
      for (std::int64_t n = 0; n < batch; ++n) {
        for (std::int64_t i = 0; i < size; ++i) {
          const double d = xs[static_cast<std::size_t>((n * channels + c) * size + i)] - m;
          squares += d * d;
        }
      }
      const auto ci = static_cast<std::size_t>(c);
      running_mean[ci] = mean[ci] * momentum + m * (1.0 - momentum);
      running_var[ci] = var[ci] * momentum + squares / count * (1.0 - momentum);
      mean[ci] = m;
      var[ci] = squares / count;
    }
  }
  std::vector<double> ys(xs.size());
  for (std::int64_t n = 0; n < batch; ++n) {
    for (std::int64_t c = 0; c < channels; ++c) {
      const auto ci = static_cast<std::size_t>(c);
      const double inv_std = 1.0 / std::sqrt(var[ci] + epsilon);
      for (std::int64_t i = 0; i < size; ++i) {
        const auto at = static_cast<std::size_t>((n * channels + c) * size + i);
        ys[at] = (xs[at] - mean[ci]) * inv_std * scale[ci] + bias[ci];
      }
    }
  }
  std::vector<HostTensor> outputs;
  outputs.push_back(make_tensor(x.shape(), x.dtype(), ys));
  if (training) {
    const DType stats = ctx.input(3).dtype();
    for (std::size_t i = 1; i < ctx.output_count(); ++i) {
      if (!ctx.node().output(i)) {
        outputs.emplace_back();
        continue;
      }
      outputs.push_back(make_tensor(Shape{channels}, stats, i == 1 ? running_mean : running_var));
    }
  } else {
    outputs.resize(ctx.output_count());
  }
  return outputs;
}

}  // namespace

OpSchema batch_normalization_schema() {
  return {"BatchNormalization", "", infer_batch_normalization, run_batch_normalization,
          batch_normalization_gpu_lowering()};
}

}  // namespace trtutils::ops::nn
