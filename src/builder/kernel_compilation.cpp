#include "builder/kernel_compilation.hpp"

#include <map>
#include <utility>

#include "trtutils/core/kernel_cache.hpp"
#include "trtutils/plan/layer_kinds.hpp"

namespace trtutils::builder {

namespace lk = plan::layer_kinds;

void compile_kernels(plan::Plan& plan, const std::string& arch,
                     const std::filesystem::path& cache_dir,
                     const std::function<void(std::size_t, std::size_t)>& progress) {
  core::KernelCache owned_cache(core::KernelCacheConfig{cache_dir, true});
  core::KernelCache& cache = cache_dir.empty() ? core::KernelCache::process_default() : owned_cache;
  std::map<std::pair<std::string, std::string>, std::vector<std::byte>> compiled;
  std::size_t total = 0;
  for (const plan::LayerDesc& layer : plan.layers) total += layer.kernel == lk::kNvrtcKernel;
  std::size_t done = 0;
  for (plan::LayerDesc& layer : plan.layers) {
    if (layer.kernel != lk::kNvrtcKernel) continue;
    const std::string& source = layer.params.get_string(lk::nvrtc::kSource);
    const std::string& entry = layer.params.get_string(lk::nvrtc::kEntry);
    auto key = std::make_pair(source, entry);
    auto it = compiled.find(key);
    if (it == compiled.end()) {
      core::CompiledKernel kernel;
      try {
        kernel = cache.compile(core::CodeKind::cubin, source, entry, {}, arch);
      } catch (const NvrtcError& e) {
        throw NvrtcError(e.call(), e.error_name(),
                         detail::concat("layer '", layer.name, "' (kernel ", entry, "): ", e.log(),
                                        "\n--- source ---\n", source),
                         __FILE__, __LINE__);
      }
      const auto* bytes = reinterpret_cast<const std::byte*>(kernel.code.data());
      it = compiled.emplace(std::move(key), std::vector<std::byte>(bytes, bytes + kernel.code.size()))
               .first;
    }
    layer.params.set(lk::nvrtc::kCubin, it->second);
    if (progress) progress(++done, total);
  }
}

}  // namespace trtutils::builder
