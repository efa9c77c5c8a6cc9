// Writing a plan and reading it back gives the same plan, whichever way it is
// read, and the file has the documented layout.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

#include "sample_plans.hpp"
#include "trtutils/plan/plan_reader.hpp"
#include "trtutils/plan/plan_writer.hpp"

namespace trtutils::plan {
namespace {

using testing::pattern_bytes;
using testing::rich_plan;

std::filesystem::path scratch_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("trtutils_plan_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(PlanRoundTrip, RichPlanReadsBackEqualFromBytes) {
  const Plan plan = rich_plan();
  const Plan back = read_plan_bytes(write_plan_bytes(plan));
  EXPECT_EQ(back.header, plan.header);
  EXPECT_EQ(back.io, plan.io);
  EXPECT_EQ(back.tensors, plan.tensors);
  EXPECT_EQ(back.layers, plan.layers);
  EXPECT_EQ(back.arena_bytes, plan.arena_bytes);
  EXPECT_EQ(back.workspace_bytes, plan.workspace_bytes);
  EXPECT_EQ(back.weights, plan.weights);
  EXPECT_EQ(back, plan);
}

TEST(PlanRoundTrip, EveryParameterTypeKeepsItsTypeAndValue) {
  const Plan back = read_plan_bytes(write_plan_bytes(rich_plan()));
  const LayerParams& conv = back.layers[0].params;
  EXPECT_EQ(conv.get_ints("strides"), (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(conv.get_int("group"), 1);
  EXPECT_EQ(conv.get_double("alpha"), 1.0);
  EXPECT_EQ(conv.get_bytes("algo"), pattern_bytes(256));
  const LayerParams& head = back.layers[1].params;
  EXPECT_EQ(head.get_string("source"), "extern \"C\" __global__ void k() {}\n\t\"quoted\"");
  EXPECT_EQ(head.get_doubles("scales")[3], std::numeric_limits<double>::denorm_min());
  EXPECT_TRUE(head.get_ints("empty_ints").empty());
  EXPECT_TRUE(head.get_bytes("empty_bytes").empty());
  EXPECT_EQ(back.layers[2].params.get_int("min_int"), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(back.layers[2].inputs[2], kAbsentTensor);
}

TEST(PlanRoundTrip, WeightsSectionAndEveryConstantAre256ByteAligned) {
  const Plan plan = rich_plan();
  const std::vector<std::byte> bytes = write_plan_bytes(plan);
  const PlanFileInfo info = read_plan_file_info(bytes);
  EXPECT_EQ(info.weights.offset % 256, 0u);
  EXPECT_EQ(info.weights.size, plan.weights.size());
  EXPECT_EQ(info.weights.offset + info.weights.size, bytes.size());
  const Plan back = read_plan_bytes(bytes);
  // Offsets 0, 1024 (864 rounded up), 1280 (1024 + 64 rounded up).
  EXPECT_EQ(back.tensors[2].weights, (ByteRange{0, 864}));
  EXPECT_EQ(back.tensors[3].weights, (ByteRange{1024, 64}));
  EXPECT_EQ(back.tensors[4].weights, (ByteRange{1280, 24}));
  // The data sits at those offsets of the file's weights section.
  const auto file_weights = std::span(bytes).subspan(info.weights.offset);
  const auto bias = file_weights.subspan(1024, 64);
  EXPECT_TRUE(std::ranges::equal(bias, pattern_bytes(64, 2)));
  EXPECT_TRUE(std::ranges::equal(back.weights_of(back.tensors[4]), pattern_bytes(24, 3)));
}

TEST(PlanRoundTrip, FileStartsWithTheDocumentedPrelude) {
  const std::vector<std::byte> bytes = write_plan_bytes(rich_plan());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(bytes.data()), 8), "TRTUPLAN");
  const PlanFileInfo info = read_plan_file_info(bytes);
  EXPECT_EQ(info.format_version, kPlanFormatVersion);
  EXPECT_EQ(info.file_size, bytes.size());
  ASSERT_EQ(info.sections.size(), 6u);
  const char* tags[] = {"HEAD", "IOSP", "TNSR", "LAYR", "BTCH", "WGHT"};
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(info.sections[i].tag, tags[i]);
  EXPECT_EQ(info.sections[0].range.offset, 40u + 6 * 24);  // right after the section table
}

TEST(PlanRoundTrip, WritingIsDeterministic) {
  EXPECT_EQ(write_plan_bytes(rich_plan()), write_plan_bytes(rich_plan()));
}

TEST(PlanRoundTrip, BorrowedReadSharesTheCallersBytes) {
  const auto bytes = std::make_shared<const std::vector<std::byte>>(write_plan_bytes(rich_plan()));
  const Plan back = read_plan_borrowed(*bytes, bytes);
  EXPECT_EQ(back, rich_plan());
  const std::size_t offset = read_plan_file_info(*bytes).weights.offset;
  EXPECT_EQ(back.weights.bytes().data(), bytes->data() + offset);
}

TEST(PlanRoundTrip, FileWrittenAndMappedBackIsEqualAndOutlivesItsPath) {
  const auto dir = scratch_dir("file");
  const auto path = dir / "model.engine";
  write_plan(path, rich_plan());
  Plan back = read_plan(path);
  EXPECT_EQ(back, rich_plan());
  // The mapping keeps the weights readable after the file is gone.
  std::filesystem::remove(path);
  EXPECT_TRUE(std::ranges::equal(back.weights_of(back.tensors[2]), pattern_bytes(864, 1)));
  std::filesystem::remove_all(dir);
}

TEST(PlanRoundTrip, WritePlanReplacesAnOldFileAndLeavesNoTemporaryFiles) {
  const auto dir = scratch_dir("replace");
  const auto path = dir / "model.engine";
  std::ofstream(path) << "old contents";
  write_plan(path, rich_plan());
  EXPECT_EQ(read_plan(path), rich_plan());
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);
  std::filesystem::remove_all(dir);
}

TEST(PlanRoundTrip, WritePlanIntoAMissingFolderThrowsFileErrorNamingThePath) {
  const auto path = std::filesystem::temp_directory_path() / "trtutils_no_such_dir" / "m.engine";
  try {
    write_plan(path, rich_plan());
    FAIL() << "expected FileError";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("trtutils_no_such_dir"), std::string::npos) << e.what();
  }
}

// fuzz/plan_seeds/ seeds scripts/fuzz-plan.sh with the sample plans. After a
// format change, run this test with TRTUTILS_WRITE_PLAN_SEEDS=1 to rewrite them.
TEST(PlanRoundTrip, FuzzerSeedPlansAreCurrent) {
  const std::filesystem::path dir =
      std::filesystem::path(TRTUTILS_TEST_DATA_DIR).parent_path().parent_path() / "fuzz" /
      "plan_seeds";
  const std::pair<const char*, Plan> seeds[] = {{"small.engine", testing::small_plan()},
                                                {"rich.engine", rich_plan()},
                                                {"batch.engine", testing::batch_plan()}};
  for (const auto& [name, plan] : seeds) {
    if (std::getenv("TRTUTILS_WRITE_PLAN_SEEDS") != nullptr) write_plan(dir / name, plan);
    Plan back = read_plan(dir / name);
    back.header.library_version = plan.header.library_version;  // may predate a version bump
    EXPECT_EQ(back, plan) << name << " is stale: rerun with TRTUTILS_WRITE_PLAN_SEEDS=1";
  }
}

TEST(PlanRoundTrip, ReadPlanOfAMissingFileThrowsFileError) {
  EXPECT_THROW(read_plan("/nonexistent/model.engine"), FileError);
}

}  // namespace
}  // namespace trtutils::plan
