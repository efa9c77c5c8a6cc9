#include "ops/node_evaluation.hpp"

#include <exception>
#include <new>
#include <string>

namespace trtutils::ops {

std::int64_t opset_for(const ir::Graph& graph, const ir::Node& node) {
  const std::string& domain = node.domain();
  if (domain.empty() || domain == "ai.onnx") return graph.opset();
  const auto it = graph.opset_imports.find(domain);
  return it == graph.opset_imports.end() ? 0 : it->second;
}

bool shape_matches(const ir::MaybeShape& declared, const Shape& actual) {
  if (!declared) return true;
  if (declared->size() != actual.size()) return false;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    const ir::Dim& d = (*declared)[i];
    if (d.is_static() && d.value != actual[i]) return false;
  }
  return true;
}

void check_output_agrees(const ir::Node& node, std::size_t index, const HostTensor& tensor) {
  const ir::Value* out = node.output(index);
  if (!out) return;
  if (out->dtype() != DType::kUndefined && out->dtype() != tensor.dtype()) {
    throw ModelError(trtutils::detail::concat(
        node.describe(), ": output '", out->name(), "' has dtype ", dtype_name(out->dtype()),
        " by its shape rule or declaration, but the CPU reference produced ",
        dtype_name(tensor.dtype())));
  }
  if (!shape_matches(out->shape(), tensor.shape())) {
    throw ModelError(trtutils::detail::concat(
        node.describe(), ": output '", out->name(), "' has shape ", ir::to_string(out->shape()),
        " by its shape rule or declaration, but the CPU reference produced ",
        shape_to_string(tensor.shape())));
  }
}

namespace evaluation_detail {

namespace {
std::string with_prefix(const ir::Node& node, const char* what) {
  const std::string description = node.describe();
  const std::string message = what;
  if (message.find(description) != std::string::npos) return message;
  return trtutils::detail::concat(description, ": ", message);
}
}  // namespace

void rethrow_with_node(const ir::Node& node) {
  // Most specific types first: UnsupportedError derives from ModelError.
  try {
    throw;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const UnsupportedError& e) {
    throw UnsupportedError(with_prefix(node, e.what()));
  } catch (const ModelError& e) {
    throw ModelError(with_prefix(node, e.what()));
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(with_prefix(node, e.what()));
  } catch (const FileError& e) {
    throw FileError(with_prefix(node, e.what()));
  } catch (const Error& e) {
    throw Error(with_prefix(node, e.what()));
  } catch (const std::exception& e) {
    // A standard-library exception out of an op (std::out_of_range, ...) is
    // a bug in that op; keep the node in the message so it can be found.
    throw Error(with_prefix(node, (std::string("internal error: ") + e.what()).c_str()));
  }
}

}  // namespace evaluation_detail

std::vector<HostTensor> evaluate_node(const OpSchema& schema, const ir::Node& node,
                                      std::int64_t opset, std::vector<const HostTensor*> inputs) {
  std::vector<HostTensor> results = with_node_context(node, [&] {
    const CpuContext context(node, opset, std::move(inputs));
    return schema.run_cpu(context);
  });
  const auto& outputs = node.outputs();
  std::size_t required = 0;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (outputs[i]) required = i + 1;
  }
  if (results.size() < required || results.size() > outputs.size()) {
    throw ModelError(trtutils::detail::concat(node.describe(), ": the CPU reference returned ",
                                              results.size(), " tensor(s), the node has ",
                                              outputs.size(), " output(s) (", required,
                                              " needed); this is a bug in the op"));
  }
  for (std::size_t i = 0; i < required; ++i) {
    if (outputs[i] && results[i].empty()) {
      throw ModelError(trtutils::detail::concat(node.describe(), ": the CPU reference left output ",
                                                i, " ('", outputs[i]->name(),
                                                "') empty; this is a bug in the op"));
    }
  }
  return results;
}

}  // namespace trtutils::ops
