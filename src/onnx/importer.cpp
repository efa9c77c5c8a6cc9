#include "trtutils/onnx/importer.hpp"

#include <onnx/onnx_pb.h>

#include <climits>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

#include "tensor_proto.hpp"
#include "trtutils/core/error.hpp"
#include "trtutils/ops/registry.hpp"

namespace trtutils::onnx {

namespace fs = std::filesystem;
using detail::dtype_from_onnx;
using detail::onnx_dtype_name;
using detail::tensor_from_proto;
using trtutils::detail::concat;

namespace {

/// Reads a whole file; FileError naming it when that fails.
std::string read_file(const fs::path& path, const char* kind) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    throw FileError(concat("cannot open ", kind, " '", path.string(), "': no such file"));
  }
  if (fs::is_directory(path, ec)) {
    throw FileError(concat("cannot open ", kind, " '", path.string(), "': it is a directory"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(concat("cannot open ", kind, " '", path.string(), "' for reading"));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw FileError(concat("reading ", kind, " '", path.string(), "' failed"));
  return bytes;
}

/// Protobuf cannot parse messages of 2 GiB or more (ONNX stores such weights
/// as external data); ParseFromArray takes an int.
template <typename Message>
bool parse_message(Message& message, std::string_view bytes) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) return false;
  return message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

std::string normalize_domain(const std::string& domain) {
  return domain == "ai.onnx" ? std::string() : domain;
}

std::string domain_prefix(const std::string& domain) {
  return domain.empty() ? std::string() : domain + "::";
}

const char* type_kind(const ::onnx::TypeProto& type) {
  switch (type.value_case()) {
    case ::onnx::TypeProto::kSequenceType:
      return "a sequence";
    case ::onnx::TypeProto::kMapType:
      return "a map";
    case ::onnx::TypeProto::kOptionalType:
      return "an optional";
    case ::onnx::TypeProto::kSparseTensorType:
      return "a sparse tensor";
    case ::onnx::TypeProto::kOpaqueType:
      return "an opaque value";
    default:
      return "not a tensor";
  }
}

const char* attribute_kind(::onnx::AttributeProto::AttributeType type) {
  switch (type) {
    case ::onnx::AttributeProto::GRAPH:
      return "a GRAPH (subgraph)";
    case ::onnx::AttributeProto::GRAPHS:
      return "a list of GRAPHs (subgraphs)";
    case ::onnx::AttributeProto::SPARSE_TENSOR:
      return "a SPARSE_TENSOR";
    case ::onnx::AttributeProto::SPARSE_TENSORS:
      return "a list of SPARSE_TENSORs";
    case ::onnx::AttributeProto::TYPE_PROTO:
      return "a TYPE_PROTO";
    case ::onnx::AttributeProto::TYPE_PROTOS:
      return "a list of TYPE_PROTOs";
    case ::onnx::AttributeProto::TENSORS:
      return "a list of TENSORs";
    default:
      return "of an unknown attribute type";
  }
}

/// Attributes written by old exporters may leave `type` unset; the field that
/// is present says what it is.
::onnx::AttributeProto::AttributeType attribute_type(const ::onnx::AttributeProto& a) {
  using A = ::onnx::AttributeProto;
  if (a.type() != A::UNDEFINED) return a.type();
  if (a.has_f()) return A::FLOAT;
  if (a.has_i()) return A::INT;
  if (a.has_s()) return A::STRING;
  if (a.has_t()) return A::TENSOR;
  if (a.has_g()) return A::GRAPH;
  if (a.has_sparse_tensor()) return A::SPARSE_TENSOR;
  if (a.floats_size()) return A::FLOATS;
  if (a.ints_size()) return A::INTS;
  if (a.strings_size()) return A::STRINGS;
  if (a.graphs_size()) return A::GRAPHS;
  return A::UNDEFINED;
}

class ModelImporter {
 public:
  ModelImporter(const ImportOptions& options, std::string source)
      : options_(options),
        registry_(options.registry ? *options.registry : ops::OpRegistry::builtin()),
        source_(std::move(source)) {}

  ir::Graph run(const ::onnx::ModelProto& model) {
    read_opsets(model);
    const ::onnx::GraphProto& g = model.graph();
    graph_.name = g.name();
    std::set<std::string> initializer_names;
    for (const auto& init : g.initializer()) initializer_names.insert(init.name());
    read_inputs(g, initializer_names);
    read_initializers(g);
    for (int i = 0; i < g.node_size(); ++i) read_node(g.node(i), i);
    read_outputs(g);
    read_value_info(g);
    check_opsets();
    report_problems();
    graph_.topological_sort();
    graph_.validate();
    return std::move(graph_);
  }

 private:
  void read_opsets(const ::onnx::ModelProto& model) {
    for (const auto& opset : model.opset_import()) {
      graph_.opset_imports[normalize_domain(opset.domain())] = opset.version();
    }
  }

  void check_opsets() {
    bool default_domain_used = false;
    for (const ir::Node* node : graph_.nodes()) default_domain_used |= node->domain().empty();
    const auto it = graph_.opset_imports.find("");
    if (it == graph_.opset_imports.end()) {
      if (default_domain_used) {
        unsupported_.push_back("the model imports no opset for the default ONNX domain");
      }
      return;
    }
    if (it->second < kMinOpset || it->second > kMaxOpset) {
      unsupported_.push_back(concat("default-domain opset ", it->second,
                                    " (trtutils supports opsets ", kMinOpset, " to ", kMaxOpset,
                                    ")"));
    }
  }

  void apply_type(ir::Value* value, const ::onnx::TypeProto& type, const std::string& what) {
    if (type.value_case() == ::onnx::TypeProto::VALUE_NOT_SET) return;
    if (!type.has_tensor_type()) {
      unsupported_.push_back(concat(what, " is ", type_kind(type), "; only tensors are supported"));
      return;
    }
    const auto& tensor_type = type.tensor_type();
    const std::optional<DType> dtype = dtype_from_onnx(tensor_type.elem_type());
    if (!dtype) {
      unsupported_.push_back(concat(what, " has dtype ", onnx_dtype_name(tensor_type.elem_type())));
    } else if (!value->is_constant()) {
      value->set_dtype(*dtype);
    }
    if (!tensor_type.has_shape() || value->is_constant()) return;
    ir::DimList dims;
    dims.reserve(static_cast<std::size_t>(tensor_type.shape().dim_size()));
    for (const auto& d : tensor_type.shape().dim()) {
      if (d.has_dim_value()) {
        // Some exporters write -1 for a dynamic dim; read it as unknown.
        dims.push_back(d.dim_value() >= 0 ? ir::Dim(d.dim_value()) : ir::Dim());
      } else if (d.has_dim_param() && !d.dim_param().empty()) {
        dims.push_back(ir::Dim::symbolic(d.dim_param()));
      } else {
        dims.emplace_back();
      }
    }
    value->set_shape(std::move(dims));
  }

  void read_inputs(const ::onnx::GraphProto& g, const std::set<std::string>& initializer_names) {
    for (const auto& input : g.input()) {
      if (input.name().empty()) throw ModelError(concat(source_, ": a graph input has no name"));
      // An input that is also an initializer is a constant with a default
      // (IR < 4 listed every initializer as an input); it is not fed at run time.
      if (initializer_names.count(input.name())) continue;
      ir::Value* value = graph_.add_value(input.name());
      apply_type(value, input.type(), concat("graph input '", input.name(), "'"));
      graph_.inputs().push_back(value);
      inputs_.insert(value);
    }
  }

  void read_initializers(const ::onnx::GraphProto& g) {
    for (const auto& init : g.initializer()) {
      if (init.name().empty()) throw ModelError(concat(source_, ": an initializer has no name"));
      ir::Value* value = graph_.add_value(init.name());
      try {
        value->set_constant(tensor_from_proto(init, options_.external_data_dir,
                                              concat("initializer '", init.name(), "'")));
      } catch (const UnsupportedError& e) {
        unholdable_.push_back(e.what());
      }
    }
    for (const auto& sparse : g.sparse_initializer()) {
      unholdable_.push_back(concat("sparse initializer '", sparse.values().name(),
                                   "': sparse tensors are not supported"));
    }
  }

  ir::Value* value_for_input(const std::string& name) {
    if (name.empty()) return nullptr;  // an omitted optional input
    ir::Value* value = graph_.find_value(name);
    // Not defined yet: a node further down may produce it (the file need not
    // be sorted); validate() reports it if nothing does.
    return value ? value : graph_.add_value(name);
  }

  ir::Value* value_for_output(const std::string& name, const std::string& node_desc) {
    if (name.empty()) return nullptr;  // an omitted optional output
    ir::Value* value = graph_.find_value(name);
    if (!value) return graph_.add_value(name);
    if (inputs_.count(value) || value->is_constant()) {
      throw ModelError(concat(node_desc, " writes '", name, "', which is already a graph ",
                              inputs_.count(value) ? "input" : "initializer",
                              "; ONNX graphs must be in SSA form"));
    }
    return value;  // referenced earlier by a consumer; add_node rejects a second producer
  }

  void read_node(const ::onnx::NodeProto& proto, int index) {
    if (proto.op_type().empty()) {
      throw ModelError(
          concat(source_, ": node #", index, " ('", proto.name(), "') has no op_type"));
    }
    std::string name = proto.name().empty() ? concat(proto.op_type(), "_", index) : proto.name();
    const std::string domain = normalize_domain(proto.domain());
    const std::string desc =
        concat("node '", name, "' (", domain_prefix(domain), proto.op_type(), ")");
    std::vector<ir::Value*> inputs;
    inputs.reserve(static_cast<std::size_t>(proto.input_size()));
    for (const auto& in : proto.input()) inputs.push_back(value_for_input(in));
    std::vector<ir::Value*> outputs;
    outputs.reserve(static_cast<std::size_t>(proto.output_size()));
    for (const auto& out : proto.output()) outputs.push_back(value_for_output(out, desc));
    ir::Attributes attributes;
    for (const auto& a : proto.attribute()) read_attribute(a, desc, attributes);
    if (!registry_.find(proto.op_type(), domain)) {
      unsupported_.push_back(concat(desc, ": operator ", domain_prefix(domain), proto.op_type(),
                                    " is not implemented"));
    }
    graph_.add_node(proto.op_type(), std::move(name), std::move(inputs), std::move(outputs),
                    std::move(attributes), domain);
  }

  void read_attribute(const ::onnx::AttributeProto& a, const std::string& node_desc,
                      ir::Attributes& out) {
    using A = ::onnx::AttributeProto;
    const A::AttributeType type = attribute_type(a);
    switch (type) {
      case A::FLOAT:
        out.set(a.name(), a.f());
        return;
      case A::INT:
        out.set(a.name(), static_cast<std::int64_t>(a.i()));
        return;
      case A::STRING:
        out.set(a.name(), a.s());
        return;
      case A::FLOATS:
        out.set(a.name(), std::vector<float>(a.floats().begin(), a.floats().end()));
        return;
      case A::INTS:
        out.set(a.name(), std::vector<std::int64_t>(a.ints().begin(), a.ints().end()));
        return;
      case A::STRINGS:
        out.set(a.name(), std::vector<std::string>(a.strings().begin(), a.strings().end()));
        return;
      case A::TENSOR:
        try {
          out.set(a.name(), tensor_from_proto(a.t(), options_.external_data_dir,
                                              concat("attribute '", a.name(), "' of ", node_desc)));
        } catch (const UnsupportedError& e) {
          unsupported_.push_back(e.what());
        }
        return;
      case A::UNDEFINED:
        return;  // no value at all: nothing to keep
      default:
        unsupported_.push_back(concat(node_desc, ": attribute '", a.name(), "' is ",
                                      attribute_kind(type), ", which trtutils does not support"));
    }
  }

  void read_outputs(const ::onnx::GraphProto& g) {
    for (const auto& output : g.output()) {
      if (output.name().empty()) throw ModelError(concat(source_, ": a graph output has no name"));
      ir::Value* value = graph_.find_value(output.name());
      if (!value) value = graph_.add_value(output.name());  // validate() reports it
      apply_type(value, output.type(), concat("graph output '", output.name(), "'"));
      graph_.outputs().push_back(value);
    }
  }

  void read_value_info(const ::onnx::GraphProto& g) {
    for (const auto& info : g.value_info()) {
      ir::Value* value = graph_.find_value(info.name());
      if (!value) continue;  // describes nothing in this graph
      apply_type(value, info.type(), concat("value '", info.name(), "'"));
    }
  }

  void report_problems() {
    std::vector<std::string> lines = unholdable_;
    if (options_.check_support) lines.insert(lines.end(), unsupported_.begin(), unsupported_.end());
    if (lines.empty()) return;
    std::string message = concat(source_, " uses ", lines.size(), " thing",
                                 lines.size() == 1 ? "" : "s", " trtutils does not support:");
    for (const auto& line : lines) message += "\n  " + line;
    throw UnsupportedError(message);
  }

  const ImportOptions& options_;
  const ops::OpRegistry& registry_;
  std::string source_;
  ir::Graph graph_;
  std::set<const ir::Value*> inputs_;
  std::vector<std::string> unsupported_;  // reported when check_support is on
  std::vector<std::string> unholdable_;   // tensors trtutils cannot represent: always reported
};

ir::Graph import_bytes(std::string_view bytes, const ImportOptions& options,
                       const std::string& source) {
  if (bytes.empty()) throw FileError(concat(source, " is empty: not an ONNX model"));
  ::onnx::ModelProto model;
  if (!parse_message(model, bytes)) {
    throw FileError(concat(source, " is not an ONNX model (protobuf parsing failed: ",
                           bytes.size() > static_cast<std::size_t>(INT_MAX)
                               ? "2 GiB or larger; keep the weights as external data"
                               : "truncated, or not a ModelProto",
                           ")"));
  }
  if (model.ir_version() <= 0 || !model.has_graph()) {
    throw FileError(concat(source, " is not an ONNX model (",
                           model.ir_version() <= 0 ? "no ir_version" : "no graph",
                           "; truncated, or some other protobuf message?)"));
  }
  return ModelImporter(options, source).run(model);
}

}  // namespace

ir::Graph import_model(const fs::path& path, const ImportOptions& options) {
  const std::string bytes = read_file(path, "ONNX model");
  ImportOptions resolved = options;
  if (resolved.external_data_dir.empty()) {
    resolved.external_data_dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  }
  return import_bytes(bytes, resolved, concat("ONNX model '", path.string(), "'"));
}

ir::Graph import_model_from_bytes(std::string_view bytes, const ImportOptions& options) {
  return import_bytes(bytes, options, concat("ONNX model (", bytes.size(), " bytes in memory)"));
}

namespace {

NamedTensor parse_named(std::string_view bytes, const fs::path& base_dir,
                        const std::string& source) {
  if (bytes.empty()) throw FileError(concat(source, " is empty: not a TensorProto"));
  ::onnx::TensorProto proto;
  if (!parse_message(proto, bytes)) {
    throw FileError(concat(source, " is not a TensorProto (protobuf parsing failed: truncated?)"));
  }
  const std::string what =
      proto.name().empty() ? source : concat("tensor '", proto.name(), "' in ", source);
  return {proto.name(), tensor_from_proto(proto, base_dir, what)};
}

fs::path folder_of(const fs::path& path) {
  return path.parent_path().empty() ? fs::path(".") : path.parent_path();
}

}  // namespace

NamedTensor read_named_tensor_proto(const fs::path& path) {
  return parse_named(read_file(path, "tensor file"), folder_of(path),
                     concat("tensor file '", path.string(), "'"));
}

HostTensor read_tensor_proto(const fs::path& path) { return read_named_tensor_proto(path).tensor; }

HostTensor parse_tensor_proto(std::string_view bytes, const fs::path& base_dir) {
  return parse_named(bytes, base_dir, concat("TensorProto (", bytes.size(), " bytes in memory)"))
      .tensor;
}

}  // namespace trtutils::onnx
