// README quick start, the detector: a YOLO-style model (.engine, or .onnx
// built on the spot) on one image file, boxes printed in image pixels with
// the time of each stage. Compiled in CI so the README stays true; needs a
// GPU to run.
//   quick_start_detector MODEL.onnx|MODEL.engine IMAGE
#include <cstdio>
#include <exception>
#include <trtutils/builder/trt_engine_registration.hpp>
#include <trtutils/core/device.hpp>
#include <trtutils/image_io/image_file.hpp>
#include <trtutils/vision/detector.hpp>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s MODEL.onnx|MODEL.engine IMAGE\n", argv[0]);
    return 2;
  }
  if (trtutils::core::device_count() == 0) {
    std::puts("quick_start_detector: no CUDA device");
    return 0;
  }
  try {
    trtutils::builder::register_with_trt_engine();  // lets Detector open .onnx files
    trtutils::vision::Detector detector(argv[1], {.nms = {.score_threshold = 0.3f}});
    const trtutils::image_io::ImageBuffer photo = trtutils::image_io::load_image(argv[2]);
    for (const trtutils::image::Detection& d : detector.detect(photo.view())) {
      std::printf("class %d  %.2f  [%.0f %.0f %.0f %.0f]\n", d.class_id, d.score, d.x1, d.y1, d.x2,
                  d.y2);
    }
    const trtutils::vision::StageTiming& t = detector.last_timing();
    std::printf("pre %.2f ms, infer %.2f ms, post %.2f ms, total %.2f ms\n", t.preprocess_ms,
                t.inference_ms, t.postprocess_ms, t.total_ms);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
