#include "trtutils/builder/timing_cache.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "trtutils/core/error.hpp"
#include "trtutils/core/kernel_cache.hpp"

namespace trtutils::builder {

namespace {
constexpr const char* kMagic = "trtutils-timing-cache 1";

std::string param_text(const plan::LayerParam& value) {
  std::ostringstream out;
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::vector<std::byte>>) {
          for (const std::byte b : v) out << static_cast<int>(b) << ',';
        } else if constexpr (std::is_same_v<T, std::vector<std::int64_t>> ||
                             std::is_same_v<T, std::vector<double>>) {
          out.precision(17);
          for (const auto x : v) out << x << ',';
        } else {
          out.precision(17);
          out << v;
        }
      },
      value);
  return out.str();
}

}  // namespace

bool TimingCache::load(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  if (!std::getline(in, line) || line != kMagic) return false;
  std::map<std::uint64_t, std::vector<std::int64_t>> read;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key_text;
    if (!(fields >> key_text) || key_text.size() != 16) return false;
    std::uint64_t key = 0;
    try {
      key = std::stoull(key_text, nullptr, 16);
    } catch (const std::exception&) {
      return false;
    }
    std::vector<std::int64_t> values;
    std::int64_t v = 0;
    while (fields >> v) values.push_back(v);
    if (!fields.eof()) return false;
    read[key] = std::move(values);
  }
  for (auto& [key, values] : read) entries_[key] = std::move(values);
  return true;
}

void TimingCache::save(const std::filesystem::path& path) const {
  std::ostringstream out;
  out << kMagic << '\n';
  for (const auto& [key, values] : entries_) {
    char hex[17];
    std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(key));
    out << hex;
    for (const std::int64_t v : values) out << ' ' << v;
    out << '\n';
  }
  const std::filesystem::path temporary = path.string() + ".tmp";
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    file << out.str();
    if (!file) throw FileError(detail::concat("cannot write timing cache ", temporary.string()));
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    throw FileError(detail::concat("cannot write timing cache ", path.string(), ": ",
                                   error.message()));
  }
}

std::optional<std::vector<std::int64_t>> TimingCache::find(std::uint64_t key) const {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void TimingCache::insert(std::uint64_t key, std::vector<std::int64_t> values) {
  entries_[key] = std::move(values);
}

std::uint64_t TimingCache::key_of(const plan::Plan& plan, const plan::LayerDesc& layer,
                                  const std::vector<std::string>& tuned, const std::string& arch) {
  std::string text = layer.kernel + "|" + arch + "|";
  for (const auto& [name, value] : layer.params.all()) {
    if (std::find(tuned.begin(), tuned.end(), name) != tuned.end()) continue;
    text += name + "=" + param_text(value) + ";";
  }
  for (const plan::TensorId id : layer.inputs) {
    text += id == plan::kAbsentTensor ? std::string("-") : std::string(dtype_name(plan.tensor(id).dtype));
    text += ",";
  }
  for (const plan::TensorId id : layer.outputs) text += std::string(dtype_name(plan.tensor(id).dtype)) + ",";
  return core::fnv1a64(text);
}

}  // namespace trtutils::builder
