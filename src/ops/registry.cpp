#include "trtutils/ops/registry.hpp"

#include "ops/families.hpp"

namespace trtutils::ops {

void OpRegistry::add(OpSchema schema) {
  auto key = std::make_pair(schema.domain, schema.op_type);
  TRTUTILS_CHECK(!schemas_.count(key), "op '", schema.op_type, "' is registered twice");
  TRTUTILS_CHECK(schema.infer && schema.run_cpu, "op '", schema.op_type,
                 "' needs both a shape rule and a CPU reference");
  schemas_.emplace(std::move(key), std::move(schema));
}

const OpSchema* OpRegistry::find(std::string_view op_type, std::string_view domain) const {
  // "ai.onnx" is the default domain spelled out.
  const std::string d = domain == "ai.onnx" ? std::string() : std::string(domain);
  const auto it = schemas_.find({d, std::string(op_type)});
  return it == schemas_.end() ? nullptr : &it->second;
}

std::vector<std::string> OpRegistry::op_types() const {
  std::vector<std::string> names;
  for (const auto& [key, schema] : schemas_) names.push_back(key.second);
  return names;
}

const OpRegistry& OpRegistry::builtin() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    register_elementwise_ops(r);
    register_generator_ops(r);
    register_nn_ops(r);
    register_tensor_ops(r);
    register_reduction_ops(r);
    register_image_ops(r);
    register_detection_ops(r);
    return r;
  }();
  return registry;
}

}  // namespace trtutils::ops
