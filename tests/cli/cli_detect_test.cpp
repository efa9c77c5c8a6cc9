// `trtutils detect`: help, usage errors (exit 2), unreadable images (exit 1
// naming the file, before any GPU work), the refusal without a GPU; with one
// (scripts/gpu-check.sh), a generated model whose output is a known YOLO head
// run end to end and checked against the CPU pipeline
// (preprocess_reference -> the model's arithmetic -> yolo_reference -> to_image).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli_runner.hpp"
#include "gpu_test_support.hpp"
#include "trtutils/image/detection.hpp"
#include "trtutils/image/preprocess.hpp"
#include "trtutils/image_io/image_file.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using trtutils::image::Detection;
using trtutils::image::PixelFormat;
using trtutils::image_io::ImageBuffer;
using trtutils::testing::onnx_node_model;
using trtutils::testing::run_cli;
using trtutils::testing::TempDir;

bool has_gpu() { return trtutils::testing::gpu_unavailable_reason().empty(); }

/// An image of `background` with filled rectangles {x0, y0, x1, y1, r, g, b}.
ImageBuffer painted(int width, int height, std::array<std::uint8_t, 3> background,
                    const std::vector<std::array<int, 7>>& rects = {}) {
  ImageBuffer image(width, height, PixelFormat::kRGB8);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      std::array<std::uint8_t, 3> c = background;
      for (const auto& r : rects) {
        if (x >= r[0] && x < r[2] && y >= r[1] && y < r[3]) {
          c = {static_cast<std::uint8_t>(r[4]), static_cast<std::uint8_t>(r[5]),
               static_cast<std::uint8_t>(r[6])};
        }
      }
      std::copy(c.begin(), c.end(), image.pixel(x, y));
    }
  }
  return image;
}

fs::path write_png(const TempDir& dir, const std::string& name, const ImageBuffer& image) {
  const fs::path path = dir / name;
  trtutils::image_io::save_image(image.view(), path);
  return path;
}

/// Any existing file passes the MODEL check; images are checked before the model is read.
std::string some_model() { return onnx_node_model("test_relu").string(); }

TEST(CliDetect, HelpNamesEveryFlag) {
  const auto r = run_cli({"detect", "--help"});
  ASSERT_EQ(r.status, 0) << TRTUTILS_CLI_DUMP(r);
  for (const char* flag : {"MODEL", "IMAGE", "--output-dir", "--conf", "--iou", "--agnostic",
                           "--max-det", "--head", "--labels", "--batch", "--cuda-graph", "--device",
                           "--json", "--fp16", "--bf16", "--quality"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag << "\n" << r.out;
  }
  const auto top = run_cli({"--help"});
  EXPECT_NE(top.out.find("detect"), std::string::npos) << top.out;
}

TEST(CliDetect, UsageErrorsExitTwo) {
  TempDir dir;
  const std::string image = write_png(dir, "a.png", painted(8, 8, {0, 0, 0})).string();
  const std::vector<std::vector<std::string>> commands = {
      {"detect"},
      {"detect", some_model()},                              // no image
      {"detect", (dir / "missing.engine").string(), image},  // no model
      {"detect", some_model(), image, "--conf", "1.5"},
      {"detect", some_model(), image, "--iou", "-0.1"},
      {"detect", some_model(), image, "--max-det", "0"},
      {"detect", some_model(), image, "--batch", "0"},
      {"detect", some_model(), image, "--head", "ssd"},
      {"detect", some_model(), image, "--labels", (dir / "none.txt").string()},
      {"detect", some_model(), image, "--fp16", "--bf16"},
      {"detect", some_model(), image, "--frobnicate"},
      // Writing into the image's own folder would overwrite it.
      {"detect", some_model(), image, "-o", dir.path().string()},
  };
  for (const auto& command : commands) {
    const auto r = run_cli(command);
    std::string joined;
    for (const auto& arg : command) joined += arg + " ";
    EXPECT_EQ(r.status, 2) << joined << "\n" << TRTUTILS_CLI_DUMP(r);
    EXPECT_FALSE(r.err.empty()) << joined;
    EXPECT_EQ(r.out, "") << joined;
  }
  EXPECT_TRUE(fs::exists(image));
}

TEST(CliDetect, EmptyLabelsFileIsAUsageError) {
  TempDir dir;
  const std::string image = write_png(dir, "a.png", painted(8, 8, {0, 0, 0})).string();
  std::ofstream(dir / "labels.txt").close();
  const auto r =
      run_cli({"detect", some_model(), image, "--labels", (dir / "labels.txt").string()});
  EXPECT_EQ(r.status, 2) << TRTUTILS_CLI_DUMP(r);
  EXPECT_NE(r.err.find("labels.txt"), std::string::npos) << r.err;
}

TEST(CliDetect, MissingImageExitsOneNamingIt) {
  TempDir dir;
  const std::string good = write_png(dir, "good.png", painted(8, 8, {1, 2, 3})).string();
  const std::string missing = (dir / "no_such_photo.jpg").string();
  for (const bool as_json : {false, true}) {
    std::vector<std::string> command = {"detect", some_model(), good, missing};
    if (as_json) command.push_back("--json");
    const auto r = run_cli(command);
    EXPECT_EQ(r.status, 1) << TRTUTILS_CLI_DUMP(r);
    EXPECT_NE(r.err.find(missing), std::string::npos) << TRTUTILS_CLI_DUMP(r);
    EXPECT_NE(r.err.find("no such file"), std::string::npos) << TRTUTILS_CLI_DUMP(r);
    EXPECT_EQ(r.out, "");
  }
}

TEST(CliDetect, CorruptImageExitsOneWithStbReason) {
  TempDir dir;
  const fs::path corrupt = dir / "corrupt.png";
  std::ofstream(corrupt) << "this is not a PNG file at all";
  const auto r = run_cli({"detect", some_model(), corrupt.string(), "-o", (dir / "out").string()});
  EXPECT_EQ(r.status, 1) << TRTUTILS_CLI_DUMP(r);
  EXPECT_NE(r.err.find(corrupt.string()), std::string::npos) << TRTUTILS_CLI_DUMP(r);
  EXPECT_NE(r.err.find("unknown image type"), std::string::npos) << TRTUTILS_CLI_DUMP(r);
  EXPECT_FALSE(fs::exists(dir / "out")) << "nothing is written when an input is unreadable";
}

TEST(CliDetectNoGpu, ReadableImagesThenRefusesWithoutAGpu) {
  if (has_gpu()) GTEST_SKIP() << "a GPU is visible: this checks the refusal without one";
  TempDir dir;
  const std::string image = write_png(dir, "a.png", painted(8, 8, {0, 0, 0})).string();
  const auto r = run_cli({"detect", some_model(), image, "--json", "-o", (dir / "out").string()});
  EXPECT_EQ(r.status, 1) << TRTUTILS_CLI_DUMP(r);
  EXPECT_NE(r.err.find("no CUDA device is visible"), std::string::npos) << TRTUTILS_CLI_DUMP(r);
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(fs::exists(dir / "out"));
}

// --- GPU: a model with a known YOLO head -----------------------------------

constexpr int kBatch = 2;
constexpr int kSide = 64;                            // model input 64 x 64
constexpr int kRows = 6;                             // 4 box rows + 2 classes
constexpr int kAnchors = 3 * kSide * kSide / kRows;  // 2048
// head = reshape(x, [B, 6, 2048]) * kScale[row] + kOffset[row]. Powers of two
// keep x * scale exact, so the GPU (fused or not) and the CPU agree exactly.
constexpr float kScale[kRows] = {64, 64, 32, 32, 1, 1};
constexpr float kOffset[kRows] = {0, 0, 8, 8, 0, 0};

void add_tensor(onnx::GraphProto* graph, const std::string& name,
                const std::vector<std::int64_t>& dims, onnx::TensorProto::DataType type,
                const std::string& raw) {
  onnx::TensorProto* t = graph->add_initializer();
  t->set_name(name);
  t->set_data_type(type);
  for (const std::int64_t d : dims) t->add_dims(d);
  t->set_raw_data(raw);
}

void add_value(onnx::ValueInfoProto* value, const std::string& name,
               const std::vector<std::int64_t>& dims) {
  value->set_name(name);
  auto* type = value->mutable_type()->mutable_tensor_type();
  type->set_elem_type(onnx::TensorProto::FLOAT);
  for (const std::int64_t d : dims) type->mutable_shape()->add_dim()->set_dim_value(d);
}

template <typename T>
std::string raw_bytes(const std::vector<T>& values) {
  return {reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)};
}

/// images f32 [2, 3, 64, 64] -> output0 f32 [2, 6, 2048]: a YOLOv8-style head
/// (cx, cy, w, h, 2 class scores per anchor) read straight off the pixels.
void write_yolo_head_model(const fs::path& path) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("trtutils-cli-test");
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(14);
  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name("yolo_head");
  add_value(graph->add_input(), "images", {kBatch, 3, kSide, kSide});
  add_value(graph->add_output(), "output0", {kBatch, kRows, kAnchors});
  add_tensor(graph, "shape", {3}, onnx::TensorProto::INT64,
             raw_bytes(std::vector<std::int64_t>{kBatch, kRows, kAnchors}));
  add_tensor(graph, "scale", {1, kRows, 1}, onnx::TensorProto::FLOAT,
             raw_bytes(std::vector<float>(kScale, kScale + kRows)));
  add_tensor(graph, "offset", {1, kRows, 1}, onnx::TensorProto::FLOAT,
             raw_bytes(std::vector<float>(kOffset, kOffset + kRows)));
  const auto node = [&](const std::string& op, std::vector<std::string> in,
                        const std::string& out) {
    auto* n = graph->add_node();
    n->set_op_type(op);
    n->set_name(out);
    for (const auto& i : in) n->add_input(i);
    n->add_output(out);
  };
  node("Reshape", {"images", "shape"}, "flat");
  node("Mul", {"flat", "scale"}, "scaled");
  node("Add", {"scaled", "offset"}, "output0");
  std::ofstream out(path, std::ios::binary);
  out << model.SerializeAsString();
}

/// What `trtutils detect` should find, computed on the CPU.
std::vector<Detection> reference_detections(const ImageBuffer& image, float conf) {
  trtutils::image::PreprocessOptions options;  // the Detector's defaults: letterbox, RGB, /255
  options.output_width = kSide;
  options.output_height = kSide;
  std::vector<trtutils::image::ImageTransform> transforms;
  const trtutils::image::ImageView view = image.view();
  const trtutils::HostTensor x =
      trtutils::image::preprocess_reference(std::span(&view, 1), options, &transforms);
  const auto pixels = x.values<float>();
  std::vector<float> head(pixels.size());
  for (std::size_t i = 0; i < head.size(); ++i) {
    const std::size_t row = i / kAnchors;
    head[i] = pixels[i] * kScale[row] + kOffset[row];
  }
  trtutils::image::NmsOptions nms;
  nms.score_threshold = conf;
  std::vector<Detection> found = trtutils::image::yolo_reference(head, 1, kRows, kAnchors, nms)[0];
  trtutils::image::to_image(found, transforms[0]);
  return found;
}

void expect_same_detections(const json& reported, const std::vector<Detection>& expected,
                            const std::vector<std::string>& names, const std::string& what) {
  ASSERT_EQ(reported.size(), expected.size()) << what << "\n" << reported.dump(1);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const json& d = reported[i];
    const Detection& e = expected[i];
    EXPECT_EQ(d["class_id"].get<int>(), e.class_id) << what << " #" << i;
    EXPECT_EQ(d["label"].get<std::string>(), names[static_cast<std::size_t>(e.class_id)]);
    EXPECT_NEAR(d["score"].get<double>(), e.score, 1e-6) << what << " #" << i;
    const std::vector<double> box = d["box"].get<std::vector<double>>();
    ASSERT_EQ(box.size(), 4u);
    EXPECT_NEAR(box[0], e.x1, 1e-3) << what << " #" << i;
    EXPECT_NEAR(box[1], e.y1, 1e-3) << what << " #" << i;
    EXPECT_NEAR(box[2], e.x2, 1e-3) << what << " #" << i;
    EXPECT_NEAR(box[3], e.y2, 1e-3) << what << " #" << i;
  }
}

TEST(CliDetectGpu, KnownYoloHeadMatchesTheCpuPipeline) {
  TRTUTILS_REQUIRE_GPU();
  TempDir dir;
  const fs::path model = dir / "yolo_head.onnx";
  write_yolo_head_model(model);
  // Blue is a class score (top half of the input: class 0, bottom half:
  // class 1), red the centre, green the size; 114-grey letterbox borders
  // score 0.447, under --conf 0.5.
  const ImageBuffer wide = painted(
      128, 64, {20, 40, 0}, {{10, 4, 40, 28, 200, 100, 255}, {70, 36, 120, 60, 90, 160, 230}});
  const ImageBuffer tall = painted(50, 70, {0, 0, 10}, {{5, 5, 30, 25, 128, 64, 250}});
  const fs::path wide_path = write_png(dir, "wide.png", wide);
  const fs::path tall_path = write_png(dir, "tall.png", tall);
  const float conf = 0.5f;
  const std::vector<std::vector<Detection>> expected = {reference_detections(wide, conf),
                                                        reference_detections(tall, conf)};
  ASSERT_FALSE(expected[0].empty());
  ASSERT_FALSE(expected[1].empty());

  // Both images in one call.
  const auto r = run_cli({"detect", model.string(), wide_path.string(), tall_path.string(),
                          "--json", "--conf", "0.5", "--batch", "2"});
  ASSERT_EQ(r.status, 0) << TRTUTILS_CLI_DUMP(r);
  const json report = json::parse(r.out);
  EXPECT_EQ(report["model"], model.string());
  EXPECT_EQ(report["head"], "yolo_raw");
  EXPECT_EQ(report["input"]["width"], kSide);
  EXPECT_EQ(report["input"]["height"], kSide);
  ASSERT_EQ(report["images"].size(), 2u);
  const std::vector<std::string> coco = {"person", "bicycle"};
  const std::vector<std::pair<fs::path, const ImageBuffer*>> inputs = {{wide_path, &wide},
                                                                       {tall_path, &tall}};
  for (std::size_t i = 0; i < 2; ++i) {
    const json& image = report["images"][i];
    EXPECT_EQ(image["path"], inputs[i].first.string());
    EXPECT_EQ(image["width"], inputs[i].second->width());
    EXPECT_EQ(image["height"], inputs[i].second->height());
    EXPECT_TRUE(image["output"].is_null());
    for (const char* stage : {"preprocess", "inference", "postprocess", "total"}) {
      EXPECT_GE(image["timing_ms"][stage].get<double>(), 0.0) << stage;
    }
    EXPECT_GT(image["timing_ms"]["total"].get<double>(), 0.0);
    expect_same_detections(image["detections"], expected[i], coco,
                           "batch 2, image " + std::to_string(i));
  }

  // One image per call, own labels, boxes drawn into a new folder.
  std::ofstream(dir / "labels.txt") << "alpha\r\nbeta\n";
  const fs::path out = dir / "drawn";
  const auto drawn =
      run_cli({"detect", model.string(), wide_path.string(), tall_path.string(), "--json", "--conf",
               "0.5", "--labels", (dir / "labels.txt").string(), "-o", out.string()});
  ASSERT_EQ(drawn.status, 0) << TRTUTILS_CLI_DUMP(drawn);
  const json second = json::parse(drawn.out);
  for (std::size_t i = 0; i < 2; ++i) {
    const json& image = second["images"][i];
    expect_same_detections(image["detections"], expected[i], {"alpha", "beta"},
                           "batch 1, image " + std::to_string(i));
    const fs::path written = out / inputs[i].first.filename();
    EXPECT_EQ(image["output"], written.string());
    const ImageBuffer loaded = trtutils::image_io::load_image(written);
    EXPECT_EQ(loaded.width(), inputs[i].second->width());
    EXPECT_EQ(loaded.height(), inputs[i].second->height());
    EXPECT_NE(std::vector<std::uint8_t>(loaded.data(), loaded.data() + loaded.size_bytes()),
              std::vector<std::uint8_t>(inputs[i].second->data(),
                                        inputs[i].second->data() + inputs[i].second->size_bytes()))
        << "boxes drawn on " << written;
  }

  // The table: one row per image with its count.
  const auto table = run_cli({"detect", model.string(), wide_path.string(), "--conf", "0.5", "-q"});
  ASSERT_EQ(table.status, 0) << TRTUTILS_CLI_DUMP(table);
  EXPECT_NE(table.out.find("yolo_raw head, input 64x64"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(wide_path.string()), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("128x64"), std::string::npos) << table.out;
}

}  // namespace
