#pragma once
// Compiles every nvrtc.kernel layer's source to a cubin for the target arch
// (through the disk-backed core::KernelCache) and stores it in the layer's
// "cubin" parameter. Needs NVRTC, not a GPU.
#include <filesystem>
#include <functional>
#include <string>

#include "trtutils/plan/plan.hpp"

namespace trtutils::builder {

/// `progress(done, total)` after each distinct source. A compile error is an
/// NvrtcError naming the layer, with NVRTC's log and the source.
void compile_kernels(plan::Plan& plan, const std::string& arch,
                     const std::filesystem::path& cache_dir,
                     const std::function<void(std::size_t, std::size_t)>& progress = {});

}  // namespace trtutils::builder
