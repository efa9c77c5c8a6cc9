#pragma once
// ONNX -> IR. The only part of the library that knows protobuf: everything it
// returns is plain IR and host tensors.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "trtutils/ir/graph.hpp"
#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils::onnx {

struct ImportOptions {
  /// Folder for external-data tensors; defaults to the model file's folder.
  std::filesystem::path external_data_dir;
  /// When true (default), nodes whose op the registry lacks, unsupported
  /// opsets/domains and dtypes are all collected and reported in one
  /// UnsupportedError; when false the graph is returned as-is.
  bool check_support = true;
};

/// Reads a .onnx file (ModelProto) into a graph: initializers become constant
/// values, Constant nodes stay nodes (constant folding removes them), graph
/// inputs that are also initializers are treated as constants.
/// Throws FileError (unreadable/truncated/not ONNX) or ModelError (invalid
/// graph) or UnsupportedError (everything unsupported, listed at once).
ir::Graph import_model(const std::filesystem::path& path, const ImportOptions& options = {});
/// The same from bytes in memory (external data resolved against
/// options.external_data_dir).
ir::Graph import_model_from_bytes(std::string_view bytes, const ImportOptions& options = {});

/// Reads a serialized TensorProto (.pb, as in ONNX's backend test data).
HostTensor read_tensor_proto(const std::filesystem::path& path);
HostTensor parse_tensor_proto(std::string_view bytes, const std::filesystem::path& base_dir = {});

}  // namespace trtutils::onnx
