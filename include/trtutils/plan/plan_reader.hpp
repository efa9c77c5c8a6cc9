#pragma once
// Reads .engine files (byte layout: docs/parts/plan-format.md). Every read is
// bounds-checked; a file is refused, with a message that says what to do,
// when it is not a plan (FileError), is truncated (FileError), has another
// format version (FileError), fails its checksum (FileError), is malformed
// inside (FileError) or describes an inconsistent plan (ModelError).
// Whether the plan suits this GPU is a separate question:
// check_plan_compatible in plan_compatibility.hpp.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "trtutils/core/error.hpp"
#include "trtutils/plan/plan.hpp"

namespace trtutils::plan {

struct PlanReadOptions {
  /// Verify the XXH64 checksum. Turning it off is for fuzzing and diagnosing
  /// damaged files, never for loading an engine to run.
  bool verify_checksum = true;
  /// Names the bytes in error messages; read_plan uses the path.
  std::string source_name = "<plan buffer>";
};

/// One entry of the file's section table.
struct PlanSection {
  std::string tag;  // "HEAD", "IOSP", "TNSR", "LAYR", "WGHT"
  ByteRange range;  // from the start of the file
};

/// The fixed part of a plan file, for tools that show a file's layout.
struct PlanFileInfo {
  std::uint32_t format_version = 0;
  std::uint64_t file_size = 0;
  std::uint64_t checksum = 0;
  std::vector<PlanSection> sections;
  /// The weights section (256-byte aligned from the start of the file).
  ByteRange weights;
};

/// Checks magic, version, size, checksum and the section table, without
/// decoding the sections.
PlanFileInfo read_plan_file_info(std::span<const std::byte> bytes,
                                 const PlanReadOptions& options = {});

/// Memory-maps the file; the plan's weights borrow from the mapping (no copy)
/// and keep it alive.
Plan read_plan(const std::filesystem::path& path, PlanReadOptions options = {});

/// Decodes bytes held by the caller; the weights are copied, so `bytes` may
/// go away afterwards.
Plan read_plan_bytes(std::span<const std::byte> bytes, const PlanReadOptions& options = {});

/// Decodes bytes kept alive by `owner`; the weights borrow from them (no copy).
Plan read_plan_borrowed(std::span<const std::byte> bytes, std::shared_ptr<const void> owner,
                        const PlanReadOptions& options = {});

}  // namespace trtutils::plan
