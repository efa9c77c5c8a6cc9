#include "trtutils/builder/trt_engine_registration.hpp"

#include <cctype>
#include <cstdint>
#include <sstream>
#include <string_view>
#include <vector>

#include "trtutils/builder/builder.hpp"
#include "trtutils/core/error.hpp"
#include "trtutils/runtime/trt_engine.hpp"

namespace trtutils::builder {

namespace {

constexpr const char* kKeys =
    "precision, max_workspace_bytes, target_arch, autotune, fuse, batch, timing_cache, "
    "kernel_cache_dir, fp32_nodes (regexes separated by spaces)";

std::uint64_t parse_count(const std::string& key, const std::string& text) {
  std::size_t used = 0;
  std::uint64_t value = 0;
  bool ok = !text.empty() && std::isdigit(static_cast<unsigned char>(text[0]));
  if (ok) {
    try {
      value = std::stoull(text, &used);
    } catch (const std::exception&) {
      ok = false;
    }
  }
  TRTUTILS_CHECK(ok && used == text.size(), "build option '", key,
                 "' needs a non-negative integer, got '", text, "'");
  return value;
}

bool parse_flag(const std::string& key, const std::string& text) {
  if (text == "1" || text == "true" || text == "on" || text == "yes") return true;
  if (text == "0" || text == "false" || text == "off" || text == "no") return false;
  TRTUTILS_CHECK(false, "build option '", key, "' takes 1/0, true/false or on/off, got '", text,
                 "'");
  return false;
}

BatchProfile parse_batch(const std::string& text) {
  std::vector<std::int64_t> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = text.find('/', start);
    const std::string part = text.substr(start, slash == std::string::npos ? slash : slash - start);
    parts.push_back(static_cast<std::int64_t>(parse_count("batch", part)));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  TRTUTILS_CHECK(parts.size() == 1 || parts.size() == 3,
                 "build option 'batch' is 'N' or 'min/opt/max', got '", text, "'");
  if (parts.size() == 1) return {parts[0], parts[0], parts[0]};
  return {parts[0], parts[1], parts[2]};
}

}  // namespace

BuildOptions build_options_from_strings(const std::map<std::string, std::string>& options) {
  BuildOptions o;
  for (const auto& [key, value] : options) {
    if (key == "precision") {
      o.precision = plan::precision_from_name(value);
    } else if (key == "max_workspace_bytes") {
      o.max_workspace_bytes = parse_count(key, value);
    } else if (key == "target_arch") {
      o.target_arch = value;
    } else if (key == "autotune") {
      o.autotune = parse_flag(key, value);
    } else if (key == "fuse") {
      o.fuse = parse_flag(key, value);
    } else if (key == "batch") {
      o.batch = parse_batch(value);
    } else if (key == "timing_cache") {
      o.timing_cache = value;
    } else if (key == "kernel_cache_dir") {
      o.kernel_cache_dir = value;
    } else if (key == "fp32_nodes") {
      std::istringstream patterns(value);
      for (std::string p; patterns >> p;) o.fp32_nodes.push_back(p);
    } else {
      TRTUTILS_CHECK(false, "unknown build option '", key, "' (known: ", kKeys, ")");
    }
  }
  validate_options(o);
  return o;
}

void register_with_trt_engine() {
  runtime::TRTEngine::set_onnx_builder(
      [](const std::filesystem::path& path, const std::map<std::string, std::string>& options) {
        return build(path, build_options_from_strings(options));
      });
}

}  // namespace trtutils::builder
