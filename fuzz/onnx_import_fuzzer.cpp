// libFuzzer target for the ONNX importer: arbitrary bytes go through
// import_model_from_bytes (with and without the support check, so the graph
// checks behind it are reached too) and parse_tensor_proto. A trtutils::Error
// is the importer refusing bad input, as designed; any other exception, a
// crash or a sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "trtutils/core/error.hpp"
#include "trtutils/onnx/importer.hpp"

namespace {

// A folder with one small file, so that inputs naming external data exercise
// the path checks and reads ("w.bin" is inside, "../x" is not).
std::filesystem::path external_dir() {
  static const std::filesystem::path dir = [] {
    auto path = std::filesystem::temp_directory_path() / "trtutils_fuzz_external";
    std::filesystem::create_directories(path / "sub");
    std::ofstream(path / "w.bin", std::ios::binary) << std::string(256, '\x3f');
    return path;
  }();
  return dir;
}

template <typename Fn>
void expect_only_trtutils_errors(Fn&& fn) {
  try {
    fn();
  } catch (const trtutils::Error&) {
    // Refusing malformed input with the library's error is correct.
  } catch (const std::exception& e) {
    std::fprintf(stderr, "non-trtutils exception escaped the importer: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "unknown exception escaped the importer\n");
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  trtutils::onnx::ImportOptions options;
  options.external_data_dir = external_dir();
  expect_only_trtutils_errors(
      [&] { (void)trtutils::onnx::import_model_from_bytes(bytes, options); });
  options.check_support = false;
  expect_only_trtutils_errors([&] {
    const trtutils::ir::Graph graph = trtutils::onnx::import_model_from_bytes(bytes, options);
    (void)graph.dump();
  });
  expect_only_trtutils_errors(
      [&] { (void)trtutils::onnx::parse_tensor_proto(bytes, external_dir()); });
  return 0;
}
