#pragma once
// Helpers the image and detection lowerings share for writing CUDA C++ text:
// exact literals for build-time constants (shapes, scales, fill values) and a
// launch for one generated kernel. Values are baked into the source so each
// node's kernel is specialised to its static shapes (see docs/parts/gpu-image-detection.md).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "ops/gpu_codegen.hpp"
#include "trtutils/core/error.hpp"

namespace trtutils::ops::gpu {

/// A double literal that NVRTC reads back bit-exactly (C++17 hex float);
/// infinities and NaN through their bit patterns.
inline std::string double_literal(double value) {
  if (!std::isfinite(value)) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    return detail::concat("__longlong_as_double(", static_cast<long long>(bits), "LL)");
  }
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%a", value);
  return detail::concat("(", buffer, ")");
}

inline std::string int_literal(std::int64_t value) {
  if (value == INT64_MIN) return "(-9223372036854775807LL - 1)";
  return detail::concat("(", value, "LL)");
}

/// "{a, b, c}" of int64 literals; "{0}" for an empty list (C arrays need a size).
inline std::string int_array(const std::vector<std::int64_t>& values) {
  if (values.empty()) return "{0}";
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    out += (i ? ", " : "") + int_literal(values[i]);
  }
  return out + "}";
}

/// Replaces every "$NAME" in `text` by its value, in one pass; where names
/// share a prefix ($T, $TOTAL) the longest matching name wins. Values are not
/// rescanned.
inline std::string substitute(const std::string& text,
                              const std::vector<std::pair<std::string, std::string>>& values) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    const std::pair<std::string, std::string>* best = nullptr;
    if (text[at] == '$') {
      for (const auto& entry : values) {
        if (text.compare(at + 1, entry.first.size(), entry.first) == 0 &&
            (best == nullptr || entry.first.size() > best->first.size())) {
          best = &entry;
        }
      }
    }
    if (best == nullptr) {
      out += text[at++];
      continue;
    }
    out += best->second;
    at += 1 + best->first.size();
  }
  return out;
}

/// An entry name unique to the node and the kernel's role.
inline std::string entry_name(const LoweringContext& ctx, const std::string& role) {
  return identifier(
      detail::concat("trt_", ctx.node().op_type(), "_", role, "_", ctx.node().name()));
}

/// The attribute-parsing templates shared by shape rules and CPU references
/// take a context with attributes(); this gives a LoweringContext one.
struct LoweringAttributeView {
  const LoweringContext& ctx;
  const ir::Node& node() const { return ctx.node(); }
  std::int64_t opset() const { return ctx.opset(); }
  const ir::Attributes& attributes() const { return ctx.node().attributes(); }
  // The virtual calls throw; the throws after them only satisfy [[noreturn]].
  [[noreturn]] void fail(const std::string& m) const {
    ctx.fail(m);
    throw ModelError(m);
  }
  [[noreturn]] void unsupported(const std::string& m) const {
    ctx.unsupported(m);
    throw UnsupportedError(m);
  }
};

/// Throws UnsupportedError (through ctx) unless input i is absent or constant;
/// returns its data (nullptr when absent or given as an empty tensor).
inline const HostTensor* build_time_input(const LoweringContext& ctx, std::size_t i,
                                          const std::string& name) {
  if (!ctx.has_input(i)) return nullptr;
  const HostTensor* value = ctx.input_constant(i);
  if (value == nullptr) {
    if (ctx.input(i).present() && ctx.input(i).element_count() == 0) return nullptr;
    ctx.unsupported(detail::concat("input '", name, "' of ", ctx.node().op_type(),
                                   " must be known at build time; pass it as a constant input"));
  }
  return value->element_count() == 0 ? nullptr : value;
}

}  // namespace trtutils::ops::gpu
