// Whether a plan may run here, and the typed access to layer parameters.
#include "trtutils/plan/plan_compatibility.hpp"

#include <gtest/gtest.h>

#include <string>

#include "trtutils/version.hpp"

namespace trtutils::plan {
namespace {

PlanHeader header_for(std::string arch, std::string version) {
  PlanHeader header;
  header.target_arch = std::move(arch);
  header.library_version = std::move(version);
  return header;
}

std::string refusal(const PlanHeader& header, std::string_view arch, std::string_view version) {
  try {
    check_plan_compatible(header, arch, version);
  } catch (const ModelError& e) {
    return e.what();
  }
  ADD_FAILURE() << "check_plan_compatible accepted it";
  return {};
}

TEST(PlanCompatibility, APlanForAnotherArchitectureSaysToRebuild) {
  EXPECT_EQ(
      refusal(header_for("sm_86", "0.1.0"), "sm_90", "0.1.0"),
      "engine built for sm_86, this GPU is sm_90: rebuild it with `trtutils build` on this GPU");
}

TEST(PlanCompatibility, APlanFromAnotherMinorVersionSaysToRebuild) {
  const std::string message = refusal(header_for("sm_90", "0.2.0"), "sm_90", "0.1.3");
  EXPECT_NE(message.find("engine built by trtutils 0.2.0, this is trtutils 0.1.3"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("rebuild it with this version's `trtutils build`"), std::string::npos)
      << message;
  EXPECT_FALSE(refusal(header_for("sm_90", "1.1.0"), "sm_90", "0.1.0").empty());
  EXPECT_FALSE(refusal(header_for("sm_90", "garbage"), "sm_90", "0.1.0").empty());
}

TEST(PlanCompatibility, PatchReleasesOfTheSameArchitectureAreCompatible) {
  EXPECT_NO_THROW(check_plan_compatible(header_for("sm_90", "0.1.0"), "sm_90", "0.1.7"));
  EXPECT_NO_THROW(check_plan_compatible(header_for("sm_90", std::string(kVersionString)), "sm_90"));
}

TEST(PlanCompatibility, ANewHeaderRecordsThisLibrarysVersion) {
  EXPECT_EQ(PlanHeader{}.library_version, kVersionString);
  EXPECT_EQ(kVersionString, std::to_string(kVersionMajor) + "." + std::to_string(kVersionMinor) +
                                "." + std::to_string(kVersionPatch));
}

TEST(PlanCompatibility, SmArchNameFollowsTheComputeCapability) {
  EXPECT_EQ(sm_arch_name(9, 0), "sm_90");
  EXPECT_EQ(sm_arch_name(8, 6), "sm_86");
  EXPECT_EQ(sm_arch_name(12, 0), "sm_120");
  EXPECT_THROW(sm_arch_name(0, 0), InvalidArgument);
}

TEST(LayerParams, GettersReturnValuesOfTheirType) {
  LayerParams params;
  params.set("group", std::int64_t{4});
  params.set("eps", 1e-5);
  EXPECT_EQ(params.get_int("group"), 4);
  EXPECT_EQ(params.get_int("missing", 7), 7);
  EXPECT_EQ(params.get_double("eps"), 1e-5);
}

TEST(LayerParams, AMissingOrMistypedParameterThrowsModelErrorNamingIt) {
  LayerParams params;
  params.set("group", std::int64_t{4});
  try {
    (void)params.get_string("group");
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("layer parameter 'group' holds int, not string"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW((void)params.get_bytes("algo"), ModelError);
  params.set("eps", 1e-5);
  EXPECT_THROW((void)params.get_int("eps", 0), ModelError);  // the fallback is for absent ones only
}

}  // namespace
}  // namespace trtutils::plan
