#include "core/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace letterhead::core {

void init_logging(std::string_view level) {
  auto logger = spdlog::stderr_color_mt("letterhead");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

std::uint64_t next_connection_id() noexcept {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

}  // namespace letterhead::core
