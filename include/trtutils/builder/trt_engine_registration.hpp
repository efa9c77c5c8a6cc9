#pragma once
// Lets runtime::TRTEngine open ".onnx" files: the runtime never links the
// builder, so the builder installs itself with TRTEngine::set_onnx_builder.
//
//   trtutils::builder::register_with_trt_engine();
//   trtutils::runtime::TRTEngine engine("model.onnx", {.build_options = {{"precision", "fp16"}}});
#include <map>
#include <string>

#include "trtutils/builder/build_options.hpp"

namespace trtutils::builder {

/// TRTEngineOptions::build_options text -> BuildOptions. Keys:
/// "precision" (fp32 / fp16 / bf16), "max_workspace_bytes" (integer),
/// "target_arch" ("sm_90"; empty = this GPU), "autotune" and "fuse"
/// (1/0/true/false/on/off), "batch" ("8" or "min/opt/max"), "timing_cache"
/// and "kernel_cache_dir" (paths). InvalidArgument naming an unknown key or a
/// bad value.
BuildOptions build_options_from_strings(const std::map<std::string, std::string>& options);

/// Installs `build(path, build_options_from_strings(options))` as
/// TRTEngine's ONNX builder (process-wide; calling again is harmless).
void register_with_trt_engine();

}  // namespace trtutils::builder
