#include "tensor_proto.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <limits>
#include <system_error>
#include <utility>

#include "trtutils/core/error.hpp"

namespace trtutils::onnx::detail {

// raw_data and external data are little-endian by the ONNX spec; we copy bytes.
static_assert(std::endian::native == std::endian::little,
              "the ONNX importer copies little-endian tensor bytes as they are");

namespace fs = std::filesystem;
using trtutils::detail::concat;

std::optional<DType> dtype_from_onnx(std::int32_t data_type) noexcept {
  using P = ::onnx::TensorProto;
  switch (data_type) {
    case P::UNDEFINED:
      return DType::kUndefined;
    case P::FLOAT:
      return DType::kFloat32;
    case P::UINT8:
      return DType::kUInt8;
    case P::INT8:
      return DType::kInt8;
    case P::INT32:
      return DType::kInt32;
    case P::INT64:
      return DType::kInt64;
    case P::BOOL:
      return DType::kBool;
    case P::FLOAT16:
      return DType::kFloat16;
    case P::DOUBLE:
      return DType::kFloat64;
    case P::BFLOAT16:
      return DType::kBFloat16;
    default:
      return std::nullopt;
  }
}

std::string onnx_dtype_name(std::int32_t data_type) {
  if (::onnx::TensorProto::DataType_IsValid(data_type)) {
    return ::onnx::TensorProto::DataType_Name(
        static_cast<::onnx::TensorProto::DataType>(data_type));
  }
  return concat("data type ", data_type);
}

namespace {

Shape checked_shape(const ::onnx::TensorProto& proto, const std::string& what,
                    std::int64_t* count) {
  Shape shape;
  shape.reserve(static_cast<std::size_t>(proto.dims_size()));
  std::int64_t elements = 1;
  for (const std::int64_t d : proto.dims()) {
    if (d < 0) throw ModelError(concat(what, " has a negative dimension (", d, ")"));
    if (d != 0 && elements > std::numeric_limits<std::int64_t>::max() / d) {
      throw ModelError(concat(what, ": the element count of its dims overflows"));
    }
    elements *= d;
    shape.push_back(d);
  }
  *count = elements;
  return shape;
}

[[noreturn]] void size_mismatch(const std::string& what, const Shape& shape, std::int64_t expected,
                                std::size_t got, const char* unit, const char* field) {
  throw ModelError(concat(what, ": dims ", shape_to_string(shape), " need ", expected, " ", unit,
                          " but ", field, " holds ", got));
}

/// Checks that `name` stays inside `base` (no absolute path, no "..", and no
/// symlink leading out) and returns the full path.
fs::path resolve_inside(const fs::path& base, const std::string& location,
                        const std::string& what) {
  const fs::path rel(location);
  if (location.empty()) throw ModelError(concat(what, ": external data has an empty location"));
  if (rel.is_absolute() || rel.has_root_name() || rel.has_root_directory()) {
    throw ModelError(concat(what, ": external data location '", location,
                            "' is absolute; ONNX requires a path relative to the model's folder"));
  }
  for (const auto& part : rel) {
    if (part == "..") {
      throw ModelError(concat(what, ": external data location '", location,
                              "' leaves the model's folder ('..'); refusing to read it"));
    }
  }
  const fs::path full = base / rel;
  std::error_code ec;
  const fs::path real_base = fs::weakly_canonical(base, ec);
  if (ec) return full;
  const fs::path real_full = fs::weakly_canonical(full, ec);
  if (ec) return full;
  const auto [base_end, _] =
      std::mismatch(real_base.begin(), real_base.end(), real_full.begin(), real_full.end());
  if (base_end != real_base.end()) {
    throw ModelError(concat(what, ": external data location '", location, "' resolves to ",
                            real_full.string(), ", outside the model's folder ", real_base.string(),
                            " (a symlink?); refusing to read it"));
  }
  return full;
}

std::uint64_t parse_size_key(const std::string& key, const std::string& text,
                             const std::string& what) {
  std::uint64_t value = 0;
  if (text.empty()) throw ModelError(concat(what, ": external data '", key, "' is empty"));
  for (const char c : text) {
    if (c < '0' || c > '9' || value > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) {
      throw ModelError(
          concat(what, ": external data '", key, "' is not a byte count: '", text, "'"));
    }
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

struct ExternalSource {
  fs::path file;
  std::uint64_t offset = 0;
};

/// Finds and checks a tensor's external data (keys location/offset/length of
/// onnx.proto) before anything is allocated: the file must exist inside
/// base_dir and hold `want` bytes from the offset.
ExternalSource locate_external(const ::onnx::TensorProto& proto, const fs::path& base_dir,
                               const std::string& what, std::uint64_t want) {
  std::string location;
  ExternalSource source;
  std::optional<std::uint64_t> length;
  for (const auto& entry : proto.external_data()) {
    if (entry.key() == "location") {
      location = entry.value();
    } else if (entry.key() == "offset") {
      source.offset = parse_size_key("offset", entry.value(), what);
    } else if (entry.key() == "length") {
      length = parse_size_key("length", entry.value(), what);
    }  // "checksum" and unknown keys are ignored, as onnx.proto allows.
  }
  if (base_dir.empty()) {
    throw ModelError(concat(what, " keeps its data in external file '", location,
                            "' but no folder to find it in was given (set "
                            "ImportOptions::external_data_dir or import from a file)"));
  }
  source.file = resolve_inside(base_dir, location, what);
  if (length && *length != want) {
    throw ModelError(concat(what, ": external data length ", *length,
                            " does not match its dims and dtype (", want, " bytes)"));
  }
  std::error_code ec;
  if (!fs::is_regular_file(source.file, ec)) {
    throw FileError(concat("cannot read external data file '", source.file.string(), "' of ", what,
                           ": ", ec ? ec.message() : "no such file"));
  }
  const std::uintmax_t file_size = fs::file_size(source.file, ec);
  if (ec) {
    throw FileError(concat("cannot read external data file '", source.file.string(), "' of ", what,
                           ": ", ec.message()));
  }
  if (source.offset > file_size || file_size - source.offset < want) {
    throw FileError(concat("external data file '", source.file.string(), "' of ", what, " has ",
                           file_size, " bytes; ", want, " are needed from offset ", source.offset));
  }
  return source;
}

void read_external(const ExternalSource& source, const std::string& what, HostTensor& tensor) {
  if (tensor.byte_size() == 0) return;
  std::ifstream in(source.file, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(source.offset));
  in.read(static_cast<char*>(tensor.data()), static_cast<std::streamsize>(tensor.byte_size()));
  if (!in) {
    throw FileError(
        concat("reading external data file '", source.file.string(), "' of ", what, " failed"));
  }
}

template <typename Field>
void check_count(const Field& field, std::int64_t count, const std::string& what,
                 const Shape& shape, const char* name) {
  if (static_cast<std::int64_t>(field.size()) != count) {
    size_mismatch(what, shape, count, static_cast<std::size_t>(field.size()), "values", name);
  }
}

/// int32_data carries every dtype narrower than 32 bits; f16/bf16 as their bit patterns.
void read_int32_field(const ::onnx::TensorProto& proto, const std::string& what, HostTensor& t) {
  const auto& field = proto.int32_data();
  check_count(field, t.element_count(), what, t.shape(), "int32_data");
  auto* out = static_cast<std::byte*>(t.data());
  for (int i = 0; i < field.size(); ++i) {
    const std::int32_t v = field.Get(i);
    switch (t.dtype()) {
      case DType::kInt32:
        std::memcpy(out + 4 * i, &v, 4);
        break;
      case DType::kInt8:
        reinterpret_cast<std::int8_t*>(out)[i] = static_cast<std::int8_t>(v);
        break;
      case DType::kUInt8:
        reinterpret_cast<std::uint8_t*>(out)[i] = static_cast<std::uint8_t>(v);
        break;
      case DType::kBool:
        reinterpret_cast<bool*>(out)[i] = v != 0;
        break;
      case DType::kFloat16:
      case DType::kBFloat16: {
        const auto bits = static_cast<std::uint16_t>(v);
        std::memcpy(out + 2 * i, &bits, 2);
        break;
      }
      default:
        throw ModelError(concat(what, ": int32_data cannot hold ", dtype_name(t.dtype())));
    }
  }
}

void read_typed_fields(const ::onnx::TensorProto& proto, const std::string& what, HostTensor& t) {
  const std::int64_t count = t.element_count();
  switch (t.dtype()) {
    case DType::kFloat32:
      check_count(proto.float_data(), count, what, t.shape(), "float_data");
      if (count) std::memcpy(t.data(), proto.float_data().data(), t.byte_size());
      return;
    case DType::kInt64:
      check_count(proto.int64_data(), count, what, t.shape(), "int64_data");
      if (count) std::memcpy(t.data(), proto.int64_data().data(), t.byte_size());
      return;
    case DType::kFloat64:
      check_count(proto.double_data(), count, what, t.shape(), "double_data");
      if (count) std::memcpy(t.data(), proto.double_data().data(), t.byte_size());
      return;
    default:
      read_int32_field(proto, what, t);
  }
}

/// The typed field that holds `dtype`'s values, and how many it has.
std::pair<const char*, std::int64_t> typed_field(const ::onnx::TensorProto& proto, DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return {"float_data", proto.float_data_size()};
    case DType::kInt64:
      return {"int64_data", proto.int64_data_size()};
    case DType::kFloat64:
      return {"double_data", proto.double_data_size()};
    default:
      return {"int32_data", proto.int32_data_size()};
  }
}

}  // namespace

HostTensor tensor_from_proto(const ::onnx::TensorProto& proto, const fs::path& base_dir,
                             const std::string& what) {
  const std::int32_t data_type = proto.data_type();
  const std::optional<DType> dtype = dtype_from_onnx(data_type);
  if (!dtype) {
    throw UnsupportedError(concat(what, " has dtype ", onnx_dtype_name(data_type),
                                  ", which trtutils does not support (supported: f32, f16, bf16, "
                                  "f64, i64, i32, i8, u8, bool)"));
  }
  if (*dtype == DType::kUndefined) {
    throw ModelError(concat(what, " has no data_type (UNDEFINED)"));
  }
  if (proto.has_segment()) {
    throw UnsupportedError(concat(what, " is a segmented tensor, which trtutils does not support"));
  }
  std::int64_t count = 0;
  Shape shape = checked_shape(proto, what, &count);
  const std::size_t element = dtype_size(*dtype);
  // Every size is checked against the data actually present before the
  // tensor is allocated, so that corrupt dims cannot ask for terabytes.
  if (static_cast<std::uint64_t>(count) >
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) / element) {
    throw ModelError(concat(what, ": dims ", shape_to_string(shape), " are too large"));
  }
  const std::uint64_t bytes = static_cast<std::uint64_t>(count) * element;
  if (proto.data_location() == ::onnx::TensorProto::EXTERNAL) {
    const ExternalSource source = locate_external(proto, base_dir, what, bytes);
    HostTensor tensor(std::move(shape), *dtype);
    read_external(source, what, tensor);
    return tensor;
  }
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != bytes) {
      size_mismatch(what, shape, static_cast<std::int64_t>(bytes), proto.raw_data().size(), "bytes",
                    "raw_data");
    }
    HostTensor tensor(std::move(shape), *dtype);
    if (bytes) std::memcpy(tensor.data(), proto.raw_data().data(), bytes);
    if (*dtype == DType::kBool) {
      // Any non-zero byte is true, and a C++ bool must hold 0 or 1.
      auto* b = static_cast<std::uint8_t*>(tensor.data());
      for (std::int64_t i = 0; i < count; ++i) b[i] = b[i] != 0 ? 1 : 0;
    }
    return tensor;
  }
  const auto [field_name, field_count] = typed_field(proto, *dtype);
  if (field_count != count) {
    size_mismatch(what, shape, count, static_cast<std::size_t>(field_count), "values", field_name);
  }
  HostTensor tensor(std::move(shape), *dtype);
  read_typed_fields(proto, what, tensor);
  return tensor;
}

}  // namespace trtutils::onnx::detail
