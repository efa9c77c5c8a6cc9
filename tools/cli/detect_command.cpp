// trtutils detect MODEL IMAGE... [-o OUT_DIR] [--conf C] [--iou I] [--agnostic]
//                 [--max-det N] [--head H] [--labels FILE] [--batch N]
//                 [--cuda-graph] [--device N] [--quality Q] [--json] [build options]
//
// Runs an object detector (vision::Detector) on image files: every image is
// checked first (so a bad path fails before a long build), then decoded to
// RGB8, sent through the detector --batch images per call, and with -o drawn
// on (image_io::draw_detections) and written to OUT_DIR under its own file
// name (.png / .jpg / .jpeg kept, other formats written as .png). Prints a
// table per image, or with --json one document:
//   {"model", "head", "input": {width, height},
//    "images": [{path, width, height, output (or null),
//                timing_ms: {preprocess, inference, postprocess, total},
//                detections: [{class_id, label, score, box: [x1, y1, x2, y2]}]}]}
#include <algorithm>
#include <cctype>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "cli_common.hpp"
#include "coco_labels.hpp"
#include "commands.hpp"
#include "progress_bar.hpp"
#include "table.hpp"
#include "trtutils/image_io/draw_detections.hpp"
#include "trtutils/image_io/image_file.hpp"
#include "trtutils/runtime/trt_engine.hpp"
#include "trtutils/vision/detector.hpp"

namespace trtutils::cli {

namespace {

namespace fs = std::filesystem;

struct DetectArgs {
  fs::path model;
  std::vector<fs::path> images;
  fs::path output_dir;
  float conf = 0.25f;
  float iou = 0.45f;
  bool agnostic = false;
  int max_det = 300;
  std::string head = "auto";
  fs::path labels;
  int batch = 1;
  bool cuda_graph = false;
  int device = 0;
  int quality = 95;
  bool json = false;
  bool quiet = false;
  BuildFlags flags;
};

/// What one image produced.
struct ImageResult {
  fs::path path;
  int width = 0;
  int height = 0;
  std::optional<fs::path> output;
  vision::StageTiming timing;
  std::vector<image::Detection> detections;
};

/// --head values; the report's names (yolo_raw, end_to_end) are accepted too.
const std::map<std::string, vision::DetectionHead>& head_flag_values() {
  static const std::map<std::string, vision::DetectionHead> values = {
      {"auto", vision::DetectionHead::kAuto},
      {"yolo", vision::DetectionHead::kYoloRaw},
      {"yolo_raw", vision::DetectionHead::kYoloRaw},
      {"end2end", vision::DetectionHead::kEndToEnd},
      {"end_to_end", vision::DetectionHead::kEndToEnd},
      {"efficient_nms", vision::DetectionHead::kEfficientNms},
      {"detr", vision::DetectionHead::kDetr}};
  return values;
}

/// The head as the report names it.
std::string report_head_name(vision::DetectionHead head) {
  switch (head) {
    case vision::DetectionHead::kYoloRaw:
      return "yolo_raw";
    case vision::DetectionHead::kEndToEnd:
      return "end_to_end";
    case vision::DetectionHead::kEfficientNms:
      return "efficient_nms";
    case vision::DetectionHead::kDetr:
      return "detr";
    case vision::DetectionHead::kAuto:
      break;
  }
  return "auto";
}

/// One name per line (a trailing '\r' dropped); line i names class i.
std::vector<std::string> read_labels(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw FileError(detail::concat("cannot read labels file '", path.string(), "'"));
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  if (labels.empty()) {
    throw UsageError(
        detail::concat("--labels '", path.string(), "' is empty; give one class name per line"));
  }
  return labels;
}

std::string label_name(int class_id, const std::vector<std::string>& labels) {
  const bool named = class_id >= 0 && static_cast<std::size_t>(class_id) < labels.size() &&
                     !labels[static_cast<std::size_t>(class_id)].empty();
  return named ? labels[static_cast<std::size_t>(class_id)] : "class " + std::to_string(class_id);
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

/// OUT_DIR/<name of the image>, keeping .png / .jpg / .jpeg and writing
/// other formats as .png; "_1", "_2"... when two images share a name.
/// UsageError when the output would overwrite the input itself.
std::vector<fs::path> output_paths(const std::vector<fs::path>& images, const fs::path& dir) {
  std::vector<fs::path> outputs;
  std::set<std::string> taken;
  for (const fs::path& image : images) {
    const std::string extension = lower(image.extension().string());
    const bool keeps = extension == ".png" || extension == ".jpg" || extension == ".jpeg";
    const std::string suffix = keeps ? image.extension().string() : ".png";
    const std::string stem = image.stem().string();
    std::string name = stem + suffix;
    for (int n = 1; taken.count(lower(name)) != 0; ++n) {
      name = stem + "_" + std::to_string(n) + suffix;
    }
    taken.insert(lower(name));
    const fs::path output = dir / name;
    std::error_code error;
    if (fs::exists(output, error) && fs::equivalent(output, image, error)) {
      throw UsageError(detail::concat("-o '", dir.string(), "' would overwrite the input image '",
                                      image.string(), "'; choose another output folder"));
    }
    outputs.push_back(output);
  }
  return outputs;
}

vision::DetectorOptions detector_options(const DetectArgs& args) {
  vision::DetectorOptions options;
  options.nms.score_threshold = args.conf;
  options.nms.iou_threshold = args.iou;
  options.nms.class_agnostic = args.agnostic;
  options.nms.max_detections = args.max_det;
  options.detr_top_k = args.max_det;
  options.head = head_flag_values().at(args.head);
  return options;
}

nlohmann::json report_json(const DetectArgs& args, const vision::Detector& detector,
                           const std::vector<ImageResult>& results,
                           const std::vector<std::string>& labels) {
  nlohmann::json images = nlohmann::json::array();
  for (const ImageResult& result : results) {
    nlohmann::json detections = nlohmann::json::array();
    for (const image::Detection& d : result.detections) {
      detections.push_back({{"class_id", d.class_id},
                            {"label", label_name(d.class_id, labels)},
                            {"score", d.score},
                            {"box", {d.x1, d.y1, d.x2, d.y2}}});
    }
    images.push_back(
        {{"path", result.path.string()},
         {"width", result.width},
         {"height", result.height},
         {"output", result.output ? nlohmann::json(result.output->string()) : nlohmann::json()},
         {"timing_ms",
          {{"preprocess", result.timing.preprocess_ms},
           {"inference", result.timing.inference_ms},
           {"postprocess", result.timing.postprocess_ms},
           {"total", result.timing.total_ms}}},
         {"detections", std::move(detections)}});
  }
  return {{"model", args.model.string()},
          {"head", report_head_name(detector.head())},
          {"input", {{"width", detector.input_width()}, {"height", detector.input_height()}}},
          {"images", std::move(images)}};
}

/// "2 person, 1 dog" (most frequent first).
std::string class_summary(const std::vector<image::Detection>& detections,
                          const std::vector<std::string>& labels) {
  std::map<int, int> counts;
  for (const image::Detection& d : detections) ++counts[d.class_id];
  std::vector<std::pair<int, int>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string text;
  for (const auto& [class_id, count] : sorted) {
    text += (text.empty() ? "" : ", ") + std::to_string(count) + " " + label_name(class_id, labels);
  }
  return text.empty() ? "-" : text;
}

void print_report(const DetectArgs& args, const vision::Detector& detector,
                  const std::vector<ImageResult>& results, const std::vector<std::string>& labels) {
  std::ostream& out = std::cout;
  out << "detect " << args.model.string() << ": " << report_head_name(detector.head())
      << " head, input " << detector.input_width() << "x" << detector.input_height() << ", "
      << results.size() << (results.size() == 1 ? " image" : " images") << ", conf "
      << fixed_text(args.conf, 2) << ", iou " << fixed_text(args.iou, 2) << "\n\n";
  Table table({{"image"},
               {"size", Table::Align::kRight},
               {"found", Table::Align::kRight},
               {"classes"},
               {"pre ms", Table::Align::kRight},
               {"infer ms", Table::Align::kRight},
               {"post ms", Table::Align::kRight},
               {"total ms", Table::Align::kRight}});
  std::size_t written = 0;
  for (const ImageResult& r : results) {
    table.add_row({r.path.string(), detail::concat(r.width, "x", r.height),
                   std::to_string(r.detections.size()), class_summary(r.detections, labels),
                   fixed_text(r.timing.preprocess_ms, 2), fixed_text(r.timing.inference_ms, 2),
                   fixed_text(r.timing.postprocess_ms, 2), fixed_text(r.timing.total_ms, 2)});
    written += r.output ? 1 : 0;
  }
  table.print(out);
  if (args.batch > 1) {
    out << "\ntimings are per detect call (" << args.batch << " images per call)\n";
  }
  if (written > 0) {
    out << "\nwrote " << written << (written == 1 ? " image" : " images") << " with boxes to "
        << args.output_dir.string() << "\n";
  }
}

int run_detect(DetectArgs args) {
  const std::vector<std::string> labels =
      args.labels.empty() ? coco_labels() : read_labels(args.labels);
  // Every image is checked before the (possibly long) model build.
  for (const fs::path& image : args.images) image_io::read_image_info(image);
  const bool draw = !args.output_dir.empty();
  const std::vector<fs::path> outputs =
      draw ? output_paths(args.images, args.output_dir) : std::vector<fs::path>{};
  require_gpu("detecting objects");
  if (draw) fs::create_directories(args.output_dir);

  // An .onnx model with a dynamic batch is built for --batch images.
  if (args.batch > 1) args.flags.batch = std::to_string(args.batch);
  const bool quiet = args.quiet || args.json;
  runtime::TRTEngineOptions engine_options;
  engine_options.use_cuda_graph = args.cuda_graph;
  engine_options.device = args.device;
  runtime::TRTEngine engine(load_or_build_plan(args.model, args.flags, quiet), engine_options);
  vision::Detector detector(std::move(engine), detector_options(args));
  if (!quiet && detector.num_classes() > 0 &&
      static_cast<std::size_t>(detector.num_classes()) != labels.size()) {
    std::cerr << "note: the model predicts " << detector.num_classes() << " classes and "
              << labels.size() << " labels are given"
              << (args.labels.empty() ? " (COCO's; name yours with --labels FILE)" : "") << "\n";
  }

  std::vector<ImageResult> results;
  ProgressBar bar(stderr, "detect", !quiet);
  const image_io::DrawOptions draw_options;
  for (std::size_t first = 0; first < args.images.size();
       first += static_cast<std::size_t>(args.batch)) {
    const std::size_t count =
        std::min(args.images.size() - first, static_cast<std::size_t>(args.batch));
    std::vector<image_io::ImageBuffer> pixels;
    std::vector<image::ImageView> views;
    for (std::size_t i = first; i < first + count; ++i) {
      pixels.push_back(image_io::load_image(args.images[i], image::PixelFormat::kRGB8));
    }
    for (const image_io::ImageBuffer& buffer : pixels) views.push_back(buffer.view());
    const std::vector<std::vector<image::Detection>> found = detector.detect(views);
    for (std::size_t k = 0; k < count; ++k) {
      ImageResult result;
      result.path = args.images[first + k];
      result.width = pixels[k].width();
      result.height = pixels[k].height();
      result.timing = detector.last_timing();
      result.detections = found[k];
      if (draw) {
        image_io::draw_detections(pixels[k], result.detections, labels, draw_options);
        image_io::save_image(pixels[k].view(), outputs[first + k], {.jpeg_quality = args.quality});
        result.output = outputs[first + k];
      }
      results.push_back(std::move(result));
    }
    bar.update(detail::concat(args.images.size(), " images"),
               static_cast<double>(first + count) / static_cast<double>(args.images.size()));
  }
  bar.finish();

  if (args.json) {
    std::cout << report_json(args, detector, results, labels)
                     .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    print_report(args, detector, results, labels);
  }
  return kExitOk;
}

}  // namespace

Command add_detect_command(CLI::App& app) {
  auto args = std::make_shared<DetectArgs>();
  CLI::App* command = app.add_subcommand(
      "detect",
      "Detect objects in image files with a detection model (YOLO, end-to-end, EfficientNMS or "
      "DETR heads); with -o, draw the boxes and write the images.");
  command->add_option("MODEL", args->model, "an .engine file, or an .onnx file to build first")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("IMAGE", args->images, "image files (PNG, JPEG, BMP, GIF, TGA, PNM...)")
      ->required();
  command->add_option("-o,--output-dir", args->output_dir,
                      "write each image with its boxes drawn into this folder (created if "
                      "missing); without it nothing is drawn");
  command->add_option("--conf", args->conf, "score threshold (detections need a higher score)")
      ->capture_default_str()
      ->check(CLI::Range(0.0f, 1.0f));
  command->add_option("--iou", args->iou, "NMS IoU threshold (YOLO heads)")
      ->capture_default_str()
      ->check(CLI::Range(0.0f, 1.0f));
  command->add_flag("--agnostic", args->agnostic, "NMS across classes (YOLO heads)");
  command->add_option("--max-det", args->max_det, "most detections kept per image")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  command
      ->add_option("--head", args->head,
                   "the model's output layout: auto (from the output shapes), yolo ([B, 4+C, N]), "
                   "end2end ([B, K, 6]), efficient_nms, detr")
      ->capture_default_str()
      ->check(CLI::IsMember(
          {"auto", "yolo", "yolo_raw", "end2end", "end_to_end", "efficient_nms", "detr"}));
  command
      ->add_option("--labels", args->labels,
                   "class names, one per line (line i names class i; default: COCO's 80)")
      ->check(CLI::ExistingFile);
  command
      ->add_option("--batch", args->batch,
                   "images per detect call (an .onnx model with a dynamic batch is built for it)")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  command->add_flag("--cuda-graph", args->cuda_graph, "replay the engine as a CUDA graph");
  command->add_option("--device", args->device, "CUDA device")->capture_default_str();
  command->add_option("--quality", args->quality, "JPEG quality of written .jpg images")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  command->add_flag("--json", args->json, "print the detections as JSON (progress goes to stderr)");
  command->add_flag("-q,--quiet", args->quiet, "no progress bars");
  add_build_flags(*command, args->flags, /*with_batch=*/false);
  return {command, [args] { return run_detect(*args); }};
}

}  // namespace trtutils::cli
