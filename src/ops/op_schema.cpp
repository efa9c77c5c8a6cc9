#include "trtutils/ops/op_schema.hpp"

namespace trtutils::ops {

namespace {
const ir::Value& present_input(const ir::Node& node, std::size_t i) {
  const ir::Value* v = node.input(i);
  if (!v) throw ModelError(detail::concat(node.describe(), ": input ", i, " is required"));
  return *v;
}
}  // namespace

DType InferContext::input_dtype(std::size_t i) const { return present_input(node_, i).dtype(); }

const ir::MaybeShape& InferContext::input_shape(std::size_t i) const {
  return present_input(node_, i).shape();
}

const HostTensor* InferContext::input_constant(std::size_t i) const {
  const ir::Value* v = node_.input(i);
  return v && v->is_constant() ? &v->constant() : nullptr;
}

void InferContext::set_output(std::size_t i, DType dtype, ir::MaybeShape shape) {
  ir::Value* out = node_.output(i);
  if (!out) return;  // omitted optional output
  out->set_dtype(dtype);
  out->set_shape(std::move(shape));
}

void InferContext::set_output_constant(std::size_t i, HostTensor value) {
  ir::Value* out = node_.output(i);
  if (out) out->set_constant(std::move(value));
}

void InferContext::fail(const std::string& message) const {
  throw ModelError(detail::concat(node_.describe(), ": ", message));
}

void InferContext::unsupported(const std::string& message) const {
  throw UnsupportedError(detail::concat(node_.describe(), ": ", message));
}

const HostTensor& CpuContext::input(std::size_t i) const {
  if (!has_input(i)) fail(detail::concat("input ", i, " is required"));
  return *inputs_[i];
}

void CpuContext::fail(const std::string& message) const {
  throw ModelError(detail::concat(node_.describe(), ": ", message));
}

void CpuContext::unsupported(const std::string& message) const {
  throw UnsupportedError(detail::concat(node_.describe(), ": ", message));
}

}  // namespace trtutils::ops
