#pragma once
// The schemas of the nn family, one function per op file; register.cpp adds them.
#include "trtutils/ops/op_schema.hpp"

namespace trtutils::ops::nn {

OpSchema conv_schema();                    // conv.cpp
OpSchema conv_transpose_schema();          // conv_transpose.cpp
OpSchema max_pool_schema();                // pool.cpp
OpSchema average_pool_schema();            // pool.cpp
OpSchema global_average_pool_schema();     // global_pool.cpp
OpSchema global_max_pool_schema();         // global_pool.cpp
OpSchema batch_normalization_schema();     // batch_normalization.cpp
OpSchema instance_normalization_schema();  // instance_normalization.cpp
OpSchema layer_normalization_schema();     // layer_normalization.cpp
OpSchema softmax_schema();                 // softmax.cpp
OpSchema log_softmax_schema();             // softmax.cpp
OpSchema matmul_schema();                  // matmul.cpp
OpSchema gemm_schema();                    // gemm.cpp
OpSchema einsum_schema();                  // einsum.cpp

}  // namespace trtutils::ops::nn
