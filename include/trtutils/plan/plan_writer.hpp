#pragma once
// Writes a Plan as a .engine file (byte layout: docs/parts/plan-format.md).
#include <cstddef>
#include <filesystem>
#include <vector>

#include "trtutils/plan/plan.hpp"

namespace trtutils::plan {

/// The file's bytes. Runs validate_plan first (ModelError) and throws
/// InvalidArgument when header.format_version is not kPlanFormatVersion or a
/// count does not fit the format's 32-bit fields.
std::vector<std::byte> write_plan_bytes(const Plan& plan);

/// Writes the file atomically: into a temporary file beside `path`, flushed to
/// disk, then renamed over `path`, so a reader never sees half a plan and a
/// failed write leaves any old file in place. Throws FileError on I/O failure.
void write_plan(const std::filesystem::path& path, const Plan& plan);

}  // namespace trtutils::plan
