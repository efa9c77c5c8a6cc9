#include "trtutils/image/classification.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>

#include "trtutils/core/error.hpp"
#include "trtutils/image/detection.hpp"

namespace trtutils::image {

std::vector<float> softmax(std::span<const float> logits) {
  TRTUTILS_CHECK(!logits.empty(), "softmax of an empty row");
  float mx = logits[0];
  for (const float v : logits) mx = v > mx ? v : mx;
  std::vector<float> out(logits.size());
  float sum = 0.0f;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    out[i] = std::exp(logits[i] - mx);
    sum += out[i];
  }
  for (float& v : out) v /= sum;
  return out;
}

std::vector<std::vector<Classification>> classify(std::span<const float> values, int batch,
                                                  int classes, int top_k, bool apply_softmax) {
  TRTUTILS_CHECK(batch > 0 && classes > 0 && top_k > 0,
                 "classify needs a positive batch, class "
                 "count and top_k, got ",
                 batch, ", ", classes, ", ", top_k);
  const auto c = static_cast<std::size_t>(classes);
  TRTUTILS_CHECK(values.size() == static_cast<std::size_t>(batch) * c, "[", batch, ", ", classes,
                 "] scores have ", static_cast<std::size_t>(batch) * c, " values, got ",
                 values.size());
  std::vector<std::vector<Classification>> out(static_cast<std::size_t>(batch));
  for (std::size_t b = 0; b < out.size(); ++b) {
    const auto row = values.subspan(b * c, c);
    const std::vector<float> p =
        apply_softmax ? softmax(row) : std::vector<float>(row.begin(), row.end());
    std::vector<std::uint64_t> keys(c);
    for (std::size_t i = 0; i < c; ++i)
      keys[i] = candidate_key(p[i], static_cast<std::uint32_t>(i));
    const std::size_t k = std::min(c, static_cast<std::size_t>(top_k));
    std::partial_sort(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(k), keys.end(),
                      std::greater<>());
    for (std::size_t i = 0; i < k; ++i) {
      const auto id = static_cast<std::size_t>(0xFFFFFFFFu - static_cast<std::uint32_t>(keys[i]));
      out[b].push_back({static_cast<int>(id), p[id]});
    }
  }
  return out;
}

}  // namespace trtutils::image
