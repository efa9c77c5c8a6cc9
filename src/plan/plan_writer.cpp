#include "trtutils/plan/plan_writer.hpp"

#include <array>

#include "plan/byte_writer.hpp"
#include "plan/file_io.hpp"
#include "plan/plan_format.hpp"
#include "plan/plan_sections.hpp"
#include "plan/xxhash64.hpp"
#include "trtutils/core/error.hpp"
#include "trtutils/plan/plan_validation.hpp"

namespace trtutils::plan {

namespace {

// Writes one section and records its range in the section table.
template <typename Encode>
void write_section(ByteWriter& out, std::size_t index, Encode&& encode) {
  const std::size_t begin = out.size();
  encode();
  const std::size_t entry = format::kSectionTableOffset + index * format::kSectionEntrySize;
  out.patch_u64(entry + 8, begin);
  out.patch_u64(entry + 16, out.size() - begin);
}

void write_prelude(ByteWriter& out) {
  out.bytes(std::as_bytes(std::span(format::kMagic)));
  out.u32(kPlanFormatVersion);
  out.u32(static_cast<std::uint32_t>(format::kHeaderLength));
  out.u64(0);  // file length, patched at the end
  out.u64(0);  // checksum, patched at the end
  out.u32(static_cast<std::uint32_t>(format::kSectionTags.size()));
  out.u32(0);  // reserved
  for (const std::string_view tag : format::kSectionTags) {
    out.bytes(std::as_bytes(std::span(tag)));
    out.u32(0);  // reserved
    out.u64(0);  // offset, patched by write_section
    out.u64(0);  // length, patched by write_section
  }
}

}  // namespace

std::vector<std::byte> write_plan_bytes(const Plan& plan) {
  TRTUTILS_CHECK(plan.header.format_version == kPlanFormatVersion,
                 "write_plan: the header asks for format v", plan.header.format_version,
                 ", but this library writes v", kPlanFormatVersion, " only");
  validate_plan(plan);
  ByteWriter out;
  write_prelude(out);
  write_section(out, format::kHeadSection, [&] { write_head_section(out, plan.header); });
  write_section(out, format::kIoSection, [&] { write_io_section(out, plan.io); });
  write_section(out, format::kTensorSection, [&] { write_tensor_section(out, plan); });
  write_section(out, format::kLayerSection, [&] { write_layer_section(out, plan.layers); });
  write_section(out, format::kBatchSection, [&] { write_batch_section(out, plan); });
  out.pad_to(kWeightsAlignment);
  write_section(out, format::kWeightsSection, [&] { out.bytes(plan.weights.bytes()); });

  out.patch_u64(format::kFileLengthOffset, out.size());
  const auto checksummed =
      std::span<const std::byte>(out.buffer()).subspan(format::kChecksummedFrom);
  out.patch_u64(format::kChecksumOffset, xxhash64(checksummed, format::kChecksumSeed));
  return std::move(out.buffer());
}

void write_plan(const std::filesystem::path& path, const Plan& plan) {
  write_file_atomically(path, write_plan_bytes(plan));
}

}  // namespace trtutils::plan
