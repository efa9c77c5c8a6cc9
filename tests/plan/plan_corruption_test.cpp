// Damaged, truncated and foreign files are refused with FileError (or
// ModelError for well-formed files describing an inconsistent plan), never
// with a crash, and the message says what is wrong and what to do.
#include <gtest/gtest.h>

#include <string>

#include "sample_plans.hpp"
#include "trtutils/plan/plan_reader.hpp"
#include "trtutils/plan/plan_writer.hpp"

namespace trtutils::plan {
namespace {

using testing::put_u32;
using testing::put_u64;
using testing::reseal;

std::vector<std::byte> small_file() { return write_plan_bytes(testing::small_plan()); }

template <typename Exception>
std::string message_of(const std::vector<std::byte>& bytes, const PlanReadOptions& options = {}) {
  try {
    (void)read_plan_bytes(bytes, options);
  } catch (const Exception& e) {
    return e.what();
  }
  ADD_FAILURE() << "reading did not throw the expected exception";
  return {};
}

std::size_t section_offset(const std::vector<std::byte>& bytes, std::size_t index) {
  return read_plan_file_info(bytes).sections.at(index).range.offset;
}

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "\"" << part << "\" not in: " << text;
}

TEST(PlanCorruption, EveryTruncationThrowsFileErrorSayingTheFileIsIncomplete) {
  for (const std::vector<std::byte>& full : {small_file(), write_plan_bytes(testing::rich_plan()),
                                             write_plan_bytes(testing::batch_plan())}) {
    for (std::size_t n = 1; n < full.size(); ++n) {
      const std::vector<std::byte> prefix(full.begin(),
                                          full.begin() + static_cast<std::ptrdiff_t>(n));
      for (const bool verify : {true, false}) {
        PlanReadOptions options;
        options.verify_checksum = verify;
        const std::string message = message_of<FileError>(prefix, options);
        expect_contains(message, "truncated plan file");
        expect_contains(message, "rebuild it with `trtutils build`");
      }
    }
  }
}

TEST(PlanCorruption, TruncationInsideThePreludeNamesBytesAndOffset) {
  const std::vector<std::byte> full = small_file();
  const std::vector<std::byte> prefix(full.begin(), full.begin() + 20);
  expect_contains(message_of<FileError>(prefix), "needed 8 bytes at offset 16 of 20");
}

TEST(PlanCorruption, TruncationAfterThePreludeSaysHowMuchIsMissing) {
  const std::vector<std::byte> full = small_file();
  const std::vector<std::byte> prefix(full.begin(), full.end() - 1);
  expect_contains(message_of<FileError>(prefix),
                  "it declares " + std::to_string(full.size()) + " bytes but only " +
                      std::to_string(full.size() - 1) + " are present");
}

TEST(PlanCorruption, EmptyInputThrowsFileError) {
  expect_contains(message_of<FileError>({}), "empty file");
}

TEST(PlanCorruption, OneFlippedByteAnywhereIsRefused) {
  const std::vector<std::byte> full = small_file();
  for (std::size_t i = 0; i < full.size(); ++i) {
    for (const unsigned flip : {0x01u, 0xffu}) {
      std::vector<std::byte> bytes = full;
      bytes[i] ^= static_cast<std::byte>(flip);
      const std::string message = message_of<FileError>(bytes);
      if (i >= 24) expect_contains(message, "corrupted plan file: checksum mismatch");
    }
  }
}

TEST(PlanCorruption, FlippedBytesBehindADisabledChecksumNeverEscapeAsOtherErrors) {
  PlanReadOptions options;
  options.verify_checksum = false;
  for (const std::vector<std::byte>& full :
       {write_plan_bytes(testing::rich_plan()), write_plan_bytes(testing::batch_plan())}) {
    for (std::size_t i = 0; i < full.size(); ++i) {
      for (const unsigned flip : {0x01u, 0x80u, 0xffu}) {
        std::vector<std::byte> bytes = full;
        bytes[i] ^= static_cast<std::byte>(flip);
        try {
          (void)read_plan_bytes(bytes, options);
        } catch (const Error&) {
          // Refused by the reader or the validation: as designed.
        } catch (const std::exception& e) {
          ADD_FAILURE() << "byte " << i << " ^ " << flip << ": " << e.what();
        }
      }
    }
  }
}

TEST(PlanCorruption, ForeignFileIsNotAnEngineAndTheMessageSaysToBuildIt) {
  std::vector<std::byte> onnx(64, std::byte{0});
  const char start[] = "\x08\x07\x12\x07pytorch";
  std::memcpy(onnx.data(), start, sizeof start - 1);
  const std::string message = message_of<FileError>(onnx);
  expect_contains(message,
                  "not a trtutils engine file (it starts with \"\\x08\\x07\\x12\\x07pyto\"");
  expect_contains(message, "trtutils build model.onnx -o model.engine");
}

TEST(PlanCorruption, NewerFormatVersionAsksForARebuild) {
  std::vector<std::byte> bytes = small_file();
  put_u32(bytes, 8, 3);
  expect_contains(message_of<FileError>(bytes),
                  "engine format v3 (written by a newer trtutils), this library reads v2: rebuild "
                  "it with this version's `trtutils build`");
}

TEST(PlanCorruption, OlderFormatVersionAsksForARebuild) {
  std::vector<std::byte> bytes = small_file();
  put_u32(bytes, 8, 0);
  expect_contains(message_of<FileError>(bytes), "engine format v0 (written by an older trtutils)");
}

TEST(PlanCorruption, BytesAfterTheDeclaredEndAreRefused) {
  std::vector<std::byte> bytes = small_file();
  bytes.resize(bytes.size() + 3);
  expect_contains(message_of<FileError>(bytes), "3 bytes follow the declared end");
}

TEST(PlanCorruption, AChangedHeaderLengthIsMalformed) {
  std::vector<std::byte> bytes = small_file();
  put_u32(bytes, 12, 999);
  expect_contains(message_of<FileError>(bytes), "malformed plan file");
}

TEST(PlanCorruption, AResealedUnknownSectionTagIsMalformed) {
  std::vector<std::byte> bytes = small_file();
  bytes[40] = std::byte{'X'};  // first tag: "HEAD" -> "XEAD"
  reseal(bytes);
  expect_contains(message_of<FileError>(bytes), "is \"XEAD\", expected \"HEAD\"");
}

// Layer section of the small plan: count u32, "add" (u32 + 3), "ref.Add" (u32 + 7),
// precision u8, input count u32, then the first input id.
constexpr std::size_t kFirstLayerInputId = 4 + 7 + 11 + 1 + 4;
// Tensor section: arena u64, workspace u64, count u32, then tensor "w": id u32,
// name (u32 + 1), dtype, layout, kind, dims (u32 + i64), arena (2 x u64), weights (2 x u64).
constexpr std::size_t kFirstTensorDtype = 8 + 8 + 4 + 4 + 5;
constexpr std::size_t kFirstTensorWeightsOffset = kFirstTensorDtype + 3 + 12 + 16;

TEST(PlanCorruption, ALayerReferringToAMissingTensorIsAnInconsistentPlan) {
  std::vector<std::byte> bytes = small_file();
  put_u32(bytes, section_offset(bytes, 3) + kFirstLayerInputId, 99);
  reseal(bytes);
  const std::string message = message_of<ModelError>(bytes);
  expect_contains(
      message,
      "inconsistent plan: layer 'add' input #0 refers to tensor 99, but the plan has 3 tensors");
  expect_contains(message, "rebuild it with `trtutils build`");
}

TEST(PlanCorruption, WeightsOutsideTheWeightsSectionAreAnInconsistentPlan) {
  std::vector<std::byte> bytes = small_file();
  put_u64(bytes, section_offset(bytes, 2) + kFirstTensorWeightsOffset, 4096);
  reseal(bytes);
  expect_contains(
      message_of<ModelError>(bytes),
      "constant tensor 'w' occupies weights bytes [4096, +8) outside the 8-byte weights section");
}

TEST(PlanCorruption, AnUnknownDtypeCodeIsMalformed) {
  std::vector<std::byte> bytes = small_file();
  bytes[section_offset(bytes, 2) + kFirstTensorDtype] = std::byte{200};
  reseal(bytes);
  expect_contains(message_of<FileError>(bytes), "unknown dtype code 200");
}

}  // namespace
}  // namespace trtutils::plan
