// builder::register_with_trt_engine and build_options_from_strings (CPU: the
// ONNX path fails before any CUDA call).
#include "trtutils/builder/trt_engine_registration.hpp"

#include <gtest/gtest.h>

#include <string>

#include "trtutils/core/error.hpp"
#include "trtutils/runtime/trt_engine.hpp"

namespace trtutils::builder {
namespace {

TEST(TrtEngineRegistration, WithoutItAnOnnxPathGivesTheDocumentedMessage) {
  runtime::TRTEngine::set_onnx_builder({});
  ASSERT_FALSE(runtime::TRTEngine::has_onnx_builder());
  try {
    runtime::TRTEngine engine("no_such_model.onnx");
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("no builder is registered"), std::string::npos) << what;
    EXPECT_NE(what.find("link trtutils_builder"), std::string::npos) << what;
  }
}

TEST(TrtEngineRegistration, RegisteredBuilderIsCalledForOnnxPaths) {
  register_with_trt_engine();
  EXPECT_TRUE(runtime::TRTEngine::has_onnx_builder());
  // The builder runs: the import fails on the missing file, not the registry.
  try {
    runtime::TRTEngine engine("no_such_model.onnx");
    FAIL() << "expected an error from the import";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find("no builder is registered"), std::string::npos)
        << e.what();
  }
  // The option strings reach the builder: a bad key is refused before the import.
  try {
    runtime::TRTEngine engine("no_such_model.onnx", {.build_options = {{"precison", "fp16"}}});
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("unknown build option 'precison'"), std::string::npos)
        << e.what();
  }
  runtime::TRTEngine::set_onnx_builder({});
}

TEST(BuildOptionsFromStrings, EveryKey) {
  const BuildOptions o = build_options_from_strings({{"precision", "fp16"},
                                                     {"max_workspace_bytes", "1024"},
                                                     {"target_arch", "sm_90"},
                                                     {"autotune", "off"},
                                                     {"fuse", "0"},
                                                     {"batch", "1/4/8"},
                                                     {"timing_cache", "t.cache"},
                                                     {"kernel_cache_dir", "kc"},
                                                     {"fp32_nodes", "^/conv1/  ^/layer1/"}});
  EXPECT_EQ(o.precision, plan::Precision::kFloat16);
  EXPECT_EQ(o.max_workspace_bytes, 1024u);
  EXPECT_EQ(o.target_arch, "sm_90");
  EXPECT_FALSE(o.autotune);
  EXPECT_FALSE(o.fuse);
  ASSERT_TRUE(o.batch.has_value());
  EXPECT_EQ(o.batch->min, 1);
  EXPECT_EQ(o.batch->opt, 4);
  EXPECT_EQ(o.batch->max, 8);
  EXPECT_EQ(o.timing_cache, "t.cache");
  EXPECT_EQ(o.kernel_cache_dir, "kc");
  EXPECT_EQ(o.fp32_nodes, (std::vector<std::string>{"^/conv1/", "^/layer1/"}));

  const BuildOptions single = build_options_from_strings({{"batch", "8"}});
  ASSERT_TRUE(single.batch.has_value());
  EXPECT_EQ(single.batch->opt, 8);
  const BuildOptions defaults = build_options_from_strings({});
  EXPECT_EQ(defaults.precision, plan::Precision::kFloat32);
  EXPECT_TRUE(defaults.autotune);
  EXPECT_FALSE(defaults.batch.has_value());
}

TEST(BuildOptionsFromStrings, BadValuesAreRefused) {
  EXPECT_THROW((void)build_options_from_strings({{"precision", "fp8"}}), InvalidArgument);
  EXPECT_THROW((void)build_options_from_strings({{"max_workspace_bytes", "-1"}}), InvalidArgument);
  EXPECT_THROW((void)build_options_from_strings({{"max_workspace_bytes", "12ab"}}),
               InvalidArgument);
  EXPECT_THROW((void)build_options_from_strings({{"autotune", "maybe"}}), InvalidArgument);
  EXPECT_THROW((void)build_options_from_strings({{"batch", "1/2"}}), InvalidArgument);
  EXPECT_THROW((void)build_options_from_strings({{"batch", "4/2/8"}}), InvalidArgument);
  EXPECT_THROW((void)build_options_from_strings({{"target_arch", "ampere"}}), InvalidArgument);
  EXPECT_THROW((void)build_options_from_strings({{"nope", "1"}}), InvalidArgument);
}

}  // namespace
}  // namespace trtutils::builder
