#include "filter/clamav.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "core/config.hpp"
#include "filter/detail/blocking_socket.hpp"

namespace letterhead::filter {

core::result<clamd_address> parse_clamd_address(std::string_view text) {
  clamd_address a;
  if (text.starts_with("unix:")) {
    a.unix_socket = true;
    a.path = std::string(text.substr(5));
    if (a.path.empty() || a.path.size() >= sizeof(sockaddr_un::sun_path)) {
      return core::fail(core::errc::invalid, fmt::format("clamd socket path '{}' is empty or too long", a.path));
    }
    return a;
  }
  if (text.starts_with("tcp://")) {
    auto hp = core::parse_host_port(text.substr(6));
    if (!hp) return std::unexpected(hp.error());
    a.host = hp->host;
    a.port = hp->port;
    return a;
  }
  return core::fail(core::errc::invalid, fmt::format("clamd address '{}' is not tcp://HOST:PORT or unix:/path", text));
}

core::result<scan_result> parse_clamd_reply(std::string_view reply) {
  while (!reply.empty() && (reply.back() == '\n' || reply.back() == '\r' || reply.back() == '\0')) {
    reply.remove_suffix(1);
  }
  std::string_view body = reply;
  if (body.starts_with("stream: ")) body.remove_prefix(8);
  if (body == "OK") return scan_result{};
  if (body.ends_with(" FOUND") && reply.starts_with("stream: ")) {
    scan_result r;
    r.infected = true;
    for (const char c : body.substr(0, std::min<std::size_t>(body.size() - 6, 200))) {
      const auto u = static_cast<unsigned char>(c);
      r.signature += (u >= 0x20 && u < 0x7f) ? c : '?';
    }
    return r;
  }
  // clamd(8) INSTREAM: "If the stream exceeds StreamMaxLength ... clamd replies
  // INSTREAM size limit exceeded and closes the connection".
  if (reply.find("size limit exceeded") != std::string_view::npos) {
    return core::fail(core::errc::limit, "clamd: larger than its StreamMaxLength");
  }
  std::string shown;
  for (const char c : reply.substr(0, 200)) {
    const auto u = static_cast<unsigned char>(c);
    shown += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  return core::fail(core::errc::unavailable, fmt::format("clamd: {}", shown));
}

namespace {

using clock = std::chrono::steady_clock;
using detail::socket_fd;

core::error from_clamd(core::error e) {
  e.message = "clamd: " + e.message;
  return e;
}

core::result<void> wait_for(int fd, short events, clock::time_point deadline) {
  if (auto w = detail::wait_ready(fd, events, deadline); !w) return std::unexpected(from_clamd(w.error()));
  return {};
}

core::result<int> open_connection(const clamd_address& a, clock::time_point deadline) {
  if (!a.unix_socket) {
    auto fd = detail::connect_tcp(a.host, a.port, deadline);
    if (!fd) return std::unexpected(from_clamd(fd.error()));
    return fd;
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return core::fail(core::errc::unavailable, fmt::format("clamd: socket: {}", std::strerror(errno)));
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, a.path.data(), std::min(a.path.size(), sizeof sa.sun_path - 1));
  if (auto c = detail::connect_within(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa, deadline); !c) {
    ::close(fd);
    return std::unexpected(from_clamd(c.error()));
  }
  return fd;
}

// Sends all of `data`; a peer that closed (clamd stops reading past its size limit)
// surfaces as errc::io so that its reply can still be read.
core::result<void> send_all(int fd, std::string_view data, clock::time_point deadline) {
  while (!data.empty()) {
    const auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (auto w = wait_for(fd, POLLOUT, deadline); !w) return w;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return core::fail(core::errc::io, fmt::format("clamd: send: {}", std::strerror(errno)));
  }
  return {};
}

core::result<std::string> read_reply(int fd, clock::time_point deadline) {
  std::string reply;
  char buf[512];
  while (reply.size() < 4096) {
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      reply.append(buf, static_cast<std::size_t>(n));
      if (reply.find('\0') != std::string::npos) break;
      continue;
    }
    if (n == 0) break;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (auto w = wait_for(fd, POLLIN, deadline); !w) return std::unexpected(w.error());
      continue;
    }
    if (errno == EINTR) continue;
    return core::fail(core::errc::unavailable, fmt::format("clamd: recv: {}", std::strerror(errno)));
  }
  if (const auto nul = reply.find('\0'); nul != std::string::npos) reply.resize(nul);
  if (reply.empty()) return core::fail(core::errc::unavailable, "clamd closed the connection without an answer");
  return reply;
}

void put_length(std::string& out, std::uint32_t n) {
  out += static_cast<char>((n >> 24) & 0xff);
  out += static_cast<char>((n >> 16) & 0xff);
  out += static_cast<char>((n >> 8) & 0xff);
  out += static_cast<char>(n & 0xff);
}

core::result<scan_result> scan_one(const clamd_options& o, std::string_view data, clock::time_point deadline) {
  auto fd = open_connection(o.address, deadline);
  if (!fd) return std::unexpected(fd.error());
  socket_fd sock(*fd);
  // The z prefix asks for NUL-terminated replies (clamd(8) "COMMANDS").
  static constexpr std::string_view command{"zINSTREAM\0", 10};
  auto sent = send_all(sock.get(), command, deadline);
  const std::size_t chunk = std::max<std::size_t>(o.chunk_size, 1);
  std::string frame;
  for (std::size_t at = 0; sent && at < data.size(); at += chunk) {
    const auto piece = data.substr(at, chunk);
    frame.clear();
    put_length(frame, static_cast<std::uint32_t>(piece.size()));
    sent = send_all(sock.get(), frame, deadline);
    if (sent) sent = send_all(sock.get(), piece, deadline);
  }
  if (sent) {
    frame.clear();
    put_length(frame, 0);
    sent = send_all(sock.get(), frame, deadline);
  }
  if (!sent && sent.error().code != core::errc::io) return std::unexpected(sent.error());
  // After a send error clamd may still have said why (its size limit).
  auto reply = read_reply(sock.get(), deadline);
  if (!reply) {
    if (!sent) return std::unexpected(core::error{core::errc::unavailable, sent.error().message});
    return std::unexpected(reply.error());
  }
  return parse_clamd_reply(*reply);
}

}  // namespace

core::result<scan_result> clamd_scan(const clamd_options& o, std::string_view data) {
  return scan_one(o, data, clock::now() + o.timeout);
}

core::result<scan_result> clamd_scan_each(const clamd_options& o, std::span<const std::string_view> streams) {
  const auto deadline = clock::now() + o.timeout;
  std::optional<core::error> too_large;
  for (std::size_t i = 0; i < streams.size(); ++i) {
    auto r = scan_one(o, streams[i], deadline);
    // A stream over the size limit must not hide a small infected one after it.
    if (!r && r.error().code == core::errc::limit) {
      too_large = r.error();
      continue;
    }
    if (!r || r->infected) {
      if (r) r->stream = i;
      return r;
    }
  }
  if (too_large) return std::unexpected(*too_large);
  return scan_result{};
}

}  // namespace letterhead::filter
