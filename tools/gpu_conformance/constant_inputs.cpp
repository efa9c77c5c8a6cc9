#include "constant_inputs.hpp"

#include <cstring>

namespace trtutils::gpu_conformance {

bool same_constant_values(const std::map<std::string, HostTensor>& constants,
                          const std::map<std::string, HostTensor>& inputs) {
  for (const auto& [name, tensor] : constants) {
    const auto it = inputs.find(name);
    if (it == inputs.end()) return false;
    const HostTensor& other = it->second;
    if (other.dtype() != tensor.dtype() || other.shape() != tensor.shape()) return false;
    if (tensor.byte_size() != 0 &&
        std::memcmp(other.data(), tensor.data(), tensor.byte_size()) != 0) {
      return false;
    }
  }
  return true;
}

std::map<std::string, HostTensor> select_inputs(const std::map<std::string, HostTensor>& inputs,
                                                const std::set<std::string>& names) {
  std::map<std::string, HostTensor> selected;
  for (const std::string& name : names) {
    const auto it = inputs.find(name);
    if (it != inputs.end()) selected.emplace(name, it->second);
  }
  return selected;
}

}  // namespace trtutils::gpu_conformance
