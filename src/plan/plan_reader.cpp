#include "trtutils/plan/plan_reader.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include "plan/byte_reader.hpp"
#include "plan/file_io.hpp"
#include "plan/plan_format.hpp"
#include "plan/plan_sections.hpp"
#include "plan/xxhash64.hpp"
#include "trtutils/core/error.hpp"
#include "trtutils/plan/plan_validation.hpp"

namespace trtutils::plan {

namespace {

constexpr std::string_view kRebuild = "rebuild it with `trtutils build`";

// The first bytes of a foreign file as a message can show them: printable
// ASCII as is, anything else as \xNN.
std::string excerpt(std::span<const std::byte> bytes) {
  std::string out = "\"";
  for (const std::byte b : bytes.first(std::min<std::size_t>(bytes.size(), 8))) {
    const auto c = std::to_integer<unsigned char>(b);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      constexpr std::string_view kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xfu];
    }
  }
  return out + "\"";
}

void check_magic(std::span<const std::byte> bytes, std::string_view source) {
  const std::size_t n = std::min(bytes.size(), format::kMagic.size());
  const bool matches = std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n),
                                  std::as_bytes(std::span(format::kMagic)).begin());
  if (matches && n != 0) return;  // a short prefix of the magic reads as truncated later
  if (n == 0) {
    throw FileError(detail::concat(source, ": empty file, not a trtutils engine; ", kRebuild));
  }
  throw FileError(detail::concat(
      source, ": not a trtutils engine file (it starts with ", excerpt(bytes),
      ", not \"TRTUPLAN\"); ONNX models must be built first: trtutils build model.onnx -o "
      "model.engine"));
}

void check_version(std::uint32_t version, std::string_view source) {
  if (version == kPlanFormatVersion) return;
  throw FileError(detail::concat(source, ": engine format v", version, " (written by ",
                                 version > kPlanFormatVersion ? "a newer" : "an older",
                                 " trtutils), this library reads v", kPlanFormatVersion,
                                 ": rebuild it with this version's `trtutils build`"));
}

void check_length(std::uint64_t declared, std::size_t actual, std::string_view source) {
  if (declared > actual) {
    throw FileError(detail::concat(source, ": truncated plan file: it declares ", declared,
                                   " bytes but only ", actual,
                                   " are present; the file is incomplete: ", kRebuild));
  }
  if (declared < actual) {
    throw FileError(detail::concat(source, ": malformed plan file: ", actual - declared,
                                   " bytes follow the declared end of the plan at offset ",
                                   declared, "; the file is damaged: ", kRebuild));
  }
}

void check_checksum(std::span<const std::byte> bytes, std::uint64_t stored,
                    std::string_view source) {
  const std::uint64_t computed =
      xxhash64(bytes.subspan(format::kChecksummedFrom), format::kChecksumSeed);
  if (computed == stored) return;
  throw FileError(detail::concat(source, ": corrupted plan file: checksum mismatch (stored 0x",
                                 std::hex, stored, ", computed 0x", computed, std::dec,
                                 "); the file was damaged after it was written: copy it again or ",
                                 kRebuild));
}

// The section table: v2's sections in order, inside the file, not
// overlapping, the weights 256-byte aligned and ending the file.
std::vector<PlanSection> read_section_table(ByteReader& in, std::uint64_t file_size) {
  std::vector<PlanSection> sections;
  std::uint64_t previous_end = format::kHeaderLength;
  for (const std::string_view expected : format::kSectionTags) {
    const std::uint64_t at = in.offset();
    const auto tag_bytes = in.bytes(4);
    PlanSection section;
    section.tag.assign(reinterpret_cast<const char*>(tag_bytes.data()), 4);
    const std::uint32_t reserved = in.u32();
    section.range.offset = in.u64();
    section.range.size = in.u64();
    if (section.tag != expected) {
      in.fail(detail::concat("section table entry at offset ", at, " is ", excerpt(tag_bytes),
                             ", expected \"", expected, "\""));
    }
    if (reserved != 0) in.fail(detail::concat("section ", expected, " has reserved bits set"));
    if (section.range.offset < previous_end || !section.range.fits_in(file_size)) {
      in.fail(detail::concat("section ", expected, " at [", section.range.offset, ", +",
                             section.range.size, ") overlaps another or lies outside the ",
                             file_size, "-byte file"));
    }
    previous_end = section.range.offset + section.range.size;
    sections.push_back(std::move(section));
  }
  const ByteRange weights = sections.back().range;
  if (weights.offset % kWeightsAlignment != 0 || weights.offset + weights.size != file_size) {
    in.fail(detail::concat("the weights section at [", weights.offset, ", +", weights.size,
                           ") must start on a ", kWeightsAlignment,
                           "-byte boundary and end the file"));
  }
  return sections;
}

template <typename Decode>
void read_section(std::span<const std::byte> file, const PlanSection& section,
                  std::string_view source, Decode&& decode) {
  ByteReader in(file.subspan(section.range.offset, section.range.size), section.range.offset,
                file.size(), source, section.tag);
  decode(in);
  in.expect_end();
}

Plan decode_plan(std::span<const std::byte> bytes, std::shared_ptr<const void> owner,
                 const PlanReadOptions& options) {
  const PlanFileInfo info = read_plan_file_info(bytes, options);
  const std::string_view source = options.source_name;
  Plan plan;
  read_section(bytes, info.sections[format::kHeadSection], source,
               [&](ByteReader& in) { plan.header = read_head_section(in); });
  plan.header.format_version = info.format_version;
  read_section(bytes, info.sections[format::kIoSection], source,
               [&](ByteReader& in) { plan.io = read_io_section(in); });
  read_section(bytes, info.sections[format::kTensorSection], source,
               [&](ByteReader& in) { read_tensor_section(in, plan); });
  read_section(bytes, info.sections[format::kLayerSection], source,
               [&](ByteReader& in) { plan.layers = read_layer_section(in); });
  read_section(bytes, info.sections[format::kBatchSection], source,
               [&](ByteReader& in) { read_batch_section(in, plan); });
  const auto weights = bytes.subspan(info.weights.offset, info.weights.size);
  plan.weights = owner ? PlanWeights::borrowed(weights, std::move(owner))
                       : PlanWeights(std::vector<std::byte>(weights.begin(), weights.end()));
  try {
    validate_plan(plan);
  } catch (const ModelError& e) {
    throw ModelError(detail::concat(
        source, ": ", e.what(), "; the file was written by a faulty tool or edited: ", kRebuild));
  }
  return plan;
}

}  // namespace

PlanFileInfo read_plan_file_info(std::span<const std::byte> bytes, const PlanReadOptions& options) {
  const std::string_view source = options.source_name;
  check_magic(bytes, source);
  ByteReader in(bytes, 0, bytes.size(), source, "prelude");
  in.bytes(format::kMagic.size());
  PlanFileInfo info;
  info.format_version = in.u32();
  check_version(info.format_version, source);
  const std::uint32_t header_length = in.u32();
  info.file_size = in.u64();
  info.checksum = in.u64();
  check_length(info.file_size, bytes.size(), source);
  if (options.verify_checksum) check_checksum(bytes, info.checksum, source);
  const std::uint32_t section_count = in.u32();
  const std::uint32_t reserved = in.u32();
  if (header_length != format::kHeaderLength || section_count != format::kSectionTags.size() ||
      reserved != 0) {
    in.fail(detail::concat("format v", kPlanFormatVersion, " has a ", format::kHeaderLength, "-byte header with ",
                           format::kSectionTags.size(), " sections, this file declares ",
                           header_length, " bytes and ", section_count, " sections"));
  }
  info.sections = read_section_table(in, info.file_size);
  info.weights = info.sections[format::kWeightsSection].range;
  return info;
}

Plan read_plan(const std::filesystem::path& path, PlanReadOptions options) {
  options.source_name = path.string();
  const std::shared_ptr<const MappedFile> file = MappedFile::open(path);
  return decode_plan(file->bytes(), file, options);
}

Plan read_plan_bytes(std::span<const std::byte> bytes, const PlanReadOptions& options) {
  return decode_plan(bytes, nullptr, options);
}

Plan read_plan_borrowed(std::span<const std::byte> bytes, std::shared_ptr<const void> owner,
                        const PlanReadOptions& options) {
  TRTUTILS_CHECK(owner != nullptr, "read_plan_borrowed needs an owner that keeps the bytes alive");
  return decode_plan(bytes, std::move(owner), options);
}

}  // namespace trtutils::plan
