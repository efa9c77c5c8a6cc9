#pragma once
// ONNX -> IR. The only part of the library that knows protobuf: everything it
// returns is plain IR and host tensors.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "trtutils/ir/graph.hpp"
#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils::ops {
class OpRegistry;
}  // namespace trtutils::ops

namespace trtutils::onnx {

/// Default-domain opsets the library is tested against; others are reported
/// as unsupported by the support check.
inline constexpr std::int64_t kMinOpset = 1;
inline constexpr std::int64_t kMaxOpset = 17;

struct ImportOptions {
  /// Folder for external-data tensors; defaults to the model file's folder.
  /// import_model_from_bytes refuses external data when this is empty.
  std::filesystem::path external_data_dir;
  /// When true (default), nodes whose op the registry lacks, unsupported
  /// opsets/domains, dtypes and attribute kinds (subgraphs, sparse tensors)
  /// are all collected and reported in one UnsupportedError; when false the
  /// graph is returned as-is (unsupported attributes are dropped). Tensors the
  /// library cannot hold (an initializer of dtype string, say) are an
  /// UnsupportedError either way.
  bool check_support = true;
  /// The ops the support check accepts; nullptr means ops::OpRegistry::builtin().
  const ops::OpRegistry* registry = nullptr;
};

/// Reads a .onnx file (ModelProto) into a graph: initializers become constant
/// values, Constant nodes stay nodes (constant folding removes them), graph
/// inputs that are also initializers are treated as constants.
///
/// Conventions of the result:
/// - opset_imports keys: "" for the default domain ("ai.onnx" is folded into "").
/// - Node::domain() is "" for the default domain too.
/// - An empty input name (omitted optional input) is a nullptr input; an empty
///   output name (omitted optional output) is a nullptr output, so output
///   indices stay aligned with the operator's definition.
/// - Nodes without a name get "<op_type>_<index in the file>".
/// - A negative dim_value (some exporters write -1) reads as an unknown dim.
/// - Nodes are topologically sorted and the graph validated.
///
/// Throws FileError (unreadable/truncated/not ONNX, external data missing) or
/// ModelError (invalid graph, tensor size mismatch) or UnsupportedError
/// (everything unsupported, listed at once, one line each).
ir::Graph import_model(const std::filesystem::path& path, const ImportOptions& options = {});
/// The same from bytes in memory (external data resolved against
/// options.external_data_dir).
ir::Graph import_model_from_bytes(std::string_view bytes, const ImportOptions& options = {});

/// Reads a serialized TensorProto (.pb, as in ONNX's backend test data).
/// External data is resolved against the file's folder.
HostTensor read_tensor_proto(const std::filesystem::path& path);
/// As read_tensor_proto, also returning the TensorProto's name.
struct NamedTensor {
  std::string name;
  HostTensor tensor;
};
NamedTensor read_named_tensor_proto(const std::filesystem::path& path);
/// Parses a TensorProto from bytes; external data (if any) is resolved
/// against base_dir and refused when base_dir is empty.
HostTensor parse_tensor_proto(std::string_view bytes, const std::filesystem::path& base_dir = {});

}  // namespace trtutils::onnx
