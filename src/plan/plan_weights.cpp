#include "trtutils/plan/plan_weights.hpp"

#include <algorithm>
#include <utility>

#include "trtutils/core/error.hpp"

namespace trtutils::plan {

PlanWeights::PlanWeights(std::vector<std::byte> bytes) {
  auto owned = std::make_shared<const std::vector<std::byte>>(std::move(bytes));
  bytes_ = std::span<const std::byte>(*owned);
  owner_ = std::move(owned);
}

PlanWeights PlanWeights::borrowed(std::span<const std::byte> bytes,
                                  std::shared_ptr<const void> owner) {
  TRTUTILS_CHECK(owner != nullptr || bytes.empty(),
                 "PlanWeights::borrowed needs an owner that keeps the bytes alive");
  PlanWeights weights;
  weights.owner_ = std::move(owner);
  weights.bytes_ = bytes;
  return weights;
}

std::span<const std::byte> PlanWeights::slice(const ByteRange& range) const {
  TRTUTILS_CHECK(range.fits_in(bytes_.size()), "weights range [", range.offset, ", +", range.size,
                 ") lies outside the ", bytes_.size(), "-byte weights section");
  return bytes_.subspan(range.offset, range.size);
}

bool operator==(const PlanWeights& a, const PlanWeights& b) noexcept {
  return std::ranges::equal(a.bytes_, b.bytes_);
}

ByteRange PlanWeightsBuilder::append(std::span<const std::byte> data) {
  const std::size_t offset =
      (bytes_.size() + kWeightsAlignment - 1) / kWeightsAlignment * kWeightsAlignment;
  bytes_.resize(offset + data.size(), std::byte{0});
  std::copy(data.begin(), data.end(), bytes_.begin() + static_cast<std::ptrdiff_t>(offset));
  return {offset, data.size()};
}

PlanWeights PlanWeightsBuilder::finish() { return PlanWeights(std::exchange(bytes_, {})); }

}  // namespace trtutils::plan
