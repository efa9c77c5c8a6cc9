// tools/gpu_conformance: the verdict, the per-op table, the failure list and
// the fp16 relative-L2 comparison.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gpu_compare.hpp"
#include "gpu_report.hpp"

namespace trtutils::gpu_conformance {
namespace {

GpuRecord rec(std::string test, std::string op, bool candidate, GpuStatus status,
              std::string message = {}, bool known = false) {
  GpuRecord r;
  r.test = std::move(test);
  r.op = std::move(op);
  r.candidate = candidate;
  r.status = status;
  r.message = std::move(message);
  r.known = known;
  r.known_reason = known ? "no GPU lowering yet" : "";
  return r;
}

std::vector<GpuRecord> sample() {
  return {rec("test_relu", "Relu", true, GpuStatus::kPassed),
          rec("test_relu_b", "Relu", true, GpuStatus::kFailed, "set_0: output 'y': bad\nmore"),
          rec("test_add", "Add", true, GpuStatus::kUnsupported, "build: UnsupportedError: x"),
          rec("test_add_str", "Add", false, GpuStatus::kNotRun),
          rec("test_foo", "Foo", true, GpuStatus::kUnsupported, "no lowering", true),
          rec("test_bar", "Bar", false, GpuStatus::kNotRun),
          rec("test_baz", "Baz", true, GpuStatus::kPassed, {}, true)};
}

TEST(Verdict, UnsupportedIsFailedUnlessKnownAndNonCandidatesDoNotCount) {
  const std::vector<GpuRecord> records = sample();
  const Verdict v = verdict(records);
  EXPECT_EQ(v.passed, 2);  // test_relu, test_baz
  EXPECT_EQ(v.failed, 2);  // test_relu_b (wrong), test_add (unsupported, not known)
  EXPECT_EQ(v.known, 1);   // test_foo
  ASSERT_EQ(v.stale.size(), 1u);
  EXPECT_EQ(v.stale[0]->test, "test_baz");
  EXPECT_EQ(final_line(v), "gpu-conformance: 2 passed, 2 failed");
}

TEST(Verdict, EmptyRun) {
  EXPECT_EQ(final_line(verdict({})), "gpu-conformance: 0 passed, 0 failed");
}

TEST(Table, OneRowPerOpWithACandidateInNameOrder) {
  const std::string table = format_table(sample());
  const std::string expected =
      "op                          passed  failed  unsupported  not-run\n"
      "Add                              0       0            1        1\n"
      "Baz                              1       0            0        0\n"
      "Foo                              0       0            1        0\n"
      "Relu                             1       1            0        0\n";
  EXPECT_EQ(table, expected);
  EXPECT_EQ(table.find("Bar"), std::string::npos);  // no candidate: no row
}

TEST(Failures, FirstLineOfEachMessageUnknownThenKnown) {
  const std::string text = format_failures(sample());
  EXPECT_EQ(text,
            "GPU failures (CPU reference passes):\n"
            "  test_relu_b [Relu, failed]: set_0: output 'y': bad\n"
            "  test_add [Add, unsupported]: build: UnsupportedError: x\n"
            "known GPU failures:\n"
            "  test_foo [Foo, unsupported]: no lowering (known: no GPU lowering yet)\n");
  EXPECT_EQ(first_line("a\nb"), "a");
  EXPECT_EQ(first_line("a"), "a");
  EXPECT_EQ(first_line("1 node(s) cannot be built:\n  Foo 'x': no lowering\n  more"),
            "1 node(s) cannot be built: Foo 'x': no lowering");
}

HostTensor f32(std::vector<float> values) {
  const Shape shape{static_cast<std::int64_t>(values.size())};
  return HostTensor::from_values<float>(shape, values);
}

TEST(RelativeL2, WithinAndBeyondTheLimit) {
  // ||a - e|| / ||e|| = sqrt(0.01^2 + 0) / sqrt(3^2 + 4^2) = 0.002
  EXPECT_FALSE(compare_relative_l2(f32({3.01f, 4.0f}), f32({3.0f, 4.0f})).has_value());
  // 0.1 / 5 = 0.02 > 0.01
  const auto bad = compare_relative_l2(f32({3.1f, 4.0f}), f32({3.0f, 4.0f}));
  ASSERT_TRUE(bad.has_value());
  EXPECT_NE(bad->find("relative L2 error"), std::string::npos) << *bad;
  // A custom limit.
  EXPECT_FALSE(compare_relative_l2(f32({3.1f, 4.0f}), f32({3.0f, 4.0f}), 0.03).has_value());
}

TEST(RelativeL2, NonFiniteExpectedMustMatchAndZeroReferenceIsAbsolute) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(compare_relative_l2(f32({nan, inf, 1.0f}), f32({nan, inf, 1.0f})).has_value());
  EXPECT_TRUE(compare_relative_l2(f32({0.0f, inf, 1.0f}), f32({nan, inf, 1.0f})).has_value());
  EXPECT_TRUE(compare_relative_l2(f32({nan, -inf, 1.0f}), f32({nan, inf, 1.0f})).has_value());
  EXPECT_TRUE(compare_relative_l2(f32({nan, 1.0f}), f32({1.0f, 1.0f})).has_value());
  EXPECT_FALSE(compare_relative_l2(f32({0.001f, 0.0f}), f32({0.0f, 0.0f})).has_value());
  EXPECT_TRUE(compare_relative_l2(f32({0.1f, 0.0f}), f32({0.0f, 0.0f})).has_value());
}

TEST(RelativeL2, DtypeAndShapeMustMatch) {
  EXPECT_TRUE(compare_relative_l2(f32({1.0f}), f32({1.0f, 1.0f})).has_value());
  EXPECT_TRUE(
      compare_relative_l2(f32({1.0f}).cast(DType::kFloat16), f32({1.0f})).has_value());
}

TEST(CompareFp16, IntegersExactFloatsByRelativeL2) {
  const auto ints = [](std::vector<std::int32_t> v) {
    return HostTensor::from_values<std::int32_t>(Shape{static_cast<std::int64_t>(v.size())}, v);
  };
  EXPECT_FALSE(compare_fp16(ints({1, 2}), ints({1, 2})).has_value());
  EXPECT_TRUE(compare_fp16(ints({1, 3}), ints({1, 2})).has_value());
  // 0.5% relative error: beyond the fp32 runner's rtol 1e-3, within 1e-2 L2.
  EXPECT_FALSE(compare_fp16(f32({1.005f}), f32({1.0f})).has_value());
  EXPECT_TRUE(compare_fp16(f32({1.05f}), f32({1.0f})).has_value());
}

}  // namespace
}  // namespace trtutils::gpu_conformance
