#pragma once
// XXH64, written from the xxHash specification
// (https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md): the plan
// file's checksum. Fast enough (several GB/s) to check every load.
#include <cstddef>
#include <cstdint>
#include <span>

namespace trtutils::plan {

std::uint64_t xxhash64(std::span<const std::byte> bytes, std::uint64_t seed = 0) noexcept;

}  // namespace trtutils::plan
