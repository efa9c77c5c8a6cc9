#include "trtutils/tensor/npy.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "trtutils/core/error.hpp"

namespace trtutils {

namespace {

static_assert(std::endian::native == std::endian::little,
              "npy I/O assumes a little-endian host, like the rest of trtutils");

// Layout constants from numpy.lib.format (_wrap_header, GROWTH_AXIS_MAX_DIGITS).
constexpr std::array<unsigned char, 6> kMagic = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr std::size_t kMagicAndVersionSize = 8;
constexpr std::size_t kArrayAlign = 64;
constexpr std::size_t kGrowthAxisMaxDigits = 21;
constexpr std::size_t kMaxPreludeSize = kMagicAndVersionSize + 4;
constexpr int kMaxLiteralDepth = 32;
constexpr std::string_view kSupportedDescrs = "u1, i1, i4, i8, f2, f4, f8 and b1";

template <typename... Parts>
[[noreturn]] void fail(std::string_view source, Parts&&... parts) {
  throw FileError(detail::concat(source, ": ", std::forward<Parts>(parts)...));
}

// The header as it can be shown in a message: trailing padding dropped, long
// headers cut, bytes that are not printable ASCII escaped as \xNN.
std::string quoted_excerpt(std::string_view text) {
  constexpr std::size_t kMax = 160;
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) text.remove_suffix(1);
  std::string out = "\"";
  for (const char c : text.substr(0, kMax)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      constexpr std::string_view kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xfu];
    }
  }
  return out + (text.size() > kMax ? "...\"" : "\"");
}

// --- The header: a Python literal, parsed by a small recursive-descent parser ---

struct PyLiteral {
  enum class Kind { kString, kBool, kNone, kInt, kTuple, kList, kDict };
  Kind kind = Kind::kNone;
  std::string text;               // kString
  bool flag = false;              // kBool
  std::int64_t integer = 0;       // kInt
  std::vector<PyLiteral> items;   // kTuple, kList, kDict values
  std::vector<std::string> keys;  // kDict keys (string keys only)
};

class LiteralParser {
 public:
  LiteralParser(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  PyLiteral parse_document() {
    PyLiteral value = parse_value(0);
    skip_space();
    if (pos_ != text_.size()) error("unexpected text after the header dict");
    return value;
  }

 private:
  [[noreturn]] void error(std::string_view what) const {
    fail(source_, "malformed header ", quoted_excerpt(text_), ": ", what, " at offset ", pos_);
  }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool consume(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool consume_word(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    const std::size_t end = pos_ + word.size();
    if (end < text_.size() &&
        (std::isalnum(static_cast<unsigned char>(text_[end])) != 0 || text_[end] == '_')) {
      return false;
    }
    pos_ = end;
    return true;
  }

  PyLiteral parse_value(int depth) {
    if (depth > kMaxLiteralDepth) error("nesting too deep");
    skip_space();
    if (pos_ >= text_.size()) error("unexpected end of header");
    const char c = text_[pos_];
    if (c == '\'' || c == '"') return parse_string();
    if (c == '{') return parse_dict(depth);
    if (c == '(') return parse_sequence(depth, ')', PyLiteral::Kind::kTuple);
    if (c == '[') return parse_sequence(depth, ']', PyLiteral::Kind::kList);
    if (c == '-' || (c >= '0' && c <= '9')) return parse_int();
    PyLiteral value;
    if (consume_word("True")) {
      value.kind = PyLiteral::Kind::kBool;
      value.flag = true;
      return value;
    }
    if (consume_word("False")) {
      value.kind = PyLiteral::Kind::kBool;
      return value;
    }
    if (consume_word("None")) return value;
    error("expected a Python literal (string, True/False, None, integer, tuple, list or dict)");
  }

  PyLiteral parse_string() {
    const char quote = text_[pos_++];
    PyLiteral value;
    value.kind = PyLiteral::Kind::kString;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\') ++pos_;  // descrs never need escapes; keep the next char as is
      if (pos_ >= text_.size()) break;
      value.text += text_[pos_++];
    }
    if (pos_ >= text_.size()) error("unterminated string");
    ++pos_;
    return value;
  }

  PyLiteral parse_int() {
    PyLiteral value;
    value.kind = PyLiteral::Kind::kInt;
    const bool negative = text_[pos_] == '-';
    if (negative) ++pos_;
    if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') error("expected digits");
    std::int64_t magnitude = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      const int digit = text_[pos_++] - '0';
      if (magnitude > (std::numeric_limits<std::int64_t>::max() - digit) / 10) {
        error("integer does not fit in 64 bits");
      }
      magnitude = magnitude * 10 + digit;
    }
    // Python 2 NumPy wrote longs with an 'L' suffix, e.g. (2L, 3L).
    if (pos_ < text_.size() && (text_[pos_] == 'L' || text_[pos_] == 'l')) ++pos_;
    value.integer = negative ? -magnitude : magnitude;
    return value;
  }

  PyLiteral parse_sequence(int depth, char close, PyLiteral::Kind kind) {
    ++pos_;  // the opening bracket
    PyLiteral value;
    value.kind = kind;
    bool saw_comma = false;
    while (!consume(close)) {
      if (!value.items.empty() && !saw_comma) error("expected ',' between items");
      value.items.push_back(parse_value(depth + 1));
      saw_comma = consume(',');
    }
    // "(5)" is an int in Python, not a tuple; only "(5,)" is a 1-tuple.
    if (kind == PyLiteral::Kind::kTuple && value.items.size() == 1 && !saw_comma) {
      return std::move(value.items.front());
    }
    return value;
  }

  PyLiteral parse_dict(int depth) {
    ++pos_;  // '{'
    PyLiteral value;
    value.kind = PyLiteral::Kind::kDict;
    bool saw_comma = true;
    while (!consume('}')) {
      if (!saw_comma) error("expected ',' between dict entries");
      skip_space();
      if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) {
        error("expected a quoted dict key");
      }
      std::string key = parse_string().text;
      if (std::find(value.keys.begin(), value.keys.end(), key) != value.keys.end()) {
        error(detail::concat("duplicate key '", key, "'"));
      }
      if (!consume(':')) error("expected ':' after a dict key");
      value.keys.push_back(std::move(key));
      value.items.push_back(parse_value(depth + 1));
      saw_comma = consume(',');
    }
    return value;
  }

  std::string_view text_;
  std::string_view source_;
  std::size_t pos_ = 0;
};

// --- Interpreting the header ---

struct NpyHeader {
  DType dtype = DType::kUndefined;
  std::size_t item_size = 0;
  bool byte_swapped = false;  // data stored big-endian
  bool fortran_order = false;
  Shape shape;
  std::size_t data_bytes = 0;
};

struct Prelude {
  int major = 0;
  std::size_t size = 0;           // magic + version + length field
  std::size_t header_length = 0;  // the dict text and its padding
};

std::optional<DType> dtype_for_type_code(std::string_view code) {
  if (code == "u1") return DType::kUInt8;
  if (code == "i1") return DType::kInt8;
  if (code == "i4") return DType::kInt32;
  if (code == "i8") return DType::kInt64;
  if (code == "f2") return DType::kFloat16;
  if (code == "f4") return DType::kFloat32;
  if (code == "f8") return DType::kFloat64;
  if (code == "b1") return DType::kBool;
  return std::nullopt;
}

void interpret_descr(const PyLiteral& descr, std::string_view source, NpyHeader& header) {
  if (descr.kind == PyLiteral::Kind::kList) {
    fail(source, "structured (record) arrays are not supported; save each field as its own array");
  }
  if (descr.kind != PyLiteral::Kind::kString) {
    fail(source, "'descr' must be a string such as '<f4'");
  }
  const std::string& text = descr.text;
  const char order = text.empty() ? '\0' : text.front();
  const bool has_order = order == '<' || order == '>' || order == '|' || order == '=';
  const std::optional<DType> dtype = dtype_for_type_code(has_order ? text.substr(1) : text);
  if (!dtype) {
    fail(source, "unsupported dtype '", text, "': trtutils reads ", kSupportedDescrs,
         " arrays; convert it in NumPy first, e.g. np.save(path, array.astype(np.float32))");
  }
  header.dtype = *dtype;
  header.item_size = dtype_size(*dtype);
  // '|' means "byte order not applicable" and '=' means native; NumPy reads both as native.
  header.byte_swapped = order == '>' && header.item_size > 1;
}

void interpret_shape(const PyLiteral& shape, std::string_view source, NpyHeader& header) {
  if (shape.kind != PyLiteral::Kind::kTuple) {
    fail(source, "'shape' must be a tuple of integers such as (2, 3)");
  }
  for (const PyLiteral& dim : shape.items) {
    if (dim.kind != PyLiteral::Kind::kInt || dim.integer < 0) {
      fail(source, "'shape' must hold non-negative integers");
    }
    header.shape.push_back(dim.integer);
  }
  // Byte count, refusing shapes whose size overflows (unless an extent is 0).
  if (std::find(header.shape.begin(), header.shape.end(), 0) != header.shape.end()) {
    header.data_bytes = 0;
    return;
  }
  std::size_t count = 1;
  for (const std::int64_t dim : header.shape) {
    const auto extent = static_cast<std::size_t>(dim);
    if (count > std::numeric_limits<std::size_t>::max() / header.item_size / extent) {
      fail(source, "shape ", shape_to_string(header.shape), " is too large to address");
    }
    count *= extent;
  }
  header.data_bytes = count * header.item_size;
}

NpyHeader parse_header(std::string_view text, std::string_view source) {
  const PyLiteral dict = LiteralParser(text, source).parse_document();
  if (dict.kind != PyLiteral::Kind::kDict) {
    fail(source, "header ", quoted_excerpt(text), " is not a Python dict literal");
  }
  const PyLiteral* descr = nullptr;
  const PyLiteral* fortran_order = nullptr;
  const PyLiteral* shape = nullptr;
  for (std::size_t i = 0; i < dict.keys.size(); ++i) {
    const std::string& key = dict.keys[i];
    if (key == "descr") {
      descr = &dict.items[i];
    } else if (key == "fortran_order") {
      fortran_order = &dict.items[i];
    } else if (key == "shape") {
      shape = &dict.items[i];
    } else {
      fail(source, "header has unexpected key '", key,
           "'; a .npy header holds exactly 'descr', 'fortran_order' and 'shape'");
    }
  }
  if (descr == nullptr) fail(source, "header has no 'descr' key");
  if (fortran_order == nullptr) fail(source, "header has no 'fortran_order' key");
  if (shape == nullptr) fail(source, "header has no 'shape' key");

  NpyHeader header;
  interpret_descr(*descr, source, header);
  if (fortran_order->kind != PyLiteral::Kind::kBool) {
    fail(source, "'fortran_order' must be True or False");
  }
  header.fortran_order = fortran_order->flag;
  interpret_shape(*shape, source, header);
  return header;
}

std::uint32_t read_le(const unsigned char* p, std::size_t bytes) {
  std::uint32_t value = 0;
  for (std::size_t i = bytes; i > 0; --i) value = (value << 8) | p[i - 1];
  return value;
}

// Reads magic, version and header length from the first bytes. `available` may
// hold fewer than kMaxPreludeSize bytes when the input is that short.
Prelude parse_prelude(std::span<const std::byte> available, std::string_view source) {
  const auto* p = reinterpret_cast<const unsigned char*>(available.data());
  if (available.size() < kMagic.size() || !std::equal(kMagic.begin(), kMagic.end(), p)) {
    fail(source, "not a .npy file (it does not start with the magic \"\\x93NUMPY\")");
  }
  if (available.size() < kMagicAndVersionSize) fail(source, "truncated before the format version");
  Prelude prelude;
  prelude.major = p[6];
  const int minor = p[7];
  if ((prelude.major != 1 && prelude.major != 2 && prelude.major != 3) || minor != 0) {
    fail(source, "unsupported .npy format version ", prelude.major, ".", minor,
         " (trtutils reads 1.0, 2.0 and 3.0)");
  }
  const std::size_t length_bytes = prelude.major == 1 ? 2 : 4;
  prelude.size = kMagicAndVersionSize + length_bytes;
  if (available.size() < prelude.size) fail(source, "truncated inside the header length field");
  prelude.header_length = read_le(p + kMagicAndVersionSize, length_bytes);
  return prelude;
}

void check_data_size(const NpyHeader& header, std::size_t available, std::string_view source) {
  if (available < header.data_bytes) {
    fail(source, "data is truncated: shape ", shape_to_string(header.shape), " of ",
         dtype_name(header.dtype), " needs ", header.data_bytes, " bytes but only ", available,
         " follow the header");
  }
}

// Turns freshly loaded raw data into a valid little-endian, C-order tensor.
void normalise(HostTensor& tensor, const NpyHeader& header) {
  auto* bytes = static_cast<unsigned char*>(tensor.data());
  const std::size_t total = header.data_bytes;
  if (header.dtype == DType::kBool) {
    // Any non-zero byte is True (as NumPy reads it); a C++ bool must hold 0 or 1.
    for (std::size_t i = 0; i < total; ++i) bytes[i] = bytes[i] != 0 ? 1 : 0;
  }
  if (header.byte_swapped) {
    for (std::size_t i = 0; i < total; i += header.item_size) {
      std::reverse(bytes + i, bytes + i + header.item_size);
    }
  }
  const std::size_t rank = header.shape.size();
  if (!header.fortran_order || rank < 2 || total == 0) return;

  // Fortran order: the first index varies fastest. Walk the C-order index and
  // gather each element from its column-major position.
  std::vector<std::size_t> f_strides(rank, 1);
  for (std::size_t k = 1; k < rank; ++k) {
    f_strides[k] = f_strides[k - 1] * static_cast<std::size_t>(header.shape[k - 1]);
  }
  const std::vector<unsigned char> source(bytes, bytes + total);
  std::vector<std::int64_t> index(rank, 0);
  std::size_t f_offset = 0;
  const std::size_t item = header.item_size;
  for (std::size_t c = 0; c < total / item; ++c) {
    std::memcpy(bytes + c * item, source.data() + f_offset * item, item);
    for (std::size_t k = rank; k > 0; --k) {
      const std::size_t axis = k - 1;
      if (++index[axis] < header.shape[axis]) {
        f_offset += f_strides[axis];
        break;
      }
      f_offset -= f_strides[axis] * static_cast<std::size_t>(index[axis] - 1);
      index[axis] = 0;
    }
  }
}

// --- Writing ---

std::string_view descr_for(DType dtype) {
  switch (dtype) {
    case DType::kUInt8: return "|u1";
    case DType::kInt8: return "|i1";
    case DType::kInt32: return "<i4";
    case DType::kInt64: return "<i8";
    case DType::kFloat16: return "<f2";
    case DType::kFloat32: return "<f4";
    case DType::kFloat64: return "<f8";
    case DType::kBool: return "|b1";
    case DType::kBFloat16:
      throw InvalidArgument(
          "write_npy: NumPy has no bfloat16 dtype, so a bf16 tensor cannot be saved as .npy; "
          "cast it first, e.g. write_npy(path, tensor.cast(DType::kFloat32).view())");
    case DType::kUndefined: break;
  }
  throw InvalidArgument("write_npy: the tensor has no dtype");
}

// Python's repr of a shape tuple: "()", "(6,)", "(2, 3)".
std::string shape_repr(const Shape& shape) {
  std::string text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i != 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + (shape.size() == 1 ? ",)" : ")");
}

void append_le(std::string& out, std::uint32_t value, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xffu);
}

// Everything before the data, byte for byte as numpy.lib.format writes it
// (_write_array_header + _wrap_header): sorted keys, room for the first axis
// to grow to 21 digits, then spaces and '\n' so that the data starts on a
// 64-byte boundary. Note numpy pads a full 64 bytes when already aligned.
std::string npy_header(const TensorView& tensor) {
  std::string dict =
      detail::concat("{'descr': '", descr_for(tensor.dtype()),
                     "', 'fortran_order': False, 'shape': ", shape_repr(tensor.shape()), ", }");
  if (!tensor.shape().empty()) {
    const std::size_t digits = std::to_string(tensor.shape().front()).size();
    if (digits < kGrowthAxisMaxDigits) dict.append(kGrowthAxisMaxDigits - digits, ' ');
  }
  const std::size_t text_length = dict.size() + 1;  // + the final '\n'
  for (const int major : {1, 2}) {
    const std::size_t length_bytes = major == 1 ? 2 : 4;
    const std::size_t prefix = kMagicAndVersionSize + length_bytes;
    const std::size_t padding = kArrayAlign - (prefix + text_length) % kArrayAlign;
    const std::size_t header_length = text_length + padding;
    const std::size_t limit = major == 1 ? 0xffffu : 0xffffffffu;
    if (header_length > limit) continue;
    std::string out(reinterpret_cast<const char*>(kMagic.data()), kMagic.size());
    out += static_cast<char>(major);
    out += '\0';
    append_le(out, static_cast<std::uint32_t>(header_length), length_bytes);
    out += dict;
    out.append(padding, ' ');
    out += '\n';
    return out;
  }
  throw InvalidArgument(detail::concat("write_npy: the header for shape of rank ",
                                       tensor.shape().size(), " is too long for any .npy version"));
}

void check_writable(const TensorView& tensor) {
  TRTUTILS_CHECK(tensor.data() != nullptr || tensor.byte_size() == 0,
                 "write_npy: the view has no data pointer");
}

}  // namespace

HostTensor read_npy_bytes(std::span<const std::byte> bytes, std::string_view source_name) {
  const Prelude prelude = parse_prelude(bytes, source_name);
  if (bytes.size() - prelude.size < prelude.header_length) {
    fail(source_name, "truncated header: it declares ", prelude.header_length, " bytes but only ",
         bytes.size() - prelude.size, " follow");
  }
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()) + prelude.size,
                              prelude.header_length);
  const NpyHeader header = parse_header(text, source_name);
  const std::size_t data_start = prelude.size + prelude.header_length;
  check_data_size(header, bytes.size() - data_start, source_name);
  HostTensor tensor(header.shape, header.dtype);
  if (header.data_bytes != 0) {
    std::memcpy(tensor.data(), bytes.data() + data_start, header.data_bytes);
  }
  normalise(tensor, header);
  return tensor;
}

HostTensor read_npy(const std::filesystem::path& path) {
  const std::string source = path.string();
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    fail(source, "cannot open for reading (", std::strerror(errno), ")");
  }
  std::error_code size_error;
  const std::uintmax_t file_size = std::filesystem::file_size(path, size_error);
  if (size_error) fail(source, "cannot determine the file size (", size_error.message(), ")");

  std::array<std::byte, kMaxPreludeSize> first{};
  file.read(reinterpret_cast<char*>(first.data()), first.size());
  const auto got = static_cast<std::size_t>(file.gcount());
  const Prelude prelude = parse_prelude(std::span(first.data(), got), source);

  std::string text(prelude.header_length, '\0');
  file.clear();
  file.seekg(static_cast<std::streamoff>(prelude.size));
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (static_cast<std::size_t>(file.gcount()) != text.size()) {
    fail(source, "truncated header: it declares ", prelude.header_length, " bytes but only ",
         file.gcount(), " follow");
  }
  const NpyHeader header = parse_header(text, source);
  const std::uintmax_t data_start = prelude.size + prelude.header_length;
  check_data_size(header, static_cast<std::size_t>(file_size - data_start), source);

  HostTensor tensor(header.shape, header.dtype);
  file.read(static_cast<char*>(tensor.data()), static_cast<std::streamsize>(header.data_bytes));
  if (static_cast<std::size_t>(file.gcount()) != header.data_bytes) {
    fail(source, "read error: got ", file.gcount(), " of ", header.data_bytes, " data bytes");
  }
  normalise(tensor, header);
  return tensor;
}

std::vector<std::byte> write_npy_bytes(const TensorView& tensor) {
  check_writable(tensor);
  const std::string header = npy_header(tensor);
  std::vector<std::byte> out(header.size() + tensor.byte_size());
  std::memcpy(out.data(), header.data(), header.size());
  if (tensor.byte_size() != 0) {
    std::memcpy(out.data() + header.size(), tensor.data(), tensor.byte_size());
  }
  return out;
}

void write_npy(const std::filesystem::path& path, const TensorView& tensor) {
  check_writable(tensor);
  const std::string header = npy_header(tensor);
  const std::string target = path.string();
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) {
    throw FileError(
        detail::concat(target, ": cannot open for writing (", std::strerror(errno), ")"));
  }
  file.write(header.data(), static_cast<std::streamsize>(header.size()));
  file.write(static_cast<const char*>(tensor.data()),
             static_cast<std::streamsize>(tensor.byte_size()));
  file.flush();
  if (!file) {
    throw FileError(detail::concat(target, ": writing ", header.size() + tensor.byte_size(),
                                   " bytes failed (", std::strerror(errno), ")"));
  }
}

}  // namespace trtutils
