#pragma once
// The schemas of the image family (spatial resampling and layout ops), one
// function per op; register.cpp adds them.
#include "trtutils/ops/op_schema.hpp"

namespace trtutils::ops::image {

OpSchema resize_schema();          // resize.cpp
OpSchema upsample_schema();        // resize.cpp
OpSchema grid_sample_schema();     // grid_sample.cpp
OpSchema pad_schema();             // pad.cpp
OpSchema depth_to_space_schema();  // depth_space.cpp
OpSchema space_to_depth_schema();  // depth_space.cpp

}  // namespace trtutils::ops::image
