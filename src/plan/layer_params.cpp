#include "trtutils/plan/layer_params.hpp"

#include "trtutils/core/error.hpp"

namespace trtutils::plan {

std::string_view layer_param_type_name(const LayerParam& value) noexcept {
  constexpr std::string_view kNames[] = {"int", "double", "string", "ints", "doubles", "bytes"};
  return kNames[value.index()];
}

template <typename T>
const T& LayerParams::get_as(const std::string& name) const {
  const auto found = values_.find(name);
  if (found == values_.end()) {
    throw ModelError(detail::concat("layer parameter '", name,
                                    "' is missing; the plan does not match this kernel: rebuild "
                                    "it with `trtutils build`"));
  }
  const T* value = std::get_if<T>(&found->second);
  if (value == nullptr) {
    throw ModelError(detail::concat(
        "layer parameter '", name, "' holds ", layer_param_type_name(found->second), ", not ",
        layer_param_type_name(LayerParam(T{})), "; rebuild the plan with `trtutils build`"));
  }
  return *value;
}

std::int64_t LayerParams::get_int(const std::string& name) const {
  return get_as<std::int64_t>(name);
}

std::int64_t LayerParams::get_int(const std::string& name, std::int64_t fallback) const {
  return has(name) ? get_as<std::int64_t>(name) : fallback;
}

double LayerParams::get_double(const std::string& name) const { return get_as<double>(name); }

const std::string& LayerParams::get_string(const std::string& name) const {
  return get_as<std::string>(name);
}

const std::vector<std::int64_t>& LayerParams::get_ints(const std::string& name) const {
  return get_as<std::vector<std::int64_t>>(name);
}

const std::vector<double>& LayerParams::get_doubles(const std::string& name) const {
  return get_as<std::vector<double>>(name);
}

const std::vector<std::byte>& LayerParams::get_bytes(const std::string& name) const {
  return get_as<std::vector<std::byte>>(name);
}

}  // namespace trtutils::plan
