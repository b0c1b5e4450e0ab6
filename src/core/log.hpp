#pragma once
// Logging: spdlog underneath, one line per event. Connection-scoped lines carry the
// protocol and a short connection id ("smtp#1f") so one session's story can be
// grepped out of a busy log. Nothing secret is ever passed here: no passwords, no
// AUTH payloads, no message bodies.

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"

namespace letterhead::core {

// Sets up the process logger (stderr) at a level name: trace, debug, info, warn, error.
void init_logging(std::string_view level);

// A fresh id for a connection, unique in this process.
[[nodiscard]] std::uint64_t next_connection_id() noexcept;

// Logger bound to one connection.
class conn_log {
 public:
  conn_log(std::string_view protocol, std::uint64_t id)
      : prefix_(fmt::format("{}#{:x}", protocol, id)) {}

  [[nodiscard]] const std::string& prefix() const noexcept { return prefix_; }

  template <class... Args>
  void debug(fmt::format_string<Args...> f, Args&&... args) const {
    if (spdlog::should_log(spdlog::level::debug))
      spdlog::debug("{} {}", prefix_, fmt::format(f, std::forward<Args>(args)...));
  }
  template <class... Args>
  void info(fmt::format_string<Args...> f, Args&&... args) const {
    if (spdlog::should_log(spdlog::level::info))
      spdlog::info("{} {}", prefix_, fmt::format(f, std::forward<Args>(args)...));
  }
  template <class... Args>
  void warn(fmt::format_string<Args...> f, Args&&... args) const {
    spdlog::warn("{} {}", prefix_, fmt::format(f, std::forward<Args>(args)...));
  }
  template <class... Args>
  void error(fmt::format_string<Args...> f, Args&&... args) const {
    spdlog::error("{} {}", prefix_, fmt::format(f, std::forward<Args>(args)...));
  }

 private:
  std::string prefix_;
};

}  // namespace letterhead::core
