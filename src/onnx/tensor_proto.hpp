#pragma once
// TensorProto -> HostTensor, shared by the model importer and the .pb reader.
// Private to src/onnx: the only place (with importer.cpp) that sees protobuf.
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils::onnx::detail {

/// The DType of an ONNX TensorProto.DataType value; nullopt when trtutils has
/// no such dtype (string, u16, i16, u32, u64, complex, f8 ...). UNDEFINED (0)
/// maps to DType::kUndefined.
std::optional<DType> dtype_from_onnx(std::int32_t data_type) noexcept;
/// "FLOAT", "STRING", "UINT16", ... or "data type 42" for numbers ONNX 1.12 does not name.
std::string onnx_dtype_name(std::int32_t data_type);

/// Converts a TensorProto (raw_data, typed fields or external data) into a
/// HostTensor. `what` names the tensor in messages ("initializer 'w'").
/// External data is read from base_dir (refused when empty).
/// Throws UnsupportedError (dtype, segments), ModelError (size/dims mismatch,
/// bad external-data keys, a path escaping base_dir) or FileError (external
/// file missing or short).
HostTensor tensor_from_proto(const ::onnx::TensorProto& proto,
                             const std::filesystem::path& base_dir, const std::string& what);

}  // namespace trtutils::onnx::detail
