#pragma once
// Encoding and decoding of the plan file's sections (HEAD, IOSP, TNSR, LAYR);
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

/// format_version is not part of HEAD; the caller fills it from the prelude.
PlanHeader read_head_section(ByteReader& in);
std::vector<TensorSpec> read_io_section(ByteReader& in);
/// Fills plan.arena_bytes, plan.workspace_bytes and plan.tensors.
void read_tensor_section(ByteReader& in, Plan& plan);
std::vector<LayerDesc> read_layer_section(ByteReader& in);

}  // namespace trtutils::plan
