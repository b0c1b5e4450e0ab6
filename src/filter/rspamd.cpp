#include "filter/rspamd.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "filter/detail/blocking_socket.hpp"

namespace letterhead::filter {

namespace {

using clock = std::chrono::steady_clock;

core::error unavailable(std::string_view what) {
  return core::error{core::errc::unavailable, fmt::format("rspamd: {}", what)};
}

// A header value we send: no line breaks (they would inject fields), bounded.
std::string header_safe(std::string_view v) {
  std::string out;
  for (const char c : v.substr(0, 512)) {
    if (c != '\r' && c != '\n' && c != '\0') out += c;
  }
  return out;
}

std::string printable(std::string_view v, std::size_t max) {
  std::string out;
  for (const char c : v.substr(0, max)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

using detail::socket_fd;

core::result<void> wait_for(int fd, short events, clock::time_point deadline) {
  if (auto w = detail::wait_ready(fd, events, deadline); !w) return std::unexpected(unavailable(w.error().message));
  return {};
}

core::result<int> connect_to(const rspamd_options& o, clock::time_point deadline) {
  auto fd = detail::connect_tcp(o.host, o.port, deadline);
  if (!fd) return std::unexpected(unavailable(fd.error().message));
  return fd;
}

core::result<void> send_all(int fd, std::string_view data, clock::time_point deadline) {
  while (!data.empty()) {
    if (auto ok = wait_for(fd, POLLOUT, deadline); !ok) return std::unexpected(ok.error());
    const auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return std::unexpected(unavailable(std::strerror(errno)));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// Reads until the peer closes (we send "Connection: close") or the cap is passed.
core::result<std::string> read_all(int fd, std::size_t cap, clock::time_point deadline) {
  std::string out;
  char buf[16384];
  for (;;) {
    if (auto ok = wait_for(fd, POLLIN, deadline); !ok) return std::unexpected(ok.error());
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) return out;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return std::unexpected(unavailable(std::strerror(errno)));
    }
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > cap) return std::unexpected(unavailable("reply too large"));
  }
}

// The body of an HTTP/1.1 response (RFC 9112 §6): Content-Length, chunked, or to the end.
core::result<std::string> response_body(std::string_view raw) {
  const auto end = raw.find("\r\n\r\n");
  if (end == std::string_view::npos) return std::unexpected(unavailable("incomplete HTTP reply"));
  const auto head = raw.substr(0, end);
  std::string_view body = raw.substr(end + 4);
  if (!head.starts_with("HTTP/1.") || head.size() < 12 || head.substr(9, 3) != "200") {
    return std::unexpected(unavailable("HTTP status " + printable(head.substr(0, head.find("\r\n")), 80)));
  }
  std::string lower(head);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
    std::string out;
    for (;;) {
      const auto eol = body.find("\r\n");
      if (eol == std::string_view::npos) return std::unexpected(unavailable("bad chunked body"));
      std::size_t size = 0;
      const auto r = std::from_chars(body.data(), body.data() + eol, size, 16);
      if (r.ec != std::errc{} || size > body.size()) return std::unexpected(unavailable("bad chunk size"));
      body.remove_prefix(eol + 2);
      if (size == 0) return out;
      if (body.size() < size) return std::unexpected(unavailable("truncated chunk"));
      out.append(body.substr(0, size));
      body.remove_prefix(std::min(body.size(), size + 2));
    }
  }
  if (const auto cl = lower.find("\r\ncontent-length:"); cl != std::string::npos) {
    auto v = std::string_view(lower).substr(cl + 17);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    std::size_t size = 0;
    const auto r = std::from_chars(v.data(), v.data() + v.size(), size);
    if (r.ec != std::errc{} || size > body.size()) return std::unexpected(unavailable("truncated reply"));
    body = body.substr(0, size);
  }
  return std::string(body);
}

class rspamd_rules final : public rule_source {
 public:
  explicit rspamd_rules(rspamd_options o) : options_(std::move(o)) {}

  void evaluate(const message_input& in, std::vector<finding>& out) override {
    rspamd_request r;
    r.client_ip = in.client_ip;
    r.helo = in.helo;
    r.mail_from = in.mail_from;
    r.recipients = in.recipients;
    auto res = rspamd_check(options_, r, in.bytes);
    if (!res) {
      // Once per outage: a dead rspamd must not flood the log, nor stop the mail.
      if (!down_.exchange(true)) spdlog::warn("{}; scoring goes on without it", res.error().message);
      return;
    }
    if (down_.exchange(false)) spdlog::info("rspamd answers again");
    const double points = res->score * options_.weight;
    std::string detail = fmt::format("score={:.2f} action={}", res->score, printable(res->action, 32));
    if (points != 0) out.push_back(finding{"RSPAMD", detail, points});
    if (options_.reject && res->action == "reject") out.push_back(finding{"RSPAMD_REJECT", detail, std::nullopt});
  }

 private:
  rspamd_options options_;
  std::atomic<bool> down_{false};
};

}  // namespace

core::result<void> parse_rspamd_url(std::string_view url, rspamd_options& o) {
  if (!url.starts_with("http://")) return core::fail(core::errc::invalid, "rspamd must be an http:// URL");
  auto rest = url.substr(7);
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) return core::fail(core::errc::invalid, "rspamd URL must have no path");
  std::string_view host = rest;
  std::string_view port;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return core::fail(core::errc::invalid, "rspamd URL: unclosed [");
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return core::fail(core::errc::invalid, "rspamd URL: bad port");
      port = rest.substr(close + 2);
    }
  } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) return core::fail(core::errc::invalid, "rspamd URL has no host");
  o.host = std::string(host);
  if (!port.empty()) {
    unsigned p = 0;
    const auto r = std::from_chars(port.data(), port.data() + port.size(), p);
    if (r.ec != std::errc{} || r.ptr != port.data() + port.size() || p == 0 || p > 65535) {
      return core::fail(core::errc::invalid, "rspamd URL: bad port");
    }
    o.port = static_cast<std::uint16_t>(p);
  }
  return {};
}

core::result<rspamd_result> parse_rspamd_reply(std::string_view json) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return std::unexpected(unavailable("reply is not a JSON object"));
  const auto& obj = v.as_object();
  rspamd_result r;
  const auto* score = obj.if_contains("score");
  if (score == nullptr || !score->is_number()) return std::unexpected(unavailable("reply has no score"));
  r.score = score->to_number<double>();
  if (const auto* req = obj.if_contains("required_score"); req != nullptr && req->is_number()) {
    r.required_score = req->to_number<double>();
  }
  if (const auto* a = obj.if_contains("action"); a != nullptr && a->is_string()) {
    r.action = std::string(a->as_string().subview());
  }
  if (const auto* syms = obj.if_contains("symbols"); syms != nullptr && syms->is_object()) {
    for (const auto& [name, _] : syms->as_object()) {
      if (r.symbols.size() >= 50) break;
      r.symbols.push_back(printable(name, 64));
    }
  }
  return r;
}

core::result<rspamd_result> rspamd_check(const rspamd_options& o, const rspamd_request& r, std::string_view message) {
  const auto deadline = clock::now() + o.timeout;
  auto fd = connect_to(o, deadline);
  if (!fd) return std::unexpected(fd.error());
  socket_fd sock(*fd);
  std::string head = fmt::format("POST /checkv2 HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
                                 header_safe(o.host), message.size());
  if (!r.client_ip.empty()) head += "IP: " + header_safe(r.client_ip) + "\r\n";
  if (!r.helo.empty()) head += "Helo: " + header_safe(r.helo) + "\r\n";
  head += "From: " + header_safe(r.mail_from) + "\r\n";
  for (std::size_t i = 0; i < r.recipients.size() && i < 100; ++i) head += "Rcpt: " + header_safe(r.recipients[i]) + "\r\n";
  if (!r.queue_id.empty()) head += "Queue-Id: " + header_safe(r.queue_id) + "\r\n";
  head += "\r\n";
  if (auto ok = send_all(sock.get(), head, deadline); !ok) return std::unexpected(ok.error());
  if (auto ok = send_all(sock.get(), message, deadline); !ok) return std::unexpected(ok.error());
  auto raw = read_all(sock.get(), o.max_response, deadline);
  if (!raw) return std::unexpected(raw.error());
  auto body = response_body(*raw);
  if (!body) return std::unexpected(body.error());
  return parse_rspamd_reply(*body);
}

std::unique_ptr<rule_source> make_rspamd_rules(rspamd_options o) {
  return std::make_unique<rspamd_rules>(std::move(o));
}

}  // namespace letterhead::filter
