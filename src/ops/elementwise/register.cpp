#include "ops/elementwise/elementwise.hpp"
#include "ops/families.hpp"

namespace trtutils::ops {

void register_elementwise_ops(OpRegistry& registry) {
  elementwise::register_unary_math(registry);
  elementwise::register_activations(registry);
  elementwise::register_binary_arithmetic(registry);
  elementwise::register_comparison_logic(registry);
  elementwise::register_variadic(registry);
  elementwise::register_clip(registry);
  elementwise::register_cast(registry);
  elementwise::register_where(registry);
}

}  // namespace trtutils::ops
