#include "ops/families.hpp"
#include "ops/generator/generator.hpp"

namespace trtutils::ops {

void register_generator_ops(OpRegistry& registry) {
  generator::register_constant(registry);
  generator::register_shape(registry);
  generator::register_range(registry);
  generator::register_identity_dropout(registry);
}

}  // namespace trtutils::ops
