#include "trtutils/plan/plan_compatibility.hpp"

#include <charconv>
#include <optional>
#include <utility>

#include "trtutils/core/error.hpp"

namespace trtutils::plan {

namespace {

// "major.minor" of "major.minor.patch[...]"; nullopt if it does not start so.
std::optional<std::pair<int, int>> major_minor(std::string_view version) {
  int major = 0;
  int minor = 0;
  const char* end = version.data() + version.size();
  auto [p, ec] = std::from_chars(version.data(), end, major);
  if (ec != std::errc{} || p == end || *p != '.') return std::nullopt;
  auto [q, ec2] = std::from_chars(p + 1, end, minor);
  if (ec2 != std::errc{} || (q != end && *q != '.')) return std::nullopt;
  return std::pair{major, minor};
}

}  // namespace

std::string sm_arch_name(int major, int minor) {
  TRTUTILS_CHECK(major > 0 && minor >= 0 && minor < 10, "compute capability ", major, ".", minor,
                 " is not a valid CUDA compute capability");
  return detail::concat("sm_", major, minor);
}

void check_plan_compatible(const PlanHeader& header, std::string_view device_arch,
                           std::string_view library_version) {
  if (header.target_arch != device_arch) {
    throw ModelError(detail::concat("engine built for ", header.target_arch, ", this GPU is ",
                                    device_arch, ": rebuild it with `trtutils build` on this GPU"));
  }
  const auto built_by = major_minor(header.library_version);
  const auto running = major_minor(library_version);
  if (!built_by || !running || *built_by != *running) {
    throw ModelError(detail::concat("engine built by trtutils ", header.library_version,
                                    ", this is trtutils ", library_version,
                                    " (plans run only with the same major.minor version): "
                                    "rebuild it with this version's `trtutils build`"));
  }
}

}  // namespace trtutils::plan
