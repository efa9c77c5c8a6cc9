#include "trtutils/ir/attribute.hpp"

namespace trtutils::ir {

template <typename T>
const T* Attributes::find_as(const std::string& name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return nullptr;
  const T* value = std::get_if<T>(&it->second);
  if (value == nullptr) {
    throw ModelError(detail::concat("attribute '", name, "' has an unexpected type"));
  }
  return value;
}

namespace {
[[noreturn]] void missing(const std::string& name) {
  throw ModelError(detail::concat("required attribute '", name, "' is missing"));
}
}  // namespace

std::int64_t Attributes::get_int(const std::string& name, std::int64_t fallback) const {
  const auto* v = find_as<std::int64_t>(name);
  return v ? *v : fallback;
}
std::int64_t Attributes::get_int(const std::string& name) const {
  const auto* v = find_as<std::int64_t>(name);
  if (!v) missing(name);
  return *v;
}
float Attributes::get_float(const std::string& name, float fallback) const {
  const auto* v = find_as<float>(name);
  return v ? *v : fallback;
}
float Attributes::get_float(const std::string& name) const {
  const auto* v = find_as<float>(name);
  if (!v) missing(name);
  return *v;
}
std::string Attributes::get_string(const std::string& name, const std::string& fallback) const {
  const auto* v = find_as<std::string>(name);
  return v ? *v : fallback;
}
std::string Attributes::get_string(const std::string& name) const {
  const auto* v = find_as<std::string>(name);
  if (!v) missing(name);
  return *v;
}
std::vector<std::int64_t> Attributes::get_ints(const std::string& name,
                                               const std::vector<std::int64_t>& fallback) const {
  const auto* v = find_as<std::vector<std::int64_t>>(name);
  return v ? *v : fallback;
}
std::vector<std::int64_t> Attributes::get_ints(const std::string& name) const {
  const auto* v = find_as<std::vector<std::int64_t>>(name);
  if (!v) missing(name);
  return *v;
}
std::vector<float> Attributes::get_floats(const std::string& name,
                                          const std::vector<float>& fallback) const {
  const auto* v = find_as<std::vector<float>>(name);
  return v ? *v : fallback;
}
std::vector<float> Attributes::get_floats(const std::string& name) const {
  const auto* v = find_as<std::vector<float>>(name);
  if (!v) missing(name);
  return *v;
}
std::vector<std::string> Attributes::get_strings(const std::string& name) const {
  const auto* v = find_as<std::vector<std::string>>(name);
  if (!v) missing(name);
  return *v;
}
const HostTensor& Attributes::get_tensor(const std::string& name) const {
  const auto* v = find_as<HostTensor>(name);
  if (!v) missing(name);
  return *v;
}

}  // namespace trtutils::ir
