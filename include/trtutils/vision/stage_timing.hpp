#pragma once
// Where the time of one Detector / Classifier call went.

namespace trtutils::vision {

/// preprocess / inference / postprocess: GPU time of each stage, measured
/// with CUDA events on the engine's stream and summed over the call's chunks
/// (postprocess includes the copy of the results to the host; the CPU
/// decoding after the synchronisation is in total only). total: host wall
/// time of the whole call.
struct StageTiming {
  double preprocess_ms = 0;
  double inference_ms = 0;
  double postprocess_ms = 0;
  double total_ms = 0;
};

}  // namespace trtutils::vision
