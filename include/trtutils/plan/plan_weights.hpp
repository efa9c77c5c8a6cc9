#pragma once
// The weights section of a plan: one contiguous, immutable block of constant
// tensor data, each tensor starting on a 256-byte boundary, so that the
// runtime can copy the whole block to the device in one transfer and keep
// every tensor aligned for vectorised loads.
//
// PlanWeights either owns its bytes or borrows them from a buffer kept alive
// by a shared owner (a memory-mapped plan file), so loading never has to copy
// the weights on the host. Copies share the same bytes.
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "trtutils/plan/byte_range.hpp"

namespace trtutils::plan {

/// Alignment of the weights section in the file and of every tensor inside it.
inline constexpr std::size_t kWeightsAlignment = 256;

class PlanWeights {
 public:
  PlanWeights() = default;
  /// Takes ownership of `bytes`.
  explicit PlanWeights(std::vector<std::byte> bytes);
  /// Borrows `bytes`; `owner` keeps them alive for as long as any copy of
  /// this object exists.
  static PlanWeights borrowed(std::span<const std::byte> bytes, std::shared_ptr<const void> owner);

  std::span<const std::byte> bytes() const noexcept { return bytes_; }
  std::size_t size() const noexcept { return bytes_.size(); }
  bool empty() const noexcept { return bytes_.empty(); }
  /// The bytes of `range`; throws InvalidArgument when it lies outside.
  std::span<const std::byte> slice(const ByteRange& range) const;

  /// Byte-wise equality (ownership does not matter).
  friend bool operator==(const PlanWeights& a, const PlanWeights& b) noexcept;

 private:
  std::shared_ptr<const void> owner_;
  std::span<const std::byte> bytes_;
};

/// Lays constant tensors out one after another, each on a 256-byte boundary.
class PlanWeightsBuilder {
 public:
  /// Appends a copy of `data` at the next aligned offset and returns where it went.
  ByteRange append(std::span<const std::byte> data);
  std::size_t size() const noexcept { return bytes_.size(); }
  /// The finished section; the builder is left empty.
  PlanWeights finish();

 private:
  std::vector<std::byte> bytes_;
};

}  // namespace trtutils::plan
