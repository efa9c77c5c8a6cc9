#pragma once
// Encoding and decoding of the plan file's sections (HEAD, IOSP, TNSR, LAYR, BTCH);
// the framing around them (prelude, section table, checksum, weights) is in
// plan_writer.cpp / plan_reader.cpp. Field order: docs/parts/plan-format.md.
#include "plan/byte_reader.hpp"
#include "plan/byte_writer.hpp"
#include "trtutils/plan/plan.hpp"

namespace trtutils::plan {

void write_head_section(ByteWriter& out, const PlanHeader& header);
void write_io_section(ByteWriter& out, const std::vector<TensorSpec>& io);
void write_tensor_section(ByteWriter& out, const Plan& plan);
void write_layer_section(ByteWriter& out, const std::vector<LayerDesc>& layers);
/// The batch range and the other buckets (a flag byte 0 for a static plan).
void write_batch_section(ByteWriter& out, const Plan& plan);

/// format_version is not part of HEAD; the caller fills it from the prelude.
PlanHeader read_head_section(ByteReader& in);
std::vector<TensorSpec> read_io_section(ByteReader& in);
/// Fills plan.arena_bytes, plan.workspace_bytes and plan.tensors.
void read_tensor_section(ByteReader& in, Plan& plan);
std::vector<LayerDesc> read_layer_section(ByteReader& in);
/// Fills plan.batch_range and plan.batch_buckets.
void read_batch_section(ByteReader& in, Plan& plan);

}  // namespace trtutils::plan
