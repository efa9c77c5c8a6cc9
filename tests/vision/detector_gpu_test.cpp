// GPU: Detector and Classifier on small engines built here, whose outputs are
// exact functions of the pre-processed input (slices, reshapes, products by
// powers of two), so the whole pipeline can be checked against the CPU path:
// image::preprocess_reference -> the same function by hand -> the CPU decoder
// (yolo_reference, decode_end_to_end, decode_efficient_nms, decode_detr,
// classify) -> to_image. Every step on both sides is specified bit for bit,
// so results are compared exactly.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "gpu_test_support.hpp"
#include "trtutils/builder/builder.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/image/classification.hpp"
#include "trtutils/image/detection.hpp"
#include "trtutils/image/preprocess.hpp"
#include "trtutils/ops/reference_executor.hpp"
#include "trtutils/passes/passes.hpp"
#include "trtutils/plan/plan_writer.hpp"
#include "trtutils/tensor/host_tensor.hpp"
#include "trtutils/vision/classifier.hpp"
#include "trtutils/vision/detector.hpp"

namespace trtutils::vision {
namespace {

// --- models --------------------------------------------------------------------

/// A graph under construction, one helper per kind of node.
class GraphMaker {
 public:
  GraphMaker() { graph_.opset_imports[""] = 17; }

  ir::Value* input(const Shape& shape, DType dtype) {
    ir::Value* v = graph_.add_value("images");
    v->set_dtype(dtype);
    v->set_shape(ir::from_static(shape));
    graph_.inputs().push_back(v);
    dtype_ = dtype;
    return v;
  }
  ir::Value* constant(HostTensor t) {
    ir::Value* v = graph_.add_value("c" + std::to_string(counter_++));
    v->set_constant(std::move(t));
    return v;
  }
  ir::Value* ints(const std::vector<std::int64_t>& values) {
    HostTensor t({static_cast<std::int64_t>(values.size())}, DType::kInt64);
    std::copy(values.begin(), values.end(), t.values<std::int64_t>().begin());
    return constant(std::move(t));
  }
  /// A constant of the input's dtype.
  ir::Value* values(const Shape& shape, const std::vector<double>& data) {
    HostTensor t(shape, dtype_);
    for (std::size_t i = 0; i < data.size(); ++i) {
      set_element_from_double(t.view(), static_cast<std::int64_t>(i), data[i]);
    }
    return constant(std::move(t));
  }
  ir::Value* scalar(double value) { return values({}, {value}); }
  ir::Value* op(const std::string& type, std::vector<ir::Value*> inputs,
                ir::Attributes attributes = {}) {
    const std::string name = type + std::to_string(counter_++);
    ir::Value* out = graph_.add_value(name + "_out");
    graph_.add_node(type, name, std::move(inputs), {out}, std::move(attributes));
    return out;
  }
  ir::Value* slice(ir::Value* x, std::int64_t axis, std::int64_t start, std::int64_t end) {
    return op("Slice", {x, ints({start}), ints({end}), ints({axis})});
  }
  ir::Value* reshape(ir::Value* x, const std::vector<std::int64_t>& shape) {
    return op("Reshape", {x, ints(shape)});
  }
  ir::Value* concat(std::vector<ir::Value*> xs, std::int64_t axis) {
    ir::Attributes a;
    a.set("axis", axis);
    return op("Concat", std::move(xs), a);
  }
  ir::Value* cast_to_int32(ir::Value* x) {
    ir::Attributes a;
    a.set("to", std::int64_t{6});  // TensorProto.INT32
    return op("Cast", {x}, a);
  }
  void output(ir::Value* v) { graph_.outputs().push_back(v); }
  ir::Graph take() { return std::move(graph_); }

 private:
  ir::Graph graph_;
  DType dtype_ = DType::kFloat32;
  int counter_ = 0;
};

/// Builds for this GPU, or (tests on the CPU) for `target_arch`.
plan::Plan build_plan(ir::Graph graph, const std::string& target_arch = {}) {
  builder::BuildOptions o;
  o.autotune = false;
  o.target_arch = target_arch;
  return builder::build(std::move(graph), o);
}

/// The graph's outputs computed by the CPU reference executor.
std::vector<HostTensor> run_reference(ir::Graph graph, const HostTensor& images) {
  passes::infer_shapes(graph);
  ops::TensorMap outputs = ops::ReferenceExecutor(graph).run({{"images", images}});
  std::vector<HostTensor> ordered;
  for (const ir::Value* v : graph.outputs()) ordered.push_back(outputs.at(v->name()));
  return ordered;
}

constexpr int kBatch = 2;
constexpr int kSize = 32;  // YOLO model input: 32 x 32, 1024 anchors
constexpr int kClasses = 2;

/// YOLO raw head [B, 4 + 2, H * W] from the pre-processed image x (channels
/// r, g, b): anchor (X, Y) has centre (X + 0.5, Y + 0.5), size
/// (8 b + 2, 4 g + 3), class scores (r, g).
ir::Graph yolo_model(image::TensorLayout layout, DType dtype) {
  GraphMaker m;
  ir::Value* x = layout == image::TensorLayout::kNCHW ? m.input({kBatch, 3, kSize, kSize}, dtype)
                                                      : m.input({kBatch, kSize, kSize, 3}, dtype);
  if (layout == image::TensorLayout::kNHWC) {
    ir::Attributes perm;
    perm.set("perm", std::vector<std::int64_t>{0, 3, 1, 2});
    x = m.op("Transpose", {x}, perm);
  }
  ir::Value* r = m.slice(x, 1, 0, 1);
  ir::Value* g = m.slice(x, 1, 1, 2);
  ir::Value* b = m.slice(x, 1, 2, 3);
  std::vector<double> grid_x, grid_y;
  for (int y = 0; y < kSize; ++y) {
    for (int xx = 0; xx < kSize; ++xx) {
      grid_x.push_back(xx + 0.5);
      grid_y.push_back(y + 0.5);
    }
  }
  ir::Value* zero = m.op("Mul", {b, m.scalar(0.0)});
  ir::Value* cx = m.op("Add", {zero, m.values({1, 1, kSize, kSize}, grid_x)});
  ir::Value* cy = m.op("Add", {zero, m.values({1, 1, kSize, kSize}, grid_y)});
  ir::Value* w = m.op("Add", {m.op("Mul", {b, m.scalar(8.0)}), m.scalar(2.0)});
  ir::Value* h = m.op("Add", {m.op("Mul", {g, m.scalar(4.0)}), m.scalar(3.0)});
  ir::Value* head = m.concat({cx, cy, w, h, r, g}, 1);
  m.output(m.reshape(head, {kBatch, 4 + kClasses, kSize * kSize}));
  return m.take();
}

runtime::TRTEngine yolo_engine(image::TensorLayout layout, DType dtype) {
  return runtime::TRTEngine(build_plan(yolo_model(layout, dtype)));
}

// --- images and the CPU path --------------------------------------------------

/// A w x h BGR8 image: pseudo-random pixels with a bright red and a bright
/// green block, rows `stride` bytes apart.
std::vector<std::uint8_t> make_pixels(int w, int h, std::size_t stride, std::uint32_t seed) {
  std::vector<std::uint8_t> p(stride * static_cast<std::size_t>(h), 0);
  std::uint32_t state = seed;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      std::uint8_t* px = p.data() + static_cast<std::size_t>(y) * stride + x * 3;
      for (int c = 0; c < 3; ++c) {
        state = state * 1664525u + 1013904223u;
        px[c] = static_cast<std::uint8_t>(state >> 25);  // 0..127: mostly below threshold
      }
      if (x > w / 4 && x < w / 2 && y > h / 4 && y < h / 2) px[2] = 250;  // red
      if (x > w / 2 && y > h / 2) px[1] = static_cast<std::uint8_t>(150 + (x + y) % 100);
    }
  }
  return p;
}

/// The view is made on each call, from this object's own pixels: a stored
/// view would go on pointing at the pixels of the object it was copied from
/// (a std::vector<TestImage>{...} copies its elements out of temporaries that
/// die at once, which sent freed memory to the GPU).
struct TestImage {
  std::vector<std::uint8_t> pixels;
  int width = 0;
  int height = 0;
  std::size_t stride = 0;

  image::ImageView view() const {
    const image::PixelFormat format = image::PixelFormat::kBGR8;
    return {pixels.data(), width, height, stride, format, image::MemoryKind::kHost};
  }
};

TestImage make_image(int w, int h, std::uint32_t seed, std::size_t extra_stride = 0) {
  TestImage t;
  const std::size_t stride = static_cast<std::size_t>(w) * 3 + extra_stride;
  t.pixels = make_pixels(w, h, stride, seed);
  t.width = w;
  t.height = h;
  t.stride = stride;
  return t;
}

std::vector<image::ImageView> views(const std::vector<TestImage>& images) {
  std::vector<image::ImageView> v;
  for (const TestImage& t : images) v.push_back(t.view());
  return v;
}

/// Every element as float (f16 values are exact in float).
std::vector<float> as_floats(const HostTensor& t) {
  std::vector<float> out(static_cast<std::size_t>(t.element_count()));
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<float>(element_as_double(t.view(), static_cast<std::int64_t>(i)));
  }
  return out;
}

/// Rounds to the model's dtype, as its output tensor stores the value.
float stored(float value, DType dtype) {
  if (dtype == DType::kFloat32) return value;
  HostTensor t({1}, DType::kFloat16);
  set_element_from_double(t.view(), 0, value);
  return static_cast<float>(element_as_double(t.view(), 0));
}

/// The pre-processed batch, as the engine gets it, and where each image went.
struct Preprocessed {
  HostTensor tensor;          // the engine's input
  std::vector<float> values;  // the same values in NCHW order
  std::vector<image::ImageTransform> transforms;
};

Preprocessed preprocess_on_cpu(std::span<const image::ImageView> images, const ModelInput& in,
                               const image::PreprocessOptions& user_options) {
  Preprocessed p;
  p.tensor =
      image::preprocess_reference(images, preprocess_options_for(in, user_options), &p.transforms);
  const std::vector<float> raw = as_floats(p.tensor);
  if (in.layout == image::TensorLayout::kNCHW) {
    p.values = raw;
    return p;
  }
  const std::size_t plane = static_cast<std::size_t>(in.height) * in.width;
  p.values.resize(raw.size());
  for (std::size_t b = 0; b < images.size(); ++b) {
    for (std::size_t i = 0; i < plane; ++i) {
      for (std::size_t c = 0; c < 3; ++c) {
        p.values[(b * 3 + c) * plane + i] = raw[(b * plane + i) * 3 + c];
      }
    }
  }
  return p;
}

Preprocessed preprocess_on_cpu(std::span<const image::ImageView> images, runtime::TRTEngine& engine,
                               const image::PreprocessOptions& user_options) {
  return preprocess_on_cpu(images, describe_input(engine.input_specs()), user_options);
}

/// yolo_model's head, [n, 6, 1024], written out.
std::vector<float> yolo_head_by_hand(const Preprocessed& p, std::size_t n, DType dtype) {
  const std::size_t plane = static_cast<std::size_t>(kSize) * kSize;
  std::vector<float> head(n * 6 * plane);
  for (std::size_t b = 0; b < n; ++b) {
    const float* x = p.values.data() + b * 3 * plane;
    float* o = head.data() + b * 6 * plane;
    for (std::size_t i = 0; i < plane; ++i) {
      const float r = x[i], g = x[plane + i], bl = x[2 * plane + i];
      o[i] = static_cast<float>(i % kSize) + 0.5f;
      o[plane + i] = static_cast<float>(i / kSize) + 0.5f;
      o[2 * plane + i] = stored(bl * 8.0f + 2.0f, dtype);
      o[3 * plane + i] = stored(g * 4.0f + 3.0f, dtype);
      o[4 * plane + i] = r;
      o[5 * plane + i] = g;
    }
  }
  return head;
}

std::vector<std::vector<image::Detection>> yolo_on_cpu(std::span<const image::ImageView> images,
                                                       runtime::TRTEngine& engine,
                                                       const DetectorOptions& options,
                                                       DType dtype) {
  const Preprocessed p = preprocess_on_cpu(images, engine, options.preprocess);
  const std::vector<float> head = yolo_head_by_hand(p, images.size(), dtype);
  auto out =
      image::yolo_reference(head, static_cast<int>(images.size()), 6, kSize * kSize, options.nms);
  for (std::size_t b = 0; b < out.size(); ++b) image::to_image(out[b], p.transforms[b]);
  return out;
}

// The models whose heads are decoded on the CPU read a 16 x 16 input
// flattened to [B, 768] values v.
constexpr int kSmall = 16;
constexpr std::size_t kPerImage = 3 * kSmall * kSmall;

ir::Value* flat_input(GraphMaker& m) {
  return m.reshape(m.input({kBatch, 3, kSmall, kSmall}, DType::kFloat32),
                   {kBatch, static_cast<std::int64_t>(kPerImage)});
}

/// End-to-end head [B, 128, 6]: rows of 16 v.
ir::Graph end_to_end_model() {
  GraphMaker m;
  ir::Value* rows = m.reshape(flat_input(m), {kBatch, 128, 6});
  m.output(m.op("Mul", {rows, m.scalar(16.0)}));
  return m.take();
}
std::vector<float> end_to_end_by_hand(const Preprocessed& p, std::size_t n) {
  std::vector<float> head(p.values.begin(),
                          p.values.begin() + static_cast<std::ptrdiff_t>(n * kPerImage));
  for (float& v : head) v *= 16.0f;
  return head;
}

/// DETR head, logits first: logits [B, 64, 8] = 8 v - 4 of v[256..767],
/// boxes [B, 64, 4] = v[0..255].
ir::Graph detr_model() {
  GraphMaker m;
  ir::Value* flat = flat_input(m);
  ir::Value* logits =
      m.op("Add", {m.op("Mul", {m.slice(flat, 1, 256, 768), m.scalar(8.0)}), m.scalar(-4.0)});
  m.output(m.reshape(logits, {kBatch, 64, 8}));
  m.output(m.reshape(m.slice(flat, 1, 0, 256), {kBatch, 64, 4}));
  return m.take();
}
struct DetrHead {
  std::vector<float> logits;
  std::vector<float> boxes;
};
DetrHead detr_by_hand(const Preprocessed& p, std::size_t n) {
  DetrHead h;
  for (std::size_t b = 0; b < n; ++b) {
    const float* x = p.values.data() + b * kPerImage;
    h.boxes.insert(h.boxes.end(), x, x + 256);
    for (std::size_t i = 256; i < kPerImage; ++i) h.logits.push_back(x[i] * 8.0f - 4.0f);
  }
  return h;
}

/// EfficientNMS outputs, in the order classes, boxes, num_dets, scores:
/// classes [B, 20] = int(8 v[101..120]), boxes [B, 20, 4] = 32 v[1..80],
/// num_dets [B, 1] = int(16 v[0]), scores [B, 20] = v[81..100].
ir::Graph efficient_nms_model() {
  GraphMaker m;
  ir::Value* flat = flat_input(m);
  const auto times = [&](ir::Value* v, double k) { return m.op("Mul", {v, m.scalar(k)}); };
  m.output(m.cast_to_int32(times(m.slice(flat, 1, 101, 121), 8.0)));
  m.output(m.reshape(times(m.slice(flat, 1, 1, 81), 32.0), {kBatch, 20, 4}));
  m.output(m.cast_to_int32(times(m.slice(flat, 1, 0, 1), 16.0)));
  m.output(m.slice(flat, 1, 81, 101));
  return m.take();
}
struct EfficientNmsHead {
  std::vector<std::int32_t> classes;
  std::vector<float> boxes;
  std::vector<std::int32_t> nums;
  std::vector<float> scores;
};
EfficientNmsHead efficient_nms_by_hand(const Preprocessed& p, std::size_t n) {
  EfficientNmsHead h;
  for (std::size_t b = 0; b < n; ++b) {
    const float* x = p.values.data() + b * kPerImage;
    h.nums.push_back(static_cast<std::int32_t>(x[0] * 16.0f));
    for (int i = 1; i < 81; ++i) h.boxes.push_back(x[i] * 32.0f);
    for (int i = 81; i < 101; ++i) h.scores.push_back(x[i]);
    for (int i = 101; i < 121; ++i) h.classes.push_back(static_cast<std::int32_t>(x[i] * 8.0f));
  }
  return h;
}

/// Classifier: logits [B, 10] = 8 v - 4 of v[0..9].
ir::Graph classifier_model() {
  GraphMaker m;
  ir::Value* ten = m.slice(flat_input(m), 1, 0, 10);
  m.output(m.op("Add", {m.op("Mul", {ten, m.scalar(8.0)}), m.scalar(-4.0)}));
  return m.take();
}
std::vector<float> classifier_logits_by_hand(const Preprocessed& p, std::size_t n) {
  std::vector<float> logits;
  for (std::size_t b = 0; b < n; ++b) {
    for (std::size_t i = 0; i < 10; ++i)
      logits.push_back(p.values[b * kPerImage + i] * 8.0f - 4.0f);
  }
  return logits;
}

std::vector<std::int32_t> as_ints(const HostTensor& t) {
  std::vector<std::int32_t> out;
  for (const float v : as_floats(t)) out.push_back(static_cast<std::int32_t>(v));
  return out;
}

void expect_same(const std::vector<std::vector<image::Detection>>& got,
                 const std::vector<std::vector<image::Detection>>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t b = 0; b < want.size(); ++b) {
    ASSERT_EQ(got[b].size(), want[b].size()) << "image " << b;
    for (std::size_t i = 0; i < want[b].size(); ++i) {
      const image::Detection& g = got[b][i];
      const image::Detection& w = want[b][i];
      EXPECT_EQ(g, w) << "image " << b << " detection " << i << ": got (" << g.x1 << ", " << g.y1
                      << ", " << g.x2 << ", " << g.y2 << ") " << g.score << " class " << g.class_id
                      << " index " << g.index << ", want (" << w.x1 << ", " << w.y1 << ", " << w.x2
                      << ", " << w.y2 << ") " << w.score << " class " << w.class_id << " index "
                      << w.index;
    }
  }
}

std::filesystem::path temp_dir() {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("trtutils_vision_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

// --- Detector: YOLO raw heads -------------------------------------------------

TEST(DetectorGpu, YoloHeadFromAnEngineFileMatchesTheCpuPath) {
  TRTUTILS_REQUIRE_GPU();
  const std::filesystem::path path = temp_dir() / "yolo.engine";
  plan::write_plan(path, build_plan(yolo_model(image::TensorLayout::kNCHW, DType::kFloat32)));
  Detector detector(path);
  EXPECT_EQ(detector.head(), DetectionHead::kYoloRaw);
  EXPECT_EQ(detector.num_classes(), kClasses);
  EXPECT_EQ(detector.max_batch(), kBatch);
  EXPECT_EQ(detector.input_width(), kSize);
  EXPECT_EQ(detector.input_height(), kSize);

  // Three images of different sizes (one strided): a full chunk, then a partial one.
  const std::vector<TestImage> images{make_image(40, 30, 1), make_image(25, 50, 2, 13),
                                      make_image(32, 32, 3)};
  const std::vector<image::ImageView> batch = views(images);
  const auto got = detector.detect(batch);
  const auto want = yolo_on_cpu(batch, detector.engine(), DetectorOptions{}, DType::kFloat32);
  for (const auto& d : want) EXPECT_FALSE(d.empty()) << "the test images should give detections";
  expect_same(got, want);

  const StageTiming& t = detector.last_timing();
  EXPECT_GT(t.preprocess_ms, 0.0);
  EXPECT_GT(t.inference_ms, 0.0);
  EXPECT_GT(t.postprocess_ms, 0.0);
  EXPECT_GE(t.total_ms, t.inference_ms);

  // One image at a time gives the same lists.
  for (std::size_t i = 0; i < batch.size(); ++i) {
    expect_same({detector.detect(batch[i])}, {want[i]});
  }
  std::filesystem::remove_all(path.parent_path());
}

TEST(DetectorGpu, OptionsReachThePreAndPostProcessing) {
  TRTUTILS_REQUIRE_GPU();
  DetectorOptions o;
  o.preprocess.resize = image::ResizeMode::kStretch;
  o.preprocess.channel_order = image::ChannelOrder::kBGR;
  o.nms.score_threshold = 0.4f;
  o.nms.iou_threshold = 0.3f;
  o.nms.class_agnostic = true;
  o.nms.max_detections = 7;
  Detector detector(yolo_engine(image::TensorLayout::kNCHW, DType::kFloat32), o);
  const std::vector<TestImage> images{make_image(64, 20, 4), make_image(20, 64, 5)};
  const auto got = detector.detect(views(images));
  const auto want = yolo_on_cpu(views(images), detector.engine(), o, DType::kFloat32);
  for (const auto& d : got) EXPECT_LE(d.size(), 7u);
  expect_same(got, want);
}

TEST(DetectorGpu, DeviceAndPinnedImagesGiveTheHostResults) {
  TRTUTILS_REQUIRE_GPU();
  Detector detector(yolo_engine(image::TensorLayout::kNCHW, DType::kFloat32));
  const TestImage host = make_image(45, 37, 6, 19);
  const auto want = detector.detect(host.view());
  ASSERT_FALSE(want.empty());

  core::DeviceBuffer device(host.pixels.size());
  core::memcpy_host_to_device(device.data(), host.pixels.data(), host.pixels.size());
  image::ImageView on_device = host.view();
  on_device.data = device.data();
  on_device.memory = image::MemoryKind::kDevice;
  expect_same({detector.detect(on_device)}, {want});

  core::PinnedBuffer pinned(host.pixels.size());
  std::memcpy(pinned.data(), host.pixels.data(), host.pixels.size());
  image::ImageView on_pinned = host.view();
  on_pinned.data = pinned.data();
  on_pinned.memory = image::MemoryKind::kPinnedHost;
  expect_same({detector.detect(on_pinned)}, {want});
}

TEST(DetectorGpu, LaterCallsAllocateNothing) {
  TRTUTILS_REQUIRE_GPU();
  Detector detector(yolo_engine(image::TensorLayout::kNCHW, DType::kFloat32));
  const std::vector<TestImage> images{make_image(40, 30, 7), make_image(30, 40, 8),
                                      make_image(33, 33, 9)};
  (void)detector.detect(views(images));
  const std::size_t after_first = detector.preprocess_allocation_count();
  std::size_t free_before = 0, free_after = 0, total = 0;
  ASSERT_EQ(cudaMemGetInfo(&free_before, &total), cudaSuccess);
  for (int i = 0; i < 3; ++i) (void)detector.detect(views(images));
  (void)detector.detect(images[0].view());  // smaller batches fit what is there
  ASSERT_EQ(cudaMemGetInfo(&free_after, &total), cudaSuccess);
  EXPECT_EQ(detector.preprocess_allocation_count(), after_first);
  EXPECT_EQ(free_after, free_before) << "device memory changed between calls";
}

TEST(DetectorGpu, EmptyBatchGivesNoResults) {
  TRTUTILS_REQUIRE_GPU();
  Detector detector(yolo_engine(image::TensorLayout::kNCHW, DType::kFloat32));
  EXPECT_TRUE(detector.detect(std::span<const image::ImageView>()).empty());
  EXPECT_EQ(detector.last_timing().inference_ms, 0.0);
}

TEST(DetectorGpu, BadImagesAreRefusedBeforeAnyWork) {
  TRTUTILS_REQUIRE_GPU();
  Detector detector(yolo_engine(image::TensorLayout::kNCHW, DType::kFloat32));
  const TestImage a = make_image(10, 10, 1);
  image::ImageView grey = a.view();
  grey.format = image::PixelFormat::kGray8;
  EXPECT_THROW((void)detector.detect(std::vector<image::ImageView>{a.view(), grey}),
               InvalidArgument);
  image::ImageView null_view = a.view();
  null_view.data = nullptr;
  EXPECT_THROW((void)detector.detect(null_view), InvalidArgument);
}

TEST(DetectorGpu, HalfPrecisionNhwcModel) {
  TRTUTILS_REQUIRE_GPU();
  Detector detector(yolo_engine(image::TensorLayout::kNHWC, DType::kFloat16));
  EXPECT_EQ(detector.head(), DetectionHead::kYoloRaw);
  const std::vector<TestImage> images{make_image(50, 31, 10), make_image(31, 50, 11),
                                      make_image(8, 8, 12)};
  const auto want = yolo_on_cpu(views(images), detector.engine(), {}, DType::kFloat16);
  expect_same(detector.detect(views(images)), want);
}

// --- Detector: heads decoded on the CPU ---------------------------------------

void cap_and_map(std::vector<std::vector<image::Detection>>& lists, const Preprocessed& p,
                 int max_detections) {
  for (std::size_t b = 0; b < lists.size(); ++b) {
    if (lists[b].size() > static_cast<std::size_t>(max_detections)) {
      lists[b].resize(static_cast<std::size_t>(max_detections));
    }
    image::to_image(lists[b], p.transforms[b]);
  }
}

TEST(DetectorGpu, EndToEndHead) {
  TRTUTILS_REQUIRE_GPU();
  DetectorOptions o;
  o.nms.score_threshold = 6.0f;
  o.nms.max_detections = 40;
  Detector detector(runtime::TRTEngine(build_plan(end_to_end_model())), o);
  ASSERT_EQ(detector.head(), DetectionHead::kEndToEnd);
  EXPECT_EQ(detector.num_classes(), -1);

  const std::vector<TestImage> images{make_image(20, 12, 13), make_image(16, 16, 14),
                                      make_image(9, 30, 15)};
  const Preprocessed p = preprocess_on_cpu(views(images), detector.engine(), o.preprocess);
  auto want = image::decode_end_to_end(end_to_end_by_hand(p, 3), 3, 128, o.nms.score_threshold);
  cap_and_map(want, p, o.nms.max_detections);
  expect_same(detector.detect(views(images)), want);
}

TEST(DetectorGpu, DetrHeadWithLogitsFirst) {
  TRTUTILS_REQUIRE_GPU();
  DetectorOptions o;
  o.detr_top_k = 50;
  o.nms.score_threshold = 0.5f;
  Detector detector(runtime::TRTEngine(build_plan(detr_model())), o);
  ASSERT_EQ(detector.head(), DetectionHead::kDetr);
  EXPECT_EQ(detector.num_classes(), 8);

  const std::vector<TestImage> images{make_image(30, 20, 16), make_image(16, 16, 17),
                                      make_image(17, 5, 18)};
  const Preprocessed p = preprocess_on_cpu(views(images), detector.engine(), o.preprocess);
  const DetrHead h = detr_by_hand(p, 3);
  auto want = image::decode_detr(h.boxes, h.logits, 3, 64, 8, image::DetrScoring::kSigmoid, 50,
                                 0.5f, kSmall, kSmall);
  cap_and_map(want, p, o.nms.max_detections);
  expect_same(detector.detect(views(images)), want);
}

TEST(DetectorGpu, EfficientNmsOutputs) {
  TRTUTILS_REQUIRE_GPU();
  DetectorOptions o;
  o.nms.score_threshold = 0.1f;
  Detector detector(runtime::TRTEngine(build_plan(efficient_nms_model())), o);
  ASSERT_EQ(detector.head(), DetectionHead::kEfficientNms);

  const std::vector<TestImage> images{make_image(16, 16, 19), make_image(40, 16, 20),
                                      make_image(16, 40, 21)};
  const Preprocessed p = preprocess_on_cpu(views(images), detector.engine(), o.preprocess);
  const EfficientNmsHead h = efficient_nms_by_hand(p, 3);
  auto want = image::decode_efficient_nms(h.nums, h.boxes, h.scores, h.classes, 3, 20, 0.1f);
  cap_and_map(want, p, o.nms.max_detections);
  expect_same(detector.detect(views(images)), want);
}

// --- Classifier ---------------------------------------------------------------

TEST(ClassifierGpu, MatchesSoftmaxTopKOnTheCpu) {
  TRTUTILS_REQUIRE_GPU();
  const std::filesystem::path path = temp_dir() / "classifier.engine";
  plan::write_plan(path, build_plan(classifier_model()));
  ClassifierOptions o;
  o.top_k = 4;
  Classifier classifier(path, o);
  EXPECT_EQ(classifier.num_classes(), 10);
  EXPECT_EQ(classifier.max_batch(), kBatch);

  const std::vector<TestImage> images{make_image(21, 13, 22), make_image(16, 16, 23),
                                      make_image(5, 40, 24)};
  const Preprocessed p = preprocess_on_cpu(views(images), classifier.engine(), o.preprocess);
  const std::vector<float> logits = classifier_logits_by_hand(p, 3);
  const auto want = image::classify(logits, 3, 10, 4, true);
  EXPECT_EQ(classifier.classify(views(images)), want);
  EXPECT_EQ(classifier.classify(images[2].view()), want[2]);
  EXPECT_GT(classifier.last_timing().inference_ms, 0.0);
  const std::size_t allocations = classifier.preprocess_allocation_count();
  EXPECT_EQ(classifier.classify(views(images)), want);
  EXPECT_EQ(classifier.preprocess_allocation_count(), allocations);

  ClassifierOptions probabilities = o;
  probabilities.apply_softmax = false;
  Classifier raw(path, probabilities);
  EXPECT_EQ(raw.classify(views(images)), image::classify(logits, 3, 10, 4, false));
  std::filesystem::remove_all(path.parent_path());
}

// --- the test models themselves (CPU) -------------------------------------------
// The oracles above write each model's function out by hand; the CPU
// reference executor shows that the graphs compute exactly that, so a GPU
// failure points at the pipeline, not at the test.

ModelInput small_input() {
  return ModelInput{kBatch, 3, kSmall, kSmall, image::TensorLayout::kNCHW, DType::kFloat32};
}

std::vector<TestImage> two_images() { return {make_image(40, 30, 31), make_image(13, 27, 32)}; }

TEST(TestModels, CopiedTestImagesViewTheirOwnPixels) {
  // Built from an initializer list, so every element is a copy of a temporary
  // already destroyed; each view must point into the element itself.
  const std::vector<TestImage> images = two_images();
  const std::vector<image::ImageView> v = views(images);
  ASSERT_EQ(v.size(), 2u);
  for (std::size_t i = 0; i < v.size(); ++i) {
    EXPECT_EQ(v[i].data, images[i].pixels.data()) << "image " << i;
  }
  EXPECT_EQ(v[0].width, 40);
  EXPECT_EQ(v[0].height, 30);
  EXPECT_EQ(v[0].stride_bytes, 120u);
  EXPECT_EQ(v[1].width, 13);
  EXPECT_EQ(v[1].height, 27);
  EXPECT_EQ(images[1].pixels, make_pixels(13, 27, 39, 32));
}

TEST(TestModels, YoloGraphsComputeTheHandWrittenHead) {
  const auto images = two_images();
  for (const auto& [layout, dtype] : {std::pair{image::TensorLayout::kNCHW, DType::kFloat32},
                                      std::pair{image::TensorLayout::kNHWC, DType::kFloat16}}) {
    const ModelInput in{kBatch, 3, kSize, kSize, layout, dtype};
    const Preprocessed p = preprocess_on_cpu(views(images), in, {});
    const std::vector<HostTensor> out = run_reference(yolo_model(layout, dtype), p.tensor);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].shape(), (Shape{kBatch, 6, kSize * kSize}));
    EXPECT_EQ(as_floats(out[0]), yolo_head_by_hand(p, kBatch, dtype));
  }
}

TEST(TestModels, CpuDecodedHeadGraphsComputeTheHandWrittenOutputs) {
  const Preprocessed p = preprocess_on_cpu(views(two_images()), small_input(), {});
  const std::vector<HostTensor> end_to_end = run_reference(end_to_end_model(), p.tensor);
  EXPECT_EQ(as_floats(end_to_end.at(0)), end_to_end_by_hand(p, kBatch));

  const std::vector<HostTensor> detr = run_reference(detr_model(), p.tensor);
  const DetrHead d = detr_by_hand(p, kBatch);
  EXPECT_EQ(as_floats(detr.at(0)), d.logits);
  EXPECT_EQ(as_floats(detr.at(1)), d.boxes);

  const std::vector<HostTensor> nms = run_reference(efficient_nms_model(), p.tensor);
  const EfficientNmsHead e = efficient_nms_by_hand(p, kBatch);
  EXPECT_EQ(nms.at(0).dtype(), DType::kInt32);
  EXPECT_EQ(as_ints(nms.at(0)), e.classes);
  EXPECT_EQ(as_floats(nms.at(1)), e.boxes);
  EXPECT_EQ(as_ints(nms.at(2)), e.nums);
  EXPECT_EQ(as_floats(nms.at(3)), e.scores);
  // Some rows pass the test's thresholds, so the comparisons on the GPU see detections.
  EXPECT_GT(*std::max_element(e.nums.begin(), e.nums.end()), 0);

  const ClassifierOptions c;
  const Preprocessed q = preprocess_on_cpu(views(two_images()), small_input(), c.preprocess);
  EXPECT_EQ(as_floats(run_reference(classifier_model(), q.tensor).at(0)),
            classifier_logits_by_hand(q, kBatch));
}

TEST(TestModels, BuildForSm90AndFormTheirHeads) {
  // No GPU needed: kernels are compiled for sm_90 and nothing is timed.
  const auto io = [](const plan::Plan& plan, bool inputs) {
    std::vector<plan::TensorSpec> specs;
    for (const plan::TensorSpec& s : plan.io) {
      if (s.is_input == inputs) specs.push_back(s);
    }
    return specs;
  };
  const auto head_of = [&](ir::Graph graph) {
    const plan::Plan plan = build_plan(std::move(graph), "sm_90");
    const ModelInput in = describe_input(io(plan, true));
    EXPECT_EQ(in.batch, kBatch);
    return resolve_head(io(plan, false), DetectionHead::kAuto, in.batch);
  };
  const HeadLayout yolo = head_of(yolo_model(image::TensorLayout::kNHWC, DType::kFloat16));
  EXPECT_EQ(yolo.head, DetectionHead::kYoloRaw);
  EXPECT_EQ(yolo.num_classes, kClasses);
  EXPECT_EQ(head_of(end_to_end_model()).head, DetectionHead::kEndToEnd);
  const HeadLayout detr = head_of(detr_model());
  EXPECT_EQ(detr.head, DetectionHead::kDetr);
  EXPECT_EQ(detr.outputs, (std::vector<std::size_t>{1, 0}));
  const HeadLayout nms = head_of(efficient_nms_model());
  EXPECT_EQ(nms.head, DetectionHead::kEfficientNms);
  EXPECT_EQ(nms.outputs, (std::vector<std::size_t>{2, 1, 3, 0}));
  const plan::Plan classifier = build_plan(classifier_model(), "sm_90");
  EXPECT_EQ(classifier_classes(io(classifier, false), kBatch), 10);
}

}  // namespace
}  // namespace trtutils::vision
