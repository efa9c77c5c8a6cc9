// tools/gpu_conformance/constant_inputs: the constant-input retry loop over a
// fake build callback, and the engine-reuse check between data sets.
#include "constant_inputs.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace trtutils::gpu_conformance {
namespace {

HostTensor i64(std::vector<std::int64_t> values) {
  const Shape shape{static_cast<std::int64_t>(values.size())};
  return HostTensor::from_values<std::int64_t>(shape, values);
}

/// A fake builder: refuses until every name in `needed` is constant, naming
/// the missing ones (or, with `name_all`, all of `needed`).
struct FakeBuild {
  std::set<std::string> needed;
  std::vector<std::set<std::string>> calls;
  std::string operator()(const std::map<std::string, HostTensor>& constants) {
    std::set<std::string> given;
    for (const auto& [name, tensor] : constants) given.insert(name);
    calls.push_back(given);
    std::vector<std::string> missing;
    for (const std::string& n : needed) {
      if (given.count(n) == 0) missing.push_back(n);
    }
    if (!missing.empty()) throw builder::BuildTimeInputsError("needs build-time values", missing);
    return "plan";
  }
};

TEST(BuildFixingInputs, NoConstantsNeededBuildsOnce) {
  FakeBuild fake;
  const std::map<std::string, HostTensor> available{{"x", i64({1})}};
  const auto built = build_fixing_inputs(available, {}, [&](const auto& c) { return fake(c); });
  EXPECT_EQ(built.result, "plan");
  EXPECT_EQ(built.attempts, 1);
  EXPECT_TRUE(built.fixed.empty());
  ASSERT_EQ(fake.calls.size(), 1u);
  EXPECT_TRUE(fake.calls[0].empty());
}

TEST(BuildFixingInputs, AddsNamedInputsWithTheirValues) {
  FakeBuild fake{{"shape"}, {}};
  const std::map<std::string, HostTensor> available{{"data", i64({1, 2})},
                                                    {"shape", i64({2, 1})}};
  std::map<std::string, HostTensor> seen;
  const auto built = build_fixing_inputs(available, {}, [&](const auto& c) {
    seen = c;
    return fake(c);
  });
  EXPECT_EQ(built.attempts, 2);
  EXPECT_EQ(built.fixed, (std::set<std::string>{"shape"}));
  ASSERT_EQ(seen.size(), 1u);
  ASSERT_EQ(seen.count("shape"), 1u);
  EXPECT_EQ(seen.at("shape").values<std::int64_t>()[0], 2);
  EXPECT_EQ(seen.at("shape").values<std::int64_t>()[1], 1);
}

TEST(BuildFixingInputs, NeedsRevealedOneAtATimeLoopUntilSuccess) {
  // A builder that names only the first missing input per attempt.
  std::set<std::string> needed{"a", "b", "c"};
  int calls = 0;
  const std::map<std::string, HostTensor> available{
      {"a", i64({1})}, {"b", i64({2})}, {"c", i64({3})}, {"x", i64({4})}};
  const auto built =
      build_fixing_inputs(available, {}, [&](const std::map<std::string, HostTensor>& c) {
        ++calls;
        for (const std::string& n : needed) {
          if (c.count(n) == 0) throw builder::BuildTimeInputsError("m", {n});
        }
        return 7;
      });
  EXPECT_EQ(built.result, 7);
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(built.attempts, 4);
  EXPECT_EQ(built.fixed, needed);
}

TEST(BuildFixingInputs, NoProgressRethrowsTheBuildersError) {
  // The builder names an input the test does not provide.
  FakeBuild fake{{"missing"}, {}};
  const std::map<std::string, HostTensor> available{{"x", i64({1})}};
  try {
    (void)build_fixing_inputs(available, {}, [&](const auto& c) { return fake(c); });
    FAIL() << "expected BuildTimeInputsError";
  } catch (const builder::BuildTimeInputsError& e) {
    EXPECT_EQ(e.inputs(), std::vector<std::string>{"missing"});
  }
  EXPECT_EQ(fake.calls.size(), 1u);
}

TEST(BuildFixingInputs, NamingAnAlreadyFixedInputIsNoProgress) {
  int calls = 0;
  const std::map<std::string, HostTensor> available{{"s", i64({1})}};
  EXPECT_THROW((void)build_fixing_inputs(available, {"s"},
                                         [&](const std::map<std::string, HostTensor>&) -> int {
                                           ++calls;
                                           throw builder::BuildTimeInputsError("m", {"s"});
                                         }),
               builder::BuildTimeInputsError);
  EXPECT_EQ(calls, 1);
}

TEST(BuildFixingInputs, OtherErrorsPassThroughUnretried) {
  int calls = 0;
  const std::map<std::string, HostTensor> available{{"s", i64({1})}};
  EXPECT_THROW((void)build_fixing_inputs(available, {},
                                         [&](const std::map<std::string, HostTensor>&) -> int {
                                           ++calls;
                                           throw UnsupportedError("no lowering for Foo");
                                         }),
               UnsupportedError);
  EXPECT_EQ(calls, 1);
}

TEST(BuildFixingInputs, StartsFromPreviouslyFixedNames) {
  FakeBuild fake{{"shape"}, {}};
  const std::map<std::string, HostTensor> available{{"shape", i64({3})}};
  const auto built =
      build_fixing_inputs(available, {"shape"}, [&](const auto& c) { return fake(c); });
  EXPECT_EQ(built.attempts, 1);
  ASSERT_EQ(fake.calls.size(), 1u);
  EXPECT_EQ(fake.calls[0], (std::set<std::string>{"shape"}));
}

TEST(SameConstantValues, ComparesDtypeShapeAndBytes) {
  const std::map<std::string, HostTensor> constants{{"s", i64({2, 3})}};
  EXPECT_TRUE(same_constant_values(constants, {{"s", i64({2, 3})}, {"x", i64({9})}}));
  EXPECT_FALSE(same_constant_values(constants, {{"s", i64({2, 4})}}));
  EXPECT_FALSE(same_constant_values(constants, {{"s", i64({2, 3, 4})}}));
  EXPECT_FALSE(same_constant_values(constants, {{"s", i64({2, 3}).cast(DType::kInt32)}}));
  EXPECT_FALSE(same_constant_values(constants, {{"x", i64({2, 3})}}));
  EXPECT_TRUE(same_constant_values({}, {{"x", i64({1})}}));
}

TEST(SelectInputs, KeepsOnlyNamedOnesPresent) {
  const std::map<std::string, HostTensor> inputs{{"a", i64({1})}, {"b", i64({2})}};
  const auto selected = select_inputs(inputs, {"b", "zzz"});
  ASSERT_EQ(selected.size(), 1u);
  EXPECT_EQ(selected.at("b").values<std::int64_t>()[0], 2);
}

}  // namespace
}  // namespace trtutils::gpu_conformance
