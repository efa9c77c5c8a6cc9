#pragma once
// Building an engine for one backend test when some graph inputs decide
// shapes (Reshape's shape, Resize's scales, ...): the builder names them in
// BuildTimeInputsError::inputs(); their test values go into
// BuildOptions::constant_inputs and the build is tried again, until it
// succeeds or an attempt fixes nothing new.
#include <map>
#include <set>
#include <string>
#include <utility>

#include "trtutils/builder/builder.hpp"
#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils::gpu_conformance {

template <typename Result>
struct FixedBuild {
  Result result;
  /// The inputs made build-time constants (names).
  std::set<std::string> fixed;
  /// Calls of the build function (1 when nothing had to be fixed).
  int attempts = 0;
};

/// Calls `build(constants)` with the values in `available` of the names in
/// `fixed` (names missing from `available` are ignored). On
/// BuildTimeInputsError, adds the error's inputs that `available` holds and
/// are not fixed yet, and builds again; when none is new, the error is
/// rethrown (as is every other exception).
template <typename Build>
auto build_fixing_inputs(const std::map<std::string, HostTensor>& available,
                         std::set<std::string> fixed, Build&& build)
    -> FixedBuild<decltype(build(std::declval<const std::map<std::string, HostTensor>&>()))> {
  using Result = decltype(build(std::declval<const std::map<std::string, HostTensor>&>()));
  int attempts = 0;
  for (;;) {
    std::map<std::string, HostTensor> constants;
    for (const std::string& name : fixed) {
      const auto it = available.find(name);
      if (it != available.end()) constants.emplace(name, it->second);
    }
    ++attempts;
    try {
      Result result = build(constants);
      return {std::move(result), std::move(fixed), attempts};
    } catch (const builder::BuildTimeInputsError& e) {
      bool progress = false;
      for (const std::string& name : e.inputs()) {
        if (available.count(name) != 0 && fixed.insert(name).second) progress = true;
      }
      if (!progress) throw;
    }
  }
}

/// True when `inputs` holds every tensor of `constants` with the same dtype,
/// shape and bytes (an engine built with `constants` fits these inputs).
bool same_constant_values(const std::map<std::string, HostTensor>& constants,
                          const std::map<std::string, HostTensor>& inputs);

/// The tensors of `inputs` named in `names` (those it has).
std::map<std::string, HostTensor> select_inputs(const std::map<std::string, HostTensor>& inputs,
                                                const std::set<std::string>& names);

}  // namespace trtutils::gpu_conformance
