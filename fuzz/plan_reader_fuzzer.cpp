// libFuzzer target for the .engine plan reader: arbitrary bytes go through
// read_plan_bytes with the checksum checked (the path every load takes) and
// skipped (so that mutations reach the section decoders and the validation
// behind it). A trtutils::Error is the reader refusing bad input, as designed;
// any other exception, a crash or a sanitizer report is a bug. A plan that is
// accepted must write back to bytes that read back equal.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "trtutils/core/error.hpp"
#include "trtutils/plan/plan_reader.hpp"
#include "trtutils/plan/plan_writer.hpp"

namespace {

void read_and_round_trip(std::span<const std::byte> bytes, bool verify_checksum) {
  trtutils::plan::PlanReadOptions options;
  options.verify_checksum = verify_checksum;
  trtutils::plan::Plan plan;
  try {
    plan = trtutils::plan::read_plan_bytes(bytes, options);
  } catch (const trtutils::Error&) {
    return;  // refused, as designed
  } catch (const std::exception& e) {
    std::fprintf(stderr, "non-trtutils exception escaped the plan reader: %s\n", e.what());
    std::abort();
  }
  // Accepted plans are valid, so writing them must work and read back equal.
  // (NaN parameters would compare unequal; they are compared by bytes instead.)
  const auto written = trtutils::plan::write_plan_bytes(plan);
  const auto again = trtutils::plan::write_plan_bytes(trtutils::plan::read_plan_bytes(written));
  if (written != again) {
    std::fprintf(stderr, "an accepted plan did not survive write -> read -> write\n");
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  read_and_round_trip(bytes, true);
  read_and_round_trip(bytes, false);
  return 0;
}
