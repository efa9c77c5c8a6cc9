#include "trtutils/tensor/npy.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace trtutils {
namespace {

std::vector<std::byte> to_bytes(const std::string& text) {
  std::vector<std::byte> out(text.size());
  std::memcpy(out.data(), text.data(), text.size());
  return out;
}

std::string le32(std::uint32_t v) {
  std::string out;
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xffu);
  return out;
}

template <typename T>
std::string raw(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

// np.save("a.npy", np.arange(6, dtype="<i4").reshape(2, 3)), written out by
// hand: magic, version 1.0, header length 118 (0x76) as little-endian u16,
// the dict (59 chars), 58 spaces and '\n' so that the data starts at byte 128,
// then 0..5 as little-endian int32. (NumPy >= 1.24 inserts 20 of those spaces
// for axis-0 growth and older NumPy pads with all of them: same bytes.)
std::string numpy_arange_2x3_i4() {
  std::string file("\x93NUMPY\x01\x00\x76\x00", 10);
  file += "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }";
  file += std::string(58, ' ');
  file += '\n';
  EXPECT_EQ(file.size(), 128u);
  file += std::string(
      "\0\0\0\0"
      "\x01\0\0\0"
      "\x02\0\0\0"
      "\x03\0\0\0"
      "\x04\0\0\0"
      "\x05\0\0\0",
      24);
  return file;
}

// A .npy file with any version and dict, padded the simple way (to 64 bytes).
std::string make_npy(int major, const std::string& dict, const std::string& data) {
  const std::size_t prefix = major == 1 ? 10 : 12;
  std::string text = dict;
  while ((prefix + text.size() + 1) % 64 != 0) text += ' ';
  text += '\n';
  std::string file("\x93NUMPY", 6);
  file += static_cast<char>(major);
  file += '\0';
  if (major == 1) {
    file += static_cast<char>(text.size() & 0xff);
    file += static_cast<char>(text.size() >> 8);
  } else {
    file += le32(static_cast<std::uint32_t>(text.size()));
  }
  return file + text + data;
}

std::string dict_for(const std::string& descr, bool fortran, const std::string& shape) {
  return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
         ", 'shape': " + shape + ", }";
}

HostTensor read_text(const std::string& text) { return read_npy_bytes(to_bytes(text), "test.npy"); }

// Reading `text` throws FileError whose message names the source and contains `problem`.
void expect_file_error(const std::string& text, const std::string& problem) {
  try {
    read_npy_bytes(to_bytes(text), "case.npy");
    ADD_FAILURE() << "expected FileError mentioning \"" << problem << "\"";
  } catch (const FileError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("case.npy"), std::string::npos) << message;
    EXPECT_NE(message.find(problem), std::string::npos) << message;
  }
}

std::filesystem::path temp_file(const std::string& name) {
  return std::filesystem::path(::testing::TempDir()) /
         ("trtutils_npy_" + std::to_string(::getpid()) + "_" + name);
}

TEST(Npy, ReadsBytesNumPyWritesForArange) {
  const HostTensor tensor = read_text(numpy_arange_2x3_i4());
  EXPECT_EQ(tensor.shape(), (Shape{2, 3}));
  EXPECT_EQ(tensor.dtype(), DType::kInt32);
  const auto values = tensor.values<std::int32_t>();
  EXPECT_EQ(std::vector<std::int32_t>(values.begin(), values.end()),
            (std::vector<std::int32_t>{0, 1, 2, 3, 4, 5}));
}

TEST(Npy, WritesExactlyTheBytesNumPyWrites) {
  const HostTensor tensor = HostTensor::from_values<std::int32_t>({2, 3}, {0, 1, 2, 3, 4, 5});
  EXPECT_EQ(write_npy_bytes(tensor.view()), to_bytes(numpy_arange_2x3_i4()));
}

TEST(Npy, WritesScalarLikeNumPy) {
  // np.save("s.npy", np.float64(1.5)): shape () gets no growth padding, so the
  // 55-char dict is followed by 62 spaces and '\n'.
  std::string expected("\x93NUMPY\x01\x00\x76\x00", 10);
  expected += "{'descr': '<f8', 'fortran_order': False, 'shape': (), }";
  expected += std::string(62, ' ') + "\n";
  expected += raw(std::vector<double>{1.5});
  const HostTensor scalar = HostTensor::from_values<double>({}, {1.5});
  EXPECT_EQ(write_npy_bytes(scalar.view()), to_bytes(expected));
}

TEST(Npy, ReadsScalarShape) {
  const HostTensor tensor =
      read_text(make_npy(1, dict_for("<f4", false, "()"), raw(std::vector<float>{2.5f})));
  EXPECT_TRUE(tensor.shape().empty());
  EXPECT_EQ(tensor.element_count(), 1);
  EXPECT_EQ(tensor.values<float>()[0], 2.5f);
}

TEST(Npy, DataAlwaysStartsOn64ByteBoundary) {
  for (const Shape& shape : {Shape{}, Shape{7}, Shape{12345678, 0}, Shape{1, 2, 3, 4, 5, 6}}) {
    const HostTensor tensor(shape, DType::kFloat32);
    const std::vector<std::byte> bytes = write_npy_bytes(tensor.view());
    const std::size_t header_length =
        std::to_integer<std::size_t>(bytes[8]) | (std::to_integer<std::size_t>(bytes[9]) << 8);
    EXPECT_EQ((10 + header_length) % 64, 0u) << shape_to_string(shape);
    EXPECT_EQ(bytes.size(), 10 + header_length + tensor.byte_size());
    EXPECT_EQ(static_cast<char>(bytes[10 + header_length - 1]), '\n');
  }
}

HostTensor sample(DType dtype) {
  const Shape shape{2, 3};
  switch (dtype) {
    case DType::kUInt8:
      return HostTensor::from_values<std::uint8_t>(shape, {0, 1, 127, 128, 200, 255});
    case DType::kInt8:
      return HostTensor::from_values<std::int8_t>(shape, {-128, -1, 0, 1, 64, 127});
    case DType::kInt32:
      return HostTensor::from_values<std::int32_t>(shape,
                                                   {-2147483647 - 1, -7, 0, 9, 65536, 2147483647});
    case DType::kInt64:
      return HostTensor::from_values<std::int64_t>(
          shape, {-(std::int64_t{1} << 62), -1, 0, 1, 3, std::int64_t{1} << 40});
    case DType::kFloat16:
      return HostTensor::from_values<Half>(
          shape, {Half(-2.5f), Half(0.0f), Half(1.0f), Half(0.333f), Half(65504.0f), Half(-0.0f)});
    case DType::kFloat32:
      return HostTensor::from_values<float>(shape, {-1.5f, 0.0f, 3.25f, 1e-30f, 1e30f, 0.1f});
    case DType::kFloat64:
      return HostTensor::from_values<double>(shape, {-1.5, 0.0, 3.25, 1e-300, 1e300, 0.1});
    case DType::kBool:
      return HostTensor::from_values<bool>(shape, {true, false, false, true, true, false});
    default: break;
  }
  ADD_FAILURE() << "no sample for " << dtype_name(dtype);
  return {};
}

TEST(Npy, RoundTripsEveryWritableDtype) {
  for (const DType dtype : {DType::kUInt8, DType::kInt8, DType::kInt32, DType::kInt64,
                            DType::kFloat16, DType::kFloat32, DType::kFloat64, DType::kBool}) {
    SCOPED_TRACE(std::string(dtype_name(dtype)));
    const HostTensor original = sample(dtype);
    const HostTensor back = read_npy_bytes(write_npy_bytes(original.view()));
    EXPECT_EQ(back.dtype(), dtype);
    EXPECT_EQ(back.shape(), original.shape());
    ASSERT_EQ(back.byte_size(), original.byte_size());
    EXPECT_EQ(std::memcmp(back.data(), original.data(), back.byte_size()), 0);
  }
}

TEST(Npy, WritesTheDescrNumPyUsesForEachDtype) {
  const std::vector<std::pair<DType, std::string>> expected = {
      {DType::kUInt8, "|u1"},   {DType::kInt8, "|i1"},    {DType::kInt32, "<i4"},
      {DType::kInt64, "<i8"},   {DType::kFloat16, "<f2"}, {DType::kFloat32, "<f4"},
      {DType::kFloat64, "<f8"}, {DType::kBool, "|b1"}};
  for (const auto& [dtype, descr] : expected) {
    const std::vector<std::byte> bytes = write_npy_bytes(HostTensor({1}, dtype).view());
    const std::string text(reinterpret_cast<const char*>(bytes.data()) + 10, 30);
    EXPECT_EQ(text.substr(0, 16), "{'descr': '" + descr + "',") << dtype_name(dtype);
  }
}

TEST(Npy, RoundTripsThroughAFile) {
  const std::filesystem::path path = temp_file("file_round_trip.npy");
  const HostTensor original = sample(DType::kFloat32).reshaped({3, 1, 2});
  write_npy(path, original.view());
  EXPECT_EQ(std::filesystem::file_size(path), 128u + original.byte_size());
  const HostTensor back = read_npy(path);
  EXPECT_EQ(back.shape(), (Shape{3, 1, 2}));
  EXPECT_EQ(std::memcmp(back.data(), original.data(), back.byte_size()), 0);
  std::filesystem::remove(path);
}

TEST(Npy, RoundTripsEmptyAndOneDimensionalShapes) {
  for (const Shape& shape : {Shape{0}, Shape{2, 0, 3}, Shape{6}}) {
    const HostTensor original(shape, DType::kInt64);
    const HostTensor back = read_npy_bytes(write_npy_bytes(original.view()));
    EXPECT_EQ(back.shape(), shape);
  }
  const std::vector<std::byte> bytes = write_npy_bytes(HostTensor({6}, DType::kInt8).view());
  const std::string text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  EXPECT_NE(text.find("'shape': (6,), }"), std::string::npos);  // Python's 1-tuple repr
}

TEST(Npy, RefusesToWriteBFloat16AndSaysToCast) {
  const HostTensor tensor({2}, DType::kBFloat16);
  try {
    write_npy_bytes(tensor.view());
    ADD_FAILURE() << "bf16 was written";
  } catch (const InvalidArgument& error) {
    EXPECT_NE(std::string(error.what()).find("bfloat16"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("kFloat32"), std::string::npos) << error.what();
  }
  EXPECT_FALSE(std::filesystem::exists(temp_file("bf16.npy")));
  EXPECT_THROW(write_npy(temp_file("bf16.npy"), tensor.view()), InvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(temp_file("bf16.npy")));  // refused before opening
}

TEST(Npy, ReadsVersion2And3Headers) {
  const std::string data = raw(std::vector<float>{1.0f, -2.0f, 3.5f});
  for (const int major : {2, 3}) {
    const std::string file = make_npy(major, dict_for("<f4", false, "(3,)"), data);
    ASSERT_EQ(file[6], static_cast<char>(major));
    const HostTensor tensor = read_text(file);
    EXPECT_EQ(tensor.shape(), (Shape{3}));
    EXPECT_EQ(tensor.values<float>()[1], -2.0f);
  }
}

TEST(Npy, WritesVersion2WhenTheHeaderOutgrowsVersion1) {
  // 22000 ones in the shape tuple need ~66000 header bytes: more than u16 holds.
  const Shape shape(22000, 1);
  const HostTensor tensor(shape, DType::kUInt8);
  const std::vector<std::byte> bytes = write_npy_bytes(tensor.view());
  EXPECT_EQ(std::to_integer<int>(bytes[6]), 2);
  EXPECT_EQ(std::to_integer<int>(bytes[7]), 0);
  std::uint32_t header_length = 0;
  for (int i = 3; i >= 0; --i)
    header_length = (header_length << 8) | std::to_integer<std::uint32_t>(bytes[8 + i]);
  EXPECT_GT(header_length, 65535u);
  EXPECT_EQ((12 + header_length) % 64, 0u);
  EXPECT_EQ(read_npy_bytes(bytes).shape(), shape);
}

TEST(Npy, TransposesFortranOrderIntoCOrder) {
  // Column-major storage of [[0, 1, 2], [3, 4, 5]].
  const HostTensor matrix = read_text(make_npy(1, dict_for("<i4", true, "(2, 3)"),
                                               raw(std::vector<std::int32_t>{0, 3, 1, 4, 2, 5})));
  const auto values = matrix.values<std::int32_t>();
  EXPECT_EQ(std::vector<std::int32_t>(values.begin(), values.end()),
            (std::vector<std::int32_t>{0, 1, 2, 3, 4, 5}));

  // Rank 3: element (i, j, k) = 100i + 10j + k sits at i + 2j + 6k in Fortran order.
  std::vector<double> fortran(24);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) fortran[i + 2 * j + 6 * k] = 100 * i + 10 * j + k;
  const HostTensor cube = read_text(make_npy(1, dict_for("<f8", true, "(2, 3, 4)"), raw(fortran)));
  EXPECT_EQ(cube.shape(), (Shape{2, 3, 4}));
  const auto c = cube.values<double>();
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) EXPECT_EQ(c[(i * 3 + j) * 4 + k], 100 * i + 10 * j + k);
}

TEST(Npy, ByteSwapsBigEndianArrays) {
  const HostTensor ints = read_text(make_npy(1, dict_for(">i4", false, "(2,)"),
                                             std::string("\x00\x00\x01\x02\xff\xff\xff\xfe", 8)));
  EXPECT_EQ(ints.values<std::int32_t>()[0], 0x0102);
  EXPECT_EQ(ints.values<std::int32_t>()[1], -2);

  // 1.0 as a big-endian double is 3f f0 00 .. 00; as a big-endian half, 3c 00.
  const HostTensor doubles = read_text(
      make_npy(1, dict_for(">f8", false, "(1,)"), std::string("\x3f\xf0\0\0\0\0\0\0", 8)));
  EXPECT_EQ(doubles.values<double>()[0], 1.0);
  const HostTensor halves =
      read_text(make_npy(1, dict_for(">f2", false, "(1,)"), std::string("\x3c\x00", 2)));
  EXPECT_EQ(halves.values<Half>()[0].bits, 0x3c00);

  // Big-endian and Fortran order together: [[1, 2], [3, 4]] stored as 1, 3, 2, 4.
  const HostTensor both = read_text(make_npy(1, dict_for(">i8", true, "(2, 2)"),
                                             std::string("\0\0\0\0\0\0\0\x01"
                                                         "\0\0\0\0\0\0\0\x03"
                                                         "\0\0\0\0\0\0\0\x02"
                                                         "\0\0\0\0\0\0\0\x04",
                                                         32)));
  const auto values = both.values<std::int64_t>();
  EXPECT_EQ(std::vector<std::int64_t>(values.begin(), values.end()),
            (std::vector<std::int64_t>{1, 2, 3, 4}));
}

TEST(Npy, AcceptsHeaderSpellingsNumPyAccepts) {
  // Keys in any order, double quotes, no trailing comma, Python 2 long suffix.
  const std::string data = raw(std::vector<std::int64_t>{7, 8});
  const HostTensor a = read_text(
      make_npy(1, "{\"shape\": (2L,), \"fortran_order\": False, \"descr\": \"<i8\"}", data));
  EXPECT_EQ(a.shape(), (Shape{2}));
  EXPECT_EQ(a.values<std::int64_t>()[1], 8);
  // '|' and '=' mean native byte order.
  const HostTensor b = read_text(make_npy(1, dict_for("=i8", false, "(2,)"), data));
  EXPECT_EQ(b.values<std::int64_t>()[0], 7);
}

TEST(Npy, ReadsNonZeroBoolBytesAsTrue) {
  const HostTensor tensor =
      read_text(make_npy(1, dict_for("|b1", false, "(3,)"), std::string("\x00\x02\xff", 3)));
  const auto bytes = std::span(static_cast<const unsigned char*>(tensor.data()), 3);
  EXPECT_EQ(bytes[0], 0);
  EXPECT_EQ(bytes[1], 1);
  EXPECT_EQ(bytes[2], 1);
}

TEST(Npy, IgnoresBytesAfterTheArrayLikeNpLoad) {
  const HostTensor tensor = read_text(numpy_arange_2x3_i4() + "trailing");
  EXPECT_EQ(tensor.values<std::int32_t>()[5], 5);
}

TEST(NpyMalformed, BadMagic) {
  std::string file = numpy_arange_2x3_i4();
  file[1] = 'n';
  expect_file_error(file, "not a .npy file");
  expect_file_error("", "not a .npy file");
}

TEST(NpyMalformed, UnsupportedVersion) {
  std::string file = numpy_arange_2x3_i4();
  file[6] = '\x04';
  expect_file_error(file, "version 4.0");
}

TEST(NpyMalformed, TruncatedPrelude) {
  expect_file_error(numpy_arange_2x3_i4().substr(0, 7), "truncated");
  expect_file_error(numpy_arange_2x3_i4().substr(0, 9), "truncated");
}

TEST(NpyMalformed, TruncatedHeader) {
  expect_file_error(numpy_arange_2x3_i4().substr(0, 60), "truncated header");
}

TEST(NpyMalformed, HeaderNotADict) {
  expect_file_error(make_npy(1, "[('descr', '<i4')]", ""), "not a Python dict");
  expect_file_error(make_npy(1, "'<i4'", ""), "not a Python dict");
  expect_file_error(make_npy(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), ", ""),
                    "malformed header");
  expect_file_error(make_npy(1, "{'descr': '<i4' 'shape': (2,)}", ""), "malformed header");
  expect_file_error(make_npy(1, "{'descr': np.float32}", ""), "malformed header");
}

TEST(NpyMalformed, MissingKeys) {
  expect_file_error(make_npy(1, "{'fortran_order': False, 'shape': (2, 3), }", ""),
                    "no 'descr' key");
  expect_file_error(make_npy(1, "{'descr': '<i4', 'shape': (2, 3), }", ""),
                    "no 'fortran_order' key");
  expect_file_error(make_npy(1, "{'descr': '<i4', 'fortran_order': False, }", ""),
                    "no 'shape' key");
}

TEST(NpyMalformed, UnexpectedOrDuplicateKey) {
  expect_file_error(
      make_npy(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (), 'x': 1}", ""),
      "unexpected key 'x'");
  expect_file_error(
      make_npy(1, "{'descr': '<i4', 'descr': '<i4', 'fortran_order': False, 'shape': ()}", ""),
      "duplicate key 'descr'");
}

TEST(NpyMalformed, BadValueTypes) {
  expect_file_error(make_npy(1, dict_for("<i4", false, "[2, 3]"), ""), "'shape' must be a tuple");
  expect_file_error(make_npy(1, dict_for("<i4", false, "(2, -3)"), ""), "non-negative");
  expect_file_error(make_npy(1, "{'descr': '<i4', 'fortran_order': 0, 'shape': (1,)}", ""),
                    "'fortran_order' must be True or False");
  expect_file_error(
      make_npy(1, "{'descr': [('x', '<i4')], 'fortran_order': False, 'shape': (1,)}", ""),
      "structured");
}

TEST(NpyMalformed, DataShorterThanShape) {
  const std::string file = numpy_arange_2x3_i4();
  expect_file_error(file.substr(0, file.size() - 1), "needs 24 bytes but only 23");
  expect_file_error(make_npy(1, dict_for("<f8", false, "(1000000000000,)"), ""), "truncated");
}

TEST(NpyMalformed, ShapeTooLargeToAddress) {
  expect_file_error(make_npy(1, dict_for("<f8", false, "(4611686018427387904, 4)"), ""),
                    "too large to address");
  expect_file_error(make_npy(1, dict_for("<f8", false, "(99999999999999999999,)"), ""),
                    "does not fit in 64 bits");
}

TEST(NpyMalformed, UnsupportedDtypes) {
  for (const std::string descr : {"<c8", "|O", "<V2", "<u2", "<i2", "|S4", "<U3", "<M8[s]", ""}) {
    SCOPED_TRACE(descr);
    expect_file_error(make_npy(1, dict_for(descr, false, "(1,)"), std::string(16, '\0')),
                      "unsupported dtype '" + descr + "'");
  }
}

TEST(NpyMalformed, FileErrorsNameThePath) {
  const std::filesystem::path missing = temp_file("does_not_exist.npy");
  try {
    read_npy(missing);
    ADD_FAILURE() << "read a missing file";
  } catch (const FileError& error) {
    EXPECT_NE(std::string(error.what()).find(missing.string()), std::string::npos) << error.what();
  }

  const std::filesystem::path truncated = temp_file("truncated.npy");
  const std::string file = numpy_arange_2x3_i4();
  std::ofstream(truncated, std::ios::binary) << file.substr(0, file.size() - 4);
  try {
    read_npy(truncated);
    ADD_FAILURE() << "read a truncated file";
  } catch (const FileError& error) {
    EXPECT_NE(std::string(error.what()).find(truncated.string()), std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find("truncated"), std::string::npos) << error.what();
  }
  std::filesystem::remove(truncated);

  EXPECT_THROW(write_npy(temp_file("no_such_dir") / "x.npy", HostTensor({1}, DType::kInt8).view()),
               FileError);
}

}  // namespace
}  // namespace trtutils
