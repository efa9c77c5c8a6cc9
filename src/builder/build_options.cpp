#include "trtutils/builder/build_options.hpp"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "trtutils/core/error.hpp"

namespace trtutils::builder {

namespace {

bool is_sm_arch(const std::string& arch) {
  if (arch.size() < 5 || arch.compare(0, 3, "sm_") != 0) return false;
  std::size_t i = 3;
  while (i < arch.size() && std::isdigit(static_cast<unsigned char>(arch[i]))) ++i;
  if (i < 5) return false;
  return i == arch.size() ||
         (i + 1 == arch.size() && std::islower(static_cast<unsigned char>(arch[i])));
}

}  // namespace

std::vector<std::int64_t> batch_buckets(const BatchProfile& profile) {
  const BatchProfile& p = profile;
  std::set<std::int64_t> chosen{p.min, p.opt, p.max};
  if (!p.buckets.empty()) {
    for (const std::int64_t b : p.buckets) {
      TRTUTILS_CHECK(p.min <= b && b <= p.max, "BuildOptions: batch bucket ", b,
                     " lies outside the profile's ", p.min, "..", p.max);
      chosen.insert(b);
    }
    TRTUTILS_CHECK(chosen.size() <= kMaxBatchBuckets, "BuildOptions: ", chosen.size(),
                   " batch buckets (with min, opt and max); at most ", kMaxBatchBuckets,
                   " are built: list fewer");
    return {chosen.begin(), chosen.end()};
  }
  std::vector<std::int64_t> powers;
  for (std::int64_t b = 2; b < p.max; b *= 2) {
    if (b > p.min && chosen.count(b) == 0) powers.push_back(b);
  }
  const std::size_t room = kMaxBatchBuckets - chosen.size();
  if (powers.size() <= room) {
    chosen.insert(powers.begin(), powers.end());
  } else if (room > 0) {
    // Evenly spaced in log scale: every bucket pads a batch by a similar factor.
    const std::size_t last = powers.size() - 1;
    for (std::size_t i = 0; i < room; ++i) {
      chosen.insert(powers[room == 1 ? last / 2 : (i * last + (room - 1) / 2) / (room - 1)]);
    }
  }
  return {chosen.begin(), chosen.end()};
}

void validate_options(const BuildOptions& options) {
  TRTUTILS_CHECK(!options.autotune || options.max_workspace_bytes > 0,
                 "BuildOptions: max_workspace_bytes is 0 but autotuning is on; give the "
                 "algorithms some workspace (e.g. 256 MiB) or turn autotune off");
  TRTUTILS_CHECK(options.target_arch.empty() || is_sm_arch(options.target_arch),
                 "BuildOptions: target arch '", options.target_arch,
                 "' is not of the form sm_<digits> (e.g. sm_90)");
  if (options.batch) {
    const BatchProfile& b = *options.batch;
    TRTUTILS_CHECK(1 <= b.min && b.min <= b.opt && b.opt <= b.max, "BuildOptions: batch profile ",
                   b.min, "/", b.opt, "/", b.max, " (min/opt/max) needs 1 <= min <= opt <= max");
    (void)batch_buckets(b);
  }
  for (const std::string& pattern : options.fp32_nodes) {
    try {
      std::regex compiled(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      throw InvalidArgument(detail::concat("BuildOptions: fp32_nodes pattern '", pattern,
                                           "' is not a regular expression (", e.what(),
                                           "); give an ECMAScript regex such as \"^/layer1/\""));
    }
  }
  for (const auto& [name, tensor] : options.constant_inputs) {
    TRTUTILS_CHECK(!name.empty(), "BuildOptions: a constant input has an empty name");
    TRTUTILS_CHECK(!tensor.empty(), "BuildOptions: constant input '", name, "' holds no tensor");
  }
}

bool uses_channels_last(const BuildOptions& options) {
  if (!options.fuse) return false;
  if (options.layout == ConvolutionLayout::kAuto) {
    return options.precision == plan::Precision::kFloat16 ||
           options.precision == plan::Precision::kBFloat16;
  }
  return options.layout == ConvolutionLayout::kNHWC;
}

const char* layout_name(ConvolutionLayout layout) {
  switch (layout) {
    case ConvolutionLayout::kNCHW:
      return "nchw";
    case ConvolutionLayout::kNHWC:
      return "nhwc";
    case ConvolutionLayout::kAuto:
      break;
  }
  return "auto";
}

ConvolutionLayout layout_from_name(const std::string& name) {
  for (const ConvolutionLayout layout :
       {ConvolutionLayout::kAuto, ConvolutionLayout::kNCHW, ConvolutionLayout::kNHWC}) {
    if (name == layout_name(layout)) return layout;
  }
  throw InvalidArgument(detail::concat("convolution layout '", name,
                                       "' is not one of auto, nchw, nhwc"));
}

std::map<std::string, std::string> describe_options(const BuildOptions& options) {
  std::map<std::string, std::string> text;
  text["precision"] = std::string(plan::precision_name(options.precision));
  text["max_workspace_bytes"] = std::to_string(options.max_workspace_bytes);
  text["autotune"] = options.autotune ? "1" : "0";
  text["fuse"] = options.fuse ? "1" : "0";
  text["layout"] = detail::concat(layout_name(options.layout), " (convolutions ",
                                  uses_channels_last(options) ? "NHWC" : "NCHW", ")");
  if (options.batch) {
    const BatchProfile& b = *options.batch;
    if (b.min == b.max) {
      text["batch"] = std::to_string(b.opt);
    } else {
      std::string buckets;
      for (const std::int64_t n : batch_buckets(b)) {
        buckets += detail::concat(buckets.empty() ? "" : ",", n);
      }
      text["batch"] = detail::concat(b.min, "/", b.opt, "/", b.max, " (buckets ", buckets, ")");
    }
  }
  std::string constants;
  for (const auto& [name, tensor] : options.constant_inputs) {
    constants += detail::concat(constants.empty() ? "" : ", ", name);
  }
  if (!constants.empty()) text["constant_inputs"] = constants;
  std::string fp32;
  for (const std::string& pattern : options.fp32_nodes) {
    fp32 += detail::concat(fp32.empty() ? "" : " ", pattern);
  }
  if (!fp32.empty()) text["fp32_nodes"] = fp32;
  if (!options.cudnn_runtime_fusion) text["cudnn_runtime_fusion"] = "off";
  return text;
}

}  // namespace trtutils::builder
