#pragma once
// create_engine, after the Python trtutils helper of the same name: load an
// engine file and get everything needed to run it, in one call.
//
//   auto [engine, context, logger, stream] = create_engine("model.engine");
//   context->enqueue(stream, {input, output});
//   stream.synchronize();
#include <filesystem>
#include <memory>

#include "trtutils/core/stream.hpp"
#include "trtutils/runtime/engine.hpp"
#include "trtutils/runtime/execution_context.hpp"
#include "trtutils/runtime/logger.hpp"

namespace trtutils::runtime {

struct CreateEngineOptions {
  /// CUDA device to load on; it is left current.
  int device = 0;
  /// Null: a new Logger at `log_severity` writing to stderr.
  std::shared_ptr<Logger> logger{};
  Severity log_severity = Severity::kWarning;
};

/// Members in the order the Python helper returns them (structured-binding friendly).
struct CreatedEngine {
  std::shared_ptr<const Engine> engine;
  std::unique_ptr<ExecutionContext> context;
  std::shared_ptr<Logger> logger{};
  core::Stream stream;
};

CreatedEngine create_engine(const std::filesystem::path& path, CreateEngineOptions options = {});

}  // namespace trtutils::runtime
