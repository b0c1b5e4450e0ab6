#include "filter/detail/blocking_socket.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "filter/detail/resolve_within.hpp"

namespace letterhead::filter::detail {

using clock = std::chrono::steady_clock;

socket_fd::~socket_fd() {
  if (fd_ >= 0) ::close(fd_);
}

core::result<void> wait_ready(int fd, short events, clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    if (left <= 0) return core::fail(core::errc::unavailable, "timed out");
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1 << 30)));
    if (n > 0) return {};
    if (n < 0 && errno != EINTR) return core::fail(core::errc::unavailable, fmt::format("poll: {}", std::strerror(errno)));
  }
}

core::result<void> connect_within(int fd, const sockaddr* sa, socklen_t length, clock::time_point deadline) {
  if (::connect(fd, sa, length) == 0) return {};
  if (errno != EINPROGRESS && errno != EAGAIN) {
    return core::fail(core::errc::unavailable, fmt::format("connect: {}", std::strerror(errno)));
  }
  if (auto w = wait_ready(fd, POLLOUT, deadline); !w) return w;
  int err = 0;
  socklen_t err_length = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_length);
  if (err != 0) return core::fail(core::errc::unavailable, fmt::format("connect: {}", std::strerror(err)));
  return {};
}

core::result<int> connect_tcp(const std::string& host, std::uint16_t port, clock::time_point deadline) {
  auto addresses = resolve_within(host, port, deadline);
  if (!addresses) return std::unexpected(addresses.error());
  core::error last{core::errc::unavailable, "no address"};
  for (const auto& a : *addresses) {
    const int fd = ::socket(a.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    auto c = connect_within(fd, reinterpret_cast<const sockaddr*>(&a.sa), a.length, deadline);
    if (c) return fd;
    last = c.error();
    ::close(fd);
  }
  last.message = fmt::format("{}:{}: {}", host, port, last.message);
  return std::unexpected(last);
}

}  // namespace letterhead::filter::detail
