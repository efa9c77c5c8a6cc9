#include "trtutils/runtime/create_engine.hpp"

#include <utility>

#include "trtutils/core/device.hpp"

namespace trtutils::runtime {

CreatedEngine create_engine(const std::filesystem::path& path, CreateEngineOptions options) {
  core::set_device(options.device);
  std::shared_ptr<Logger> logger =
      options.logger ? std::move(options.logger) : std::make_shared<Logger>(options.log_severity);
  std::shared_ptr<const Engine> engine = Engine::load(path, EngineOptions{logger});
  std::unique_ptr<ExecutionContext> context = engine->create_execution_context();
  return CreatedEngine{std::move(engine), std::move(context), std::move(logger), core::Stream()};
}

}  // namespace trtutils::runtime
