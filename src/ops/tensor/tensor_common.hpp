#pragma once
// Helpers shared by the tensor-family ops (data movement): byte-level element
// copies that work for every dtype, a strided gather that Slice, Transpose and
// Expand reduce to, index wrapping, and shape-rule helpers for partly known
// shapes. Registration functions of the family's ops are declared here too.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "ops/support.hpp"
#include "trtutils/ops/registry.hpp"

namespace trtutils::ops::tensor {

// --- data --------------------------------------------------------------

inline const std::byte* bytes_of(const HostTensor& t) {
  return static_cast<const std::byte*>(t.data());
}
inline std::byte* bytes_of(HostTensor& t) { return static_cast<std::byte*>(t.data()); }

/// Fills the contiguous `dst`: the element at coordinates c is src's element
/// number offset + sum(c[d] * strides[d]) (element units, dst.rank() strides).
void strided_gather(const HostTensor& src, std::int64_t offset,
                    const std::vector<std::int64_t>& strides, HostTensor& dst);

/// Maps an index in [-size, size) into [0, size); false when out of range.
bool wrap_index(std::int64_t& index, std::int64_t size) noexcept;

/// Reads an integer input (indices, axes, sizes); fails naming the input when
/// its dtype is not an integer type.
std::vector<std::int64_t> input_ints(const CpuContext& ctx, std::size_t i, const char* what);

/// An axis of a tensor of rank >= 1, mapped into [0, rank). Unlike
/// normalize_axis it refuses rank 0 (these ops index the axis' extent).
template <typename Ctx>
std::int64_t axis_of(const Ctx& ctx, std::int64_t axis, std::int64_t rank) {
  if (rank < 1) ctx.fail(detail::concat("needs an input of rank >= 1 (axis ", axis, ")"));
  return normalize_axis(axis, rank, ctx.node());
}

// --- shape rules -------------------------------------------------------

/// The values of constant integer input i, or nullopt when unknown.
std::optional<std::vector<std::int64_t>> constant_ints(const InferContext& ctx, std::size_t i);

/// Product of dims [begin, end): static when all are static; a lone symbolic
/// dim among 1s keeps its symbol; otherwise unknown.
ir::Dim dim_product(const ir::DimList& dims, std::size_t begin, std::size_t end);

/// A list of `rank` unknown dims.
ir::DimList unknown_dims(std::size_t rank);

// --- registration ------------------------------------------------------

void register_concat(OpRegistry& registry);
void register_split(OpRegistry& registry);
void register_slice(OpRegistry& registry);
void register_gather(OpRegistry& registry);           // Gather, GatherElements, GatherND
void register_scatter(OpRegistry& registry);          // ScatterND, ScatterElements, Scatter
void register_reshape(OpRegistry& registry);          // Reshape, Flatten, Squeeze, Unsqueeze
void register_transpose(OpRegistry& registry);
void register_expand_tile(OpRegistry& registry);      // Expand, Tile

}  // namespace trtutils::ops::tensor
