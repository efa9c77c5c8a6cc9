#pragma once
// Classification post-processing: softmax and top-k over [B, C] logits (CPU).
#include <span>
#include <vector>

namespace trtutils::image {

struct Classification {
  int class_id = 0;
  float probability = 0.0f;
  friend bool operator==(const Classification&, const Classification&) = default;
};

/// Softmax of one row in float: p_i = exp(x_i - max) / sum_j exp(x_j - max)
/// (the sum accumulated in index order).
std::vector<float> softmax(std::span<const float> logits);

/// Per image of [batch, classes] values: the top_k classes by probability
/// (descending; ties by lower class id). With apply_softmax false the values
/// are taken as probabilities already.
std::vector<std::vector<Classification>> classify(std::span<const float> values, int batch,
                                                  int classes, int top_k,
                                                  bool apply_softmax = true);

}  // namespace trtutils::image
