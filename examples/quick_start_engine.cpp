// README quick start, the engine: build an ONNX model into an fp16 engine,
// save it, load it with TRTEngine and run it. Compiled in CI so the README
// stays true; needs a GPU to run.
//   quick_start_engine MODEL.onnx INPUT.npy
#include <trtutils/builder/builder.hpp>
#include <trtutils/core/device.hpp>
#include <trtutils/plan/plan_writer.hpp>
#include <trtutils/runtime/trt_engine.hpp>
#include <trtutils/tensor/npy.hpp>

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s MODEL.onnx INPUT.npy\n", argv[0]);
    return 2;
  }
  if (trtutils::core::device_count() == 0) {
    std::puts("quick_start_engine: no CUDA device; building needs one for autotuning");
    return 0;
  }
  try {
    trtutils::builder::BuildOptions options;
    options.precision = trtutils::plan::Precision::kFloat16;
    trtutils::plan::write_plan("model.engine", trtutils::builder::build(argv[1], options));

    trtutils::runtime::TRTEngine engine("model.engine");      // load, warm up
    std::vector<trtutils::HostTensor> outputs = engine.execute({trtutils::read_npy(argv[2])});
    std::printf("quick_start_engine: %zu output(s), first has %lld values\n", outputs.size(),
                static_cast<long long>(outputs.at(0).element_count()));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
