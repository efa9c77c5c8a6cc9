#pragma once
// The schemas of the detection family (selection, ordering and masking ops
// that detection heads lean on), one function per op; register.cpp adds them.
#include "trtutils/ops/op_schema.hpp"

namespace trtutils::ops::detection {

OpSchema non_max_suppression_schema();  // non_max_suppression.cpp
OpSchema top_k_schema();                // top_k.cpp
OpSchema non_zero_schema();             // non_zero.cpp
OpSchema cum_sum_schema();              // cum_sum.cpp
OpSchema trilu_schema();                // trilu.cpp

}  // namespace trtutils::ops::detection
