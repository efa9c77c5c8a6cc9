#pragma once
// The 80 class names of the COCO detection benchmark, in the order the
// YOLO family (and most COCO-trained detectors) number them: `trtutils
// detect`'s labels unless --labels names others.
#include <string>
#include <vector>

namespace trtutils::cli {

const std::vector<std::string>& coco_labels();

}  // namespace trtutils::cli
