#pragma once
// Constants of the .engine byte layout, format version 2. The table in
// docs/parts/plan-format.md is the specification; keep the two together.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "trtutils/tensor/dtype.hpp"

namespace trtutils::plan::format {

inline constexpr std::string_view kMagic = "TRTUPLAN";

// The prelude: fixed fields before the section table.
inline constexpr std::size_t kMagicOffset = 0;
inline constexpr std::size_t kVersionOffset = 8;
inline constexpr std::size_t kHeaderLengthOffset = 12;
inline constexpr std::size_t kFileLengthOffset = 16;
inline constexpr std::size_t kChecksumOffset = 24;
/// The checksum covers every byte from here to the end of the file.
inline constexpr std::size_t kChecksummedFrom = 32;
inline constexpr std::size_t kSectionCountOffset = 32;
inline constexpr std::size_t kReservedOffset = 36;
inline constexpr std::size_t kSectionTableOffset = 40;
inline constexpr std::size_t kSectionEntrySize =
    24;  // tag[4], reserved u32, offset u64, length u64

/// Sections of format v2, all present, in this order (v2 added BTCH).
inline constexpr std::array<std::string_view, 6> kSectionTags = {"HEAD", "IOSP", "TNSR",
                                                                 "LAYR", "BTCH", "WGHT"};
inline constexpr std::size_t kHeadSection = 0;
inline constexpr std::size_t kIoSection = 1;
inline constexpr std::size_t kTensorSection = 2;
inline constexpr std::size_t kLayerSection = 3;
inline constexpr std::size_t kBatchSection = 4;
inline constexpr std::size_t kWeightsSection = 5;

inline constexpr std::size_t kHeaderLength =
    kSectionTableOffset + kSectionTags.size() * kSectionEntrySize;

/// Seed of the XXH64 checksum.
inline constexpr std::uint64_t kChecksumSeed = 0;

// Type codes of layer parameters: LayerParam's alternative index.
inline constexpr std::uint8_t kParamInt = 0;
inline constexpr std::uint8_t kParamDouble = 1;
inline constexpr std::uint8_t kParamString = 2;
inline constexpr std::uint8_t kParamInts = 3;
inline constexpr std::uint8_t kParamDoubles = 4;
inline constexpr std::uint8_t kParamBytes = 5;

/// The file's dtype codes, fixed here so that reordering DType never changes
/// the format. 0 (undefined) is never written.
std::uint8_t dtype_code(DType dtype) noexcept;
/// kUndefined for an unknown code.
DType dtype_from_code(std::uint8_t code) noexcept;

}  // namespace trtutils::plan::format
