#pragma once
// The connection pieces of the blocking socket clients of filter/ (clamd, rspamd),
// each bounded by the caller's deadline. Failures are errc::unavailable with a
// message that does not say whose it is: the client adds that.

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "core/error.hpp"

namespace letterhead::filter::detail {

// Closes the descriptor it holds.
class socket_fd {
 public:
  explicit socket_fd(int fd) : fd_(fd) {}
  socket_fd(const socket_fd&) = delete;
  socket_fd& operator=(const socket_fd&) = delete;
  ~socket_fd();
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// Until `fd` is ready for `events` (poll(2)), or "timed out" at the deadline.
[[nodiscard]] core::result<void> wait_ready(int fd, short events, std::chrono::steady_clock::time_point deadline);

// connect(2) on a non-blocking `fd`, waiting for it within the deadline.
[[nodiscard]] core::result<void> connect_within(int fd, const sockaddr* sa, socklen_t length,
                                                std::chrono::steady_clock::time_point deadline);

// A non-blocking TCP connection to the first of host's addresses (resolve_within.hpp)
// that accepts one within the deadline.
[[nodiscard]] core::result<int> connect_tcp(const std::string& host, std::uint16_t port,
                                            std::chrono::steady_clock::time_point deadline);

}  // namespace letterhead::filter::detail
