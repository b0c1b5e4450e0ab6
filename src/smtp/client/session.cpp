// Connection set-up of the SMTP client: greeting, EHLO/HELO, STARTTLS, AUTH, and the
// reply and write helpers every stage uses.
#include <boost/asio/ssl/context.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/tcp_transport.hpp"
#include "smtp/client/client.hpp"
#include "smtp/client/connect.hpp"
#include "smtp/proto/base64.hpp"

namespace letterhead::smtp::client {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

namespace {

// A temporary failure that no reply decided (RFC 3463 §3.5: 4.4.1 no answer from
// host, 4.4.2 bad connection; §3.8: 4.7.0 security).
status temporary(std::string_view enhanced, std::string text) {
  return status{outcome::temporary, 0, std::string(enhanced), std::move(text)};
}

}  // namespace

std::string status::describe() const {
  std::string out;
  if (code != 0) out = fmt::format("{} ", code);
  if (!enhanced.empty()) out += enhanced + " ";
  for (char c : text) out.push_back(c == '\n' ? ' ' : c);
  return out;
}

status from_reply(const proto::reply& r) {
  const outcome o = r.code / 100 == 2   ? outcome::delivered
                    : r.code / 100 == 5 ? outcome::permanent
                                        : outcome::temporary;
  return status{o, r.code, r.enhanced, r.text()};
}

session::session(std::shared_ptr<core::transport> t, options opts, std::string peer)
    : transport_(std::move(t)),
      opts_(std::move(opts)),
      peer_(std::move(peer)),
      log_("smtp-out", core::next_connection_id()),
      replies_(opts_.replies) {}

session::~session() { transport_->close(); }

bool session::tls() const { return transport_->tls(); }

bool session::verified_tls() const {
  // Set-up fails when the certificate does not verify, so a TLS session opened with
  // one of these checks has passed it.
  const bool dane_authenticates = opts_.dane && !opts_.dane->records.empty();
  return transport_->tls() && (opts_.verify_certificate || dane_authenticates);
}

asio::awaitable<std::expected<std::unique_ptr<session>, status>> session::open(
    asio::any_io_executor ex, std::shared_ptr<asio::ssl::context> tls, std::string address, std::uint16_t port,
    options opts) {
  const bool may_fall_back = opts.tls == tls_mode::opportunistic && !opts.dane;
  auto first = co_await open_once(ex, tls, address, port, opts);
  if (first) co_return std::move(*first);
  if (!first.error().tls_handshake || !may_fall_back) co_return std::unexpected(first.error().why);
  // RFC 7435 §3 (opportunistic security): a failed handshake must not make delivery
  // fail where plaintext would have worked. RFC 3207 §4.1 leaves the client free to
  // continue without TLS; a new connection is needed after a broken handshake.
  opts.tls = tls_mode::none;
  auto second = co_await open_once(ex, tls, address, port, std::move(opts));
  if (second) co_return std::move(*second);
  co_return std::unexpected(second.error().why);
}

asio::awaitable<std::expected<std::unique_ptr<session>, session::failure>> session::open_once(
    asio::any_io_executor ex, std::shared_ptr<asio::ssl::context> tls, std::string address, std::uint16_t port,
    options opts) {
  const std::string peer =
      fmt::format("{}[{}]:{}", opts.server_name.empty() ? address : opts.server_name, address, port);
  auto socket = co_await connect_tcp(ex, address, port, opts.timeouts.connect);
  if (!socket) {
    co_return std::unexpected(
        failure{temporary("4.4.1", fmt::format("connect to {}: {}", peer, socket.error().message))});
  }
  core::tls_client_options tls_opts{opts.server_name, opts.verify_certificate, {}, {}};
  // The session's log is made below; a report-only failure goes to its own id-less line.
  tls_hooks hooks;
  if (opts.dane) {
    hooks = make_dane_hooks(*opts.dane);
  } else if (opts.report_unverified && !opts.verify_certificate) {
    hooks = make_report_only_hooks(opts.server_name, [peer](const std::string& why) {
      spdlog::warn("smtp-out: MTA-STS testing: {}: would fail: {}", peer, why);
    });
  }
  tls_opts.prepare = std::move(hooks.prepare);
  tls_opts.check = std::move(hooks.check);
  auto t = core::make_tcp_client_transport(std::move(*socket), std::move(tls), std::move(tls_opts));
  std::unique_ptr<session> s(new session(std::move(t), std::move(opts), peer));
  s->log_.info("connected to {}", peer);
  auto ready = co_await s->handshake();
  if (!ready) {
    s->log_.info("session set-up failed: {}", ready.error().why.describe());
    co_return std::unexpected(std::move(ready.error()));
  }
  co_return s;
}

asio::awaitable<std::expected<void, session::failure>> session::handshake() {
  if (opts_.tls == tls_mode::implicit) {
    // RFC 8314 §3.3: the handshake comes before the greeting.
    if (auto r = co_await transport_->start_tls(opts_.timeouts.greeting); !r) {
      co_return std::unexpected(failure{temporary("4.7.0", fmt::format("TLS with {}: {}", peer_, r.error().message))});
    }
  }
  auto greeting = co_await read_reply(opts_.timeouts.greeting);
  if (!greeting) {
    co_return std::unexpected(
        failure{temporary("4.4.2", fmt::format("no greeting from {}: {}", peer_, greeting.error().message))});
  }
  // RFC 5321 §3.1: 220 is the greeting; 554 means no service here.
  if (greeting->code != 220) {
    auto why = from_reply(*greeting);
    if (why.result == outcome::delivered) why = temporary("4.4.2", "unexpected greeting: " + why.describe());
    co_return std::unexpected(failure{std::move(why)});
  }
  if (auto r = co_await hello(); !r) co_return std::unexpected(std::move(r.error()));
  if (!transport_->tls() && opts_.tls != tls_mode::none) {
    if (ext_.starttls) {
      if (auto r = co_await start_tls(); !r) co_return std::unexpected(std::move(r.error()));
    } else if (opts_.tls == tls_mode::starttls || opts_.dane) {
      co_return std::unexpected(failure{temporary("4.7.0", fmt::format("{} does not offer STARTTLS", peer_))});
    }
  }
  if (opts_.auth) {
    if (auto r = co_await authenticate(); !r) co_return std::unexpected(std::move(r.error()));
  }
  co_return std::expected<void, failure>{};
}

asio::awaitable<std::expected<void, session::failure>> session::hello() {
  esmtp_ = false;
  ext_ = {};
  auto r = co_await command(fmt::format("EHLO {}\r\n", opts_.helo_name), opts_.timeouts.command);
  if (!r) co_return std::unexpected(failure{temporary("4.4.2", "EHLO: " + r.error().message)});
  if (r->code == 250) {
    esmtp_ = true;
    ext_ = proto::parse_ehlo(*r);
    co_return std::expected<void, failure>{};
  }
  // RFC 5321 §3.2: a server that does not know EHLO refuses it with a 5xx (500, 502);
  // the client then says HELO. A 4xx (or 421) is a temporary refusal of us.
  if (r->code / 100 != 5) co_return std::unexpected(failure{from_reply(*r)});
  r = co_await command(fmt::format("HELO {}\r\n", opts_.helo_name), opts_.timeouts.command);
  if (!r) co_return std::unexpected(failure{temporary("4.4.2", "HELO: " + r.error().message)});
  if (r->code != 250) co_return std::unexpected(failure{from_reply(*r)});
  co_return std::expected<void, failure>{};
}

asio::awaitable<std::expected<void, session::failure>> session::start_tls() {
  auto r = co_await command("STARTTLS\r\n", opts_.timeouts.command);
  if (!r) co_return std::unexpected(failure{temporary("4.4.2", "STARTTLS: " + r.error().message)});
  if (r->code != 220) {
    // RFC 3207 §4: 454 (TLS not available now); opportunistic mode carries on in
    // plaintext, a policy that requires TLS does not.
    if (opts_.tls == tls_mode::opportunistic && !opts_.dane && r->code != 421) {
      log_.info("STARTTLS refused, continuing without TLS: {}", from_reply(*r).describe());
      co_return std::expected<void, failure>{};
    }
    auto why = from_reply(*r);
    why.result = outcome::temporary;
    co_return std::unexpected(failure{std::move(why)});
  }
  // Bytes after the 220 were sent in plaintext and would be read as if they came
  // through TLS: a server (or a man in the middle) injecting replies.
  if (replies_.has_buffered()) {
    broken_ = true;
    co_return std::unexpected(failure{temporary("4.7.0", fmt::format("{} sent data after its STARTTLS reply", peer_))});
  }
  replies_.clear();
  if (auto h = co_await transport_->start_tls(opts_.timeouts.command); !h) {
    broken_ = true;
    // A policy check (DANE) refused the certificate: RFC 3463 §3.8 X.7.5, a
    // cryptographic failure, and never a reason to try again without TLS.
    if (h.error().code == core::errc::denied) {
      co_return std::unexpected(failure{temporary("4.7.5", fmt::format("TLS with {}: {}", peer_, h.error().message))});
    }
    co_return std::unexpected(
        failure{temporary("4.7.0", fmt::format("TLS with {}: {}", peer_, h.error().message)), true});
  }
  log_.info("TLS started: {}", transport_->tls_description());
  // RFC 3207 §4.2: forget what the server said before TLS and ask again.
  co_return co_await hello();
}

asio::awaitable<std::expected<void, session::failure>> session::authenticate() {
  if (!transport_->tls() && opts_.tls != tls_mode::none) {
    co_return std::unexpected(failure{temporary("4.7.0", "not sending credentials without TLS")});
  }
  const auto& cred = *opts_.auth;
  auto offers = [this](std::string_view mech) {
    for (const auto& m : ext_.auth) {
      if (m == mech) return true;
    }
    return false;
  };
  core::result<proto::reply> r = core::fail(core::errc::internal, "no mechanism");
  if (offers("PLAIN")) {
    // RFC 4616 §2: [authzid] NUL authcid NUL passwd; RFC 4954 §4: initial response.
    std::string message;
    message.push_back('\0');
    message += cred.user;
    message.push_back('\0');
    message += cred.password;
    r = co_await command("AUTH PLAIN " + proto::base64_encode(message) + "\r\n", opts_.timeouts.command);
  } else if (offers("LOGIN")) {
    r = co_await command("AUTH LOGIN\r\n", opts_.timeouts.command);
    if (r && r->code == 334) r = co_await command(proto::base64_encode(cred.user) + "\r\n", opts_.timeouts.command);
    if (r && r->code == 334) {
      r = co_await command(proto::base64_encode(cred.password) + "\r\n", opts_.timeouts.command);
    }
  } else {
    co_return std::unexpected(
        failure{temporary("4.7.0", fmt::format("{} offers no AUTH mechanism we support (PLAIN, LOGIN)", peer_))});
  }
  if (!r) co_return std::unexpected(failure{temporary("4.4.2", "AUTH: " + r.error().message)});
  if (r->code != 235) {
    // A refused login is the admin's to fix, not the message's fault: retried, not bounced.
    auto why = from_reply(*r);
    why.result = outcome::temporary;
    why.text = "authentication failed: " + why.text;
    co_return std::unexpected(failure{std::move(why)});
  }
  log_.info("authenticated to {}", peer_);
  co_return std::expected<void, failure>{};
}

asio::awaitable<core::result<proto::reply>> session::read_reply(std::chrono::seconds timeout) {
  // One deadline for the whole reply, so that a server trickling bytes cannot stretch it.
  const auto deadline = clock::now() + timeout;
  for (;;) {
    auto next = replies_.next();
    if (!next) {
      broken_ = true;
      co_return core::fail(core::errc::invalid, fmt::format("{}: {}", peer_, next.error().message));
    }
    if (*next) {
      // RFC 5321 §3.8: 421 means the server is closing the connection.
      if ((*next)->code == 421) broken_ = true;
      co_return std::move(**next);
    }
    const auto left = std::chrono::ceil<std::chrono::seconds>(deadline - clock::now());
    if (left <= std::chrono::seconds(0)) {
      broken_ = true;
      co_return core::fail(core::errc::unavailable, "timeout waiting for a reply");
    }
    in_.clear();
    auto n = co_await transport_->read_some(in_, 16 * 1024, left);
    if (!n) {
      broken_ = true;
      if (n.error().code == core::errc::unavailable) {
        co_return core::fail(core::errc::unavailable, "timeout waiting for a reply");
      }
      co_return std::unexpected(n.error());
    }
    if (*n == 0) {
      broken_ = true;
      co_return core::fail(core::errc::io, "connection closed by the server");
    }
    replies_.feed(in_);
  }
}

asio::awaitable<core::result<void>> session::write(std::string_view data, std::chrono::seconds timeout) {
  if (broken_) co_return core::fail(core::errc::io, "connection no longer usable");
  auto r = co_await transport_->write(data, timeout);
  if (!r) broken_ = true;
  co_return r;
}

asio::awaitable<core::result<proto::reply>> session::command(std::string_view line, std::chrono::seconds timeout) {
  if (auto w = co_await write(line, timeout); !w) co_return std::unexpected(w.error());
  co_return co_await read_reply(timeout);
}

asio::awaitable<bool> session::reset() {
  if (broken_) co_return false;
  auto r = co_await command("RSET\r\n", opts_.timeouts.command);
  if (!r || r->code != 250) {
    broken_ = true;
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> session::quit() {
  if (!broken_) {
    // The answer does not matter (RFC 5321 §4.1.1.10); a short wait for it does,
    // so that the server sees an orderly end rather than a reset.
    const auto wait = std::min(opts_.timeouts.command, std::chrono::seconds(10));
    (void)co_await command("QUIT\r\n", wait);
  }
  broken_ = true;
  transport_->close();
}

}  // namespace letterhead::smtp::client
